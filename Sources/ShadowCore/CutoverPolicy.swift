/// What the store measured for one country, as the cutover gate sees it.
public struct CutoverEvidence: Codable, Sendable, Equatable {
    /// Comparisons (not skipped) in the window, known differences excluded.
    public var comparisons: Int
    /// Percent of them at parity.
    public var parity: Double
    /// Legacy p99 latency in the window, milliseconds.
    public var legacyP99Ms: Double
    /// Swift p99 latency in the window, milliseconds.
    public var swiftP99Ms: Double
    /// The window, hours.
    public var windowHours: Double
    /// How many of ``comparisons`` were at parity.
    public var atParity: Int
    /// Comparisons whose signature the known-differences file lists: reported, not counted.
    public var knownDifferences: Int
    /// The one-sided Mann-Whitney p-value that Swift's render times are larger than legacy's, over
    /// the window's most recent samples; nil when either side has fewer than 20.
    public var swiftSlowerPValue: Double?
    /// Comparisons per hour at the last hour's pace (measured over the time evidence has been
    /// arriving when that is shorter than an hour): how fast evidence arrives.
    public var lastHourComparisons: Int

    enum CodingKeys: String, CodingKey {
        case comparisons, parity
        case legacyP99Ms = "legacy_p99_ms"
        case swiftP99Ms = "swift_p99_ms"
        case windowHours = "window_hours"
        case atParity = "at_parity"
        case knownDifferences = "known_differences"
        case swiftSlowerPValue = "swift_slower_p"
        case lastHourComparisons = "last_hour_comparisons"
    }

    /// Evidence as the store measured it over `windowHours`.
    public init(
        comparisons: Int, parity: Double, legacyP99Ms: Double, swiftP99Ms: Double, windowHours: Double,
        atParity: Int? = nil, knownDifferences: Int = 0, swiftSlowerPValue: Double? = nil, lastHourComparisons: Int = 0
    ) {
        self.comparisons = comparisons
        self.parity = parity
        self.legacyP99Ms = legacyP99Ms
        self.swiftP99Ms = swiftP99Ms
        self.windowHours = windowHours
        self.atParity = atParity ?? Int((parity * Double(comparisons) / 100).rounded())
        self.knownDifferences = knownDifferences
        self.swiftSlowerPValue = swiftSlowerPValue
        self.lastHourComparisons = lastHourComparisons
    }

    /// Reads audit rows written before the gate counted parity and tested latency: the count at
    /// parity is derived from the percentage, the rest is absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            comparisons: try container.decode(Int.self, forKey: .comparisons),
            parity: try container.decode(Double.self, forKey: .parity),
            legacyP99Ms: try container.decode(Double.self, forKey: .legacyP99Ms),
            swiftP99Ms: try container.decode(Double.self, forKey: .swiftP99Ms),
            windowHours: try container.decode(Double.self, forKey: .windowHours),
            atParity: try container.decodeIfPresent(Int.self, forKey: .atParity),
            knownDifferences: try container.decodeIfPresent(Int.self, forKey: .knownDifferences) ?? 0,
            swiftSlowerPValue: try container.decodeIfPresent(Double.self, forKey: .swiftSlowerPValue),
            lastHourComparisons: try container.decodeIfPresent(Int.self, forKey: .lastHourComparisons) ?? 0)
    }
}

/// When a country may move forward, and when it moves back by itself. No I/O: the store supplies
/// the evidence, this decides.
public struct CutoverPolicy: Sendable, Equatable {
    /// Comparisons required in the window before moving to `live` or `swift`, whatever the bound
    /// says. Default 1,000.
    public var minimumComparisons = 1000
    /// The evidence window, hours. Default 24.
    public var windowHours = 24.0
    /// Parity required, percent: the lower confidence bound must reach it. Default 99.9.
    public var minimumParity = 99.9
    /// The one-sided confidence of the bound on parity. Default 0.95.
    public var confidence = 0.95
    /// While `live`, the sequential test's limit (``SequentialRevert/limit``). Default 12.
    public var revertLimit = 12.0
    /// The most recent comparisons of a live country the sequential test reads back at each check.
    /// Default 5,000: the statistic forgets a good stretch within a few hundred comparisons, so
    /// the last 5,000 give the decision the whole history would.
    public var revertHistory = 5_000
    /// Whether Swift's latency is judged (refused when a one-sided Mann-Whitney test shows Swift's
    /// render times larger than legacy's at ``latencySignificance``). Default true.
    public var judgesLatency = true
    /// The p-value below which Swift counts as slower. Default 0.01.
    public var latencySignificance = 0.01
    /// Signature ids of known differences (decided business changes, the known-differences file):
    /// reported beside the gate, not counted against parity. Default none.
    public var knownSignatures: Set<String> = []

    /// The default policy.
    public init() {}

