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
