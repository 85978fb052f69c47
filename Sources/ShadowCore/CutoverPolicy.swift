/// What the store measured for one country, as the cutover gate sees it.
public struct CutoverEvidence: Codable, Sendable, Equatable {
    /// Comparisons (not skipped) in the window.
    public var comparisons: Int
    /// Percent of them at parity.
    public var parity: Double
    /// Legacy p99 latency in the window, milliseconds.
    public var legacyP99Ms: Double
    /// Swift p99 latency in the window, milliseconds.
    public var swiftP99Ms: Double
    /// The window, hours.
    public var windowHours: Double

    enum CodingKeys: String, CodingKey {
        case comparisons, parity
        case legacyP99Ms = "legacy_p99_ms"
        case swiftP99Ms = "swift_p99_ms"
        case windowHours = "window_hours"
    }

    /// Evidence as the store measured it over `windowHours`.
    public init(comparisons: Int, parity: Double, legacyP99Ms: Double, swiftP99Ms: Double, windowHours: Double) {
        self.comparisons = comparisons
        self.parity = parity
        self.legacyP99Ms = legacyP99Ms
        self.swiftP99Ms = swiftP99Ms
        self.windowHours = windowHours
    }
}

/// When a country may move forward, and when it moves back by itself. No I/O: the store supplies
/// the evidence, this decides.
public struct CutoverPolicy: Sendable, Equatable {
    /// Comparisons required in the window before moving to `live` or `swift`. Default 1,000.
    public var minimumComparisons = 1000
    /// The evidence window, hours. Default 24.
    public var windowHours = 24.0
    /// Parity required, percent. Default 99.9.
    public var minimumParity = 99.9
    /// While `live`, the last this many comparisons are watched for a regression. Default 200.
    public var revertWindow = 200
    /// Whether Swift's p99 latency must be no worse than legacy's. Default true.
    public var judgesLatency = true

    /// The default policy.
    public init() {}

    /// The verdict on one requested change.
    public struct Decision: Sendable, Equatable {
        /// Whether the change may happen.
        public var allowed: Bool
        /// Why not (empty when allowed), for the operator.
        public var reasons: [String]
    }

    /// Whether `from` → `to` may happen on this evidence. Moving back (`swift` → `live` → `shadow`
    /// → `legacy`) is always allowed; moving to `live` or `swift` needs the evidence.
    /// - Parameters:
    ///   - from: The current flag.
    ///   - to: The requested flag.
    ///   - evidence: The country's evidence in the window.
    public func decide(from: CutoverFlag, to: CutoverFlag, evidence: CutoverEvidence) -> Decision {
        guard to == .live || to == .swift, Self.rank(to) > Self.rank(from) else {
            return Decision(allowed: true, reasons: [])
        }
        var reasons: [String] = []
        if evidence.comparisons < minimumComparisons {
            reasons.append(
                "only \(evidence.comparisons) comparisons in the last \(Self.hours(windowHours)) h (need \(minimumComparisons))"
            )
        }
        if evidence.parity < minimumParity {
            reasons.append("parity \(Self.percent(evidence.parity)) is below \(Self.percent(minimumParity))")
        }
        if judgesLatency && evidence.comparisons > 0 && evidence.swiftP99Ms > evidence.legacyP99Ms {
            reasons.append(
                "Swift p99 \(Self.milliseconds(evidence.swiftP99Ms)) is worse than legacy p99 \(Self.milliseconds(evidence.legacyP99Ms))"
            )
        }
        return Decision(allowed: reasons.isEmpty, reasons: reasons)
    }

    /// Whether a `live` country must go back to `shadow`: parity over its last ``revertWindow``
    /// comparisons fell below the threshold.
    /// - Parameters:
    ///   - flag: The country's flag.
    ///   - recentComparisons: How many of the last ``revertWindow`` were compared.
    ///   - recentParity: Their parity, percent.
    public func mustRevert(flag: CutoverFlag, recentComparisons: Int, recentParity: Double) -> Bool {
        flag == .live && recentComparisons >= revertWindow && recentParity < minimumParity
    }

    static func rank(_ flag: CutoverFlag) -> Int {
        switch flag {
        case .legacy: 0
        case .shadow: 1
        case .live: 2
        case .swift: 3
        }
    }

    private static func percent(_ value: Double) -> String {
        let tenths = Int((value * 100).rounded())
        return "\(tenths / 100).\(String(repeating: "0", count: tenths % 100 < 10 ? 1 : 0))\(tenths % 100)%"
    }

    private static func milliseconds(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) ms"
    }

    private static func hours(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