    /// The verdict on one requested change.
    public struct Decision: Sendable, Equatable {
        /// Allowed, refused, or inconclusive (not yet).
        public var verdict: GateVerdict
        /// Why not (empty when allowed), for the operator: the bound against the threshold, how many
        /// more clean comparisons, and about how long that takes.
        public var reasons: [String]
        /// The lower confidence bound on parity, percent (nil for a move that needs no evidence).
        public var parityBound: Double?

        /// Whether the change may happen.
        public var allowed: Bool { verdict == .allowed }
    }

    /// Whether `from` → `to` may happen on this evidence. Moving back (`swift` → `live` → `shadow`
    /// → `legacy`) is always allowed; moving to `live` or `swift` needs the lower one-sided Wilson
    /// bound on parity (``confidence``) at or above ``minimumParity``, at least
    /// ``minimumComparisons``, and Swift not shown slower. Parity at or below the threshold so far is
    /// refused (no more evidence at that rate passes); above it but not yet bounded is inconclusive.
    /// - Parameters:
    ///   - from: The current flag.
    ///   - to: The requested flag.
    ///   - evidence: The country's evidence in the window.
    public func decide(from: CutoverFlag, to: CutoverFlag, evidence: CutoverEvidence) -> Decision {
        decide(from: FlagSetting(from), to: FlagSetting(to), evidence: evidence)
    }

    /// ``decide(from:to:evidence:)`` for ramp steps: `live` at a higher percentage is a step forward
    /// too, and needs the same evidence.
    public func decide(from: FlagSetting, to: FlagSetting, evidence: CutoverEvidence) -> Decision {
        guard to.state == .live || to.state == .swift, from.isForward(to: to) else {
            return Decision(verdict: .allowed, reasons: [], parityBound: nil)
        }
        let threshold = minimumParity / 100
        let bound = CutoverStatistics.wilsonLowerBound(
            successes: evidence.atParity, trials: evidence.comparisons, confidence: confidence)
        var reasons: [String] = []
        var verdict = GateVerdict.allowed
        let observed = evidence.comparisons == 0 ? 0 : Double(evidence.atParity) / Double(evidence.comparisons)
        let confidenceText = "\(Self.number(confidence * 100))%"
        if evidence.comparisons > 0 && observed <= threshold {
            verdict = .refused
            reasons.append(
                "parity \(Self.percent(observed * 100)) over \(evidence.comparisons) comparisons is not above \(Self.percent(minimumParity)): more evidence at this rate cannot pass"
            )
        } else if bound < threshold || evidence.comparisons < minimumComparisons {
            let needed = max(
                CutoverStatistics.cleanComparisonsNeeded(
                    successes: evidence.atParity, trials: evidence.comparisons, threshold: threshold,
                    confidence: confidence) ?? Int.max,
                minimumComparisons - evidence.comparisons)
            verdict = .inconclusive(needed: needed == Int.max ? nil : needed)
            var text =
                "inconclusive: parity is at least \(Self.percent(bound * 100)) at \(confidenceText) over \(evidence.comparisons) comparisons, not yet \(Self.percent(minimumParity))"
            if needed != Int.max {
                text += "; about \(needed) more clean comparisons"
                if evidence.lastHourComparisons > 0 {
                    let hours = Double(needed) / Double(evidence.lastHourComparisons)
                    text += ", ~" + Self.duration(hours: hours) + " at the last hour's pace"
                }
            }
            reasons.append(text)
        }
        if judgesLatency, let p = evidence.swiftSlowerPValue, p < latencySignificance {
            verdict = .refused
            reasons.append(
                "Swift renders slower than legacy (one-sided Mann-Whitney p = \(Self.number(p)); p99 Swift \(Self.milliseconds(evidence.swiftP99Ms)), legacy \(Self.milliseconds(evidence.legacyP99Ms)))"
            )
        }
        return Decision(verdict: verdict, reasons: reasons, parityBound: bound * 100)
    }

    /// The sequential test a `live` country is watched with: a CUSUM between the mismatch rate the
    /// threshold allows and ten times that (0.1% against 1% by default).
    public var sequentialRevert: SequentialRevert {
        let acceptable = min(0.05, max(1e-6, 1 - minimumParity / 100))
        return SequentialRevert(acceptable: acceptable, unacceptable: acceptable * 10, limit: revertLimit)
    }

    private static func number(_ value: Double) -> String {
        value >= 0.001 ? String(format: "%.3g", value) : String(format: "%.1e", value)
    }

    /// `12 min`, `3.5 h`, `4 days`: how long a wait of `hours` reads best.
    public static func duration(hours: Double) -> String {
        if hours < 1 { return "\(max(1, Int((hours * 60).rounded()))) min" }
        if hours < 48 { return String(format: "%.1f h", hours) }
        return String(format: "%.0f days", hours / 24)
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
