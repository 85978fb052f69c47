/// Which implementation serves a country's invoices, and which one shadows it.
///
/// A country moves forward `legacy` → `shadow` → `live` → `swift` only on evidence, and a
/// regression while `live` moves it back to `shadow`.
public enum CutoverFlag: String, CaseIterable, Codable, Sendable {
    /// Python only; the Swift port does not run.
    case legacy
    /// Python serves; the Swift port runs in shadow and is compared.
    case shadow
    /// Swift serves; Python runs in shadow and is compared.
    case live
    /// Swift only; Python does not run.
    case swift

    /// Its place on the way from `legacy` (0) to `swift` (3).
    public var step: Int {
        switch self {
        case .legacy: 0
        case .shadow: 1
        case .live: 2
        case .swift: 3
        }
    }

    /// The implementation whose result is published.
    public var primary: Implementation {
        switch self {
        case .legacy, .shadow: .legacy
        case .live, .swift: .swift
        }
    }

    /// The implementation run off the primary path for comparison, if any.
    public var shadow: Implementation? {
        switch self {
        case .legacy, .swift: nil
        case .shadow: .swift
        case .live: .legacy
        }
    }
}

/// One of the two implementations of the invoice contract.
public enum Implementation: String, CaseIterable, Codable, Sendable {
    /// The Python service in `legacy/`, embedded through CPython.
    case legacy
    /// The Swift port.
    case swift
}

/// A country's flag with its ramp: `live` at a percentage serves that share of the country's
/// customers from Swift (Python shadowing) and the rest from Python (Swift shadowing), by the
/// customer's sticky ``RampBucket``. Every other state serves all of them alike.
public struct FlagSetting: Sendable, Equatable, Codable {
    /// The state.
    public var state: CutoverFlag
    /// With `live`, the share of the country's customers Swift serves, percent (0 < p ≤ 100);
    /// 100 for every other state.
    public var percentage: Double

    /// A setting; the percentage is 100 but for `live`.
    public init(_ state: CutoverFlag, percentage: Double = 100) {
        self.state = state
        self.percentage = state == .live ? min(100, max(0, percentage)) : 100
    }

    /// Whether only part of the country's customers are on the state.
    public var isPartial: Bool { state == .live && percentage < 100 }

    /// The flag one event of `country` is served with: the state, or for a partial ramp `live`
    /// when the customer's bucket is in the percentage and `shadow` otherwise (an event without a
    /// customer id stays with Python, the side that served before the ramp).
    public func flag(country: String, customerID: String?) -> CutoverFlag {
        guard isPartial else { return state }
        guard let customerID else { return .shadow }
        return RampBucket.isSwift(country: country, customerID: customerID, percentage: percentage) ? .live : .shadow
    }

    /// `live 10%`, or the state's name.
    public var description: String {
        guard isPartial else { return state.rawValue }
        let text = percentage == percentage.rounded() ? String(Int(percentage)) : String(percentage)
        return "live \(text)%"
    }

    /// The next state forward by hand (`live` at any percentage goes to `swift`); nil from `swift`.
    public var nextState: FlagSetting? {
        switch state {
        case .legacy: FlagSetting(.shadow)
        case .shadow: FlagSetting(.live)
        case .live: FlagSetting(.swift)
        case .swift: nil
        }
    }

    /// Whether `to` is a step forward from this setting: a later state, or `live` at a higher percentage.
    public func isForward(to: FlagSetting) -> Bool {
        if to.state != state { return to.state.step > state.step }
        return to.state == .live && to.percentage > percentage
    }
}
