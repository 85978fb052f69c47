/// Everything a parity report shows, built from the store and rendered as HTML, Markdown, JSON
/// and JUnit XML. Encoded with snake_case keys; percentages are 0–100.
public struct ParityReport: Codable, Sendable, Equatable {
    enum CodingKeys: String, CodingKey {
        case run
        case events
        case parity
        case byKind = "by_kind"
        case byCountry = "by_country"
        case byCountryLine = "by_country_line"
        case signatures
        case newSignatures = "new_signatures"
        case latencyMs = "latency_ms"
        case ignoreRules = "ignore_rules"
        case noise
        case minParity = "min_parity"
        case passed
    }

    /// The run the report covers.
    public struct Run: Codable, Sendable, Equatable {
        enum CodingKeys: String, CodingKey {
            case id
            case source
            case startedMs = "started_ms"
            case finishedMs = "finished_ms"
        }

        /// The run number in its database.
        public var id: Int64
        /// What was replayed, or `serve`.
        public var source: String
        /// When the run started, Unix milliseconds.
        public var startedMs: Int64
        /// Unix milliseconds; nil while running.
        public var finishedMs: Int64?

        /// Creates run facts.
        public init(id: Int64, source: String, startedMs: Int64, finishedMs: Int64?) {
            self.id = id
            self.source = source
            self.startedMs = startedMs
            self.finishedMs = finishedMs
        }
    }

    /// Counts for one group of comparisons.
    public struct Tally: Codable, Sendable, Equatable {
        enum CodingKeys: String, CodingKey {
            case events
            case parityEvents = "parity_events"
            case compared
            case parity
            case byKind = "by_kind"
        }

        /// Comparisons in the group.
        public var events: Int
        /// Comparisons that count toward parity.
        public var parityEvents: Int
        /// Comparisons that were compared (not skipped).
        public var compared: Int
        /// `parityEvents / compared × 100`; 100 when nothing was compared.
        public var parity: Double
        /// Count per kind.
        public var byKind: [String: Int]

        /// Tallies `counts` (kind → count).
        public init(counts: [DiscrepancyKind: Int]) {
            events = counts.values.reduce(0, +)
            parityEvents = counts.filter { $0.key.isParity }.values.reduce(0, +)
            compared = events - (counts[.skipped] ?? 0)
            parity = compared == 0 ? 100 : Double(parityEvents) * 100 / Double(compared)
            byKind = Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
        }
    }

    /// One kind's share.
    public struct KindCount: Codable, Sendable, Equatable {
        enum CodingKeys: String, CodingKey {
            case count
            case percent
            case countsAsParity = "counts_as_parity"
        }

        /// Comparisons of this kind.
        public var count: Int
        /// Share of all comparisons, percent.
        public var percent: Double
        /// Whether the kind counts toward parity.
        public var countsAsParity: Bool

        /// Creates a kind count.
        public init(count: Int, percent: Double, countsAsParity: Bool) {
            self.count = count
            self.percent = percent
            self.countsAsParity = countsAsParity
        }
    }

    /// A signature and its rows.
    public struct SignatureSummary: Codable, Sendable, Equatable {
        enum CodingKeys: String, CodingKey {
            case id
            case text
            case country
            case businessLine = "business_line"
            case kind
            case paths
            case count
            case firstSeenMs = "first_seen_ms"
            case lastSeenMs = "last_seen_ms"
            case known
            case example
        }

        /// The signature's id.
        public var id: String
        /// `country|line|kind|paths`.
        public var text: String
        /// The signature's country code.
        public var country: String
        /// The business line.
        public var businessLine: String
        /// The signature's comparison kind (`mismatch`, `legacy_error`, ...).
        public var kind: String
        /// The generalized paths.
        public var paths: [String]
        /// Rows with this signature.
        public var count: Int
        /// Unix milliseconds of the first and last row.
        public var firstSeenMs: Int64
        /// Unix milliseconds of the last row.
        public var lastSeenMs: Int64
        /// Whether the known-differences file lists it, and why.
        public var known: KnownDifference?
        /// One example row.
        public var example: Example?

        /// Creates a summary.
        public init(
            id: String, text: String, country: String, businessLine: String, kind: String, paths: [String],
            count: Int, firstSeenMs: Int64, lastSeenMs: Int64, known: KnownDifference?, example: Example?
        ) {
            self.id = id
            self.text = text
            self.country = country
            self.businessLine = businessLine
            self.kind = kind
            self.paths = paths
            self.count = count
            self.firstSeenMs = firstSeenMs
            self.lastSeenMs = lastSeenMs
            self.known = known
            self.example = example
        }
    }

    /// One example discrepancy.
    public struct Example: Codable, Sendable, Equatable {
        enum CodingKeys: String, CodingKey {
            case eventID = "event_id"
            case differences
            case htmlDiff = "html_diff"
            case legacyError = "legacy_error"
            case swiftError = "swift_error"
        }

        /// The `event_id` of the example event.
        public var eventID: String
        /// The counted differences.
        public var differences: [JSONDifference]
        /// The HTML line diff.
        public var htmlDiff: [String]
        /// The legacy side's failure, if it failed.
        public var legacyError: String?
        /// The Swift side's failure, if it failed.
        public var swiftError: String?

        /// Creates an example.
        public init(
            eventID: String, differences: [JSONDifference], htmlDiff: [String], legacyError: String?,
            swiftError: String?
        ) {
            self.eventID = eventID
            self.differences = differences
            self.htmlDiff = htmlDiff
            self.legacyError = legacyError
            self.swiftError = swiftError
        }
    }

    /// Latency percentiles of one side, in milliseconds.
    public struct Latency: Codable, Sendable, Equatable {
        enum CodingKeys: String, CodingKey {
            case count
            case p50
            case p90
            case p99
            case max
        }

        /// How many renders were timed.
        public var count: Int
        /// The median render time, ms.
        public var p50: Double
        /// 90th percentile.
        public var p90: Double
        /// 99th percentile.
        public var p99: Double
        /// The slowest render, ms.
        public var max: Double

        /// Percentiles of `microseconds` (sorted ascending).
        public init(sortedMicroseconds values: [Int64]) {
            count = values.count
            func percentile(_ p: Double) -> Double {
                guard !values.isEmpty else { return 0 }
                let rank = Int((p * Double(values.count)).rounded(.up)) - 1
                return Double(values[Swift.max(0, Swift.min(values.count - 1, rank))]) / 1000
            }
            p50 = percentile(0.5)
            p90 = percentile(0.9)
            p99 = percentile(0.99)
            max = Double(values.last ?? 0) / 1000
        }
    }

    /// A path noise was seen on.
    public struct Noise: Codable, Sendable, Equatable {
        enum CodingKeys: String, CodingKey {
            case path
            case events
        }

        /// The JSON pointer (generalized) or `html`.
        public var path: String
        /// Events it was seen on.
        public var events: Int

        /// Creates a noise entry.
        public init(path: String, events: Int) {
            self.path = path
            self.events = events
        }
    }

    /// The run the report covers; nil for a report over the whole store.
    public var run: Run?
    /// Comparisons in the run.
    public var events: Int
    /// Percent of compared events at parity.
    public var parity: Double
    /// Per kind: count and share.
    public var byKind: [String: KindCount]
    /// Tallies per country code.
    public var byCountry: [String: Tally]
    /// Per `country/business_line`.
    public var byCountryLine: [String: Tally]
    /// Signatures of comparisons not at parity, most frequent first.
    public var signatures: [SignatureSummary]
    /// Signatures that are not in the known-differences file.
    public var newSignatures: [String]
    /// Latency per side (`legacy`, `swift`).
    public var latencyMs: [String: Latency]
    /// The ignore rules in force.
    public var ignoreRules: [IgnoreRules.Rule]
    /// Paths detected as noise.
    public var noise: [Noise]
    /// The parity the run had to reach, percent.
    public var minParity: Double
    /// Whether parity ≥ `minParity` and no new signature appeared.
    public var passed: Bool

    /// Creates a report.
    public init(
        run: Run?, events: Int, parity: Double, byKind: [String: KindCount], byCountry: [String: Tally],
        byCountryLine: [String: Tally], signatures: [SignatureSummary], newSignatures: [String],
        latencyMs: [String: Latency], ignoreRules: [IgnoreRules.Rule], noise: [Noise], minParity: Double,
        passed: Bool
    ) {
        self.run = run
        self.events = events
        self.parity = parity
        self.byKind = byKind
        self.byCountry = byCountry
        self.byCountryLine = byCountryLine
        self.signatures = signatures
        self.newSignatures = newSignatures
        self.latencyMs = latencyMs
        self.ignoreRules = ignoreRules
        self.noise = noise
        self.minParity = minParity
        self.passed = passed
    }
}

/// One entry of a known-differences file: a legacy behaviour the business decided not to carry over.
public struct KnownDifference: Codable, Sendable, Equatable {
    /// The signature id (or its full text).
    public var signature: String
    /// Why the difference exists.
    public var reason: String
    /// What was decided, by whom.
    public var decision: String

    /// Creates an entry.
    public init(signature: String, reason: String, decision: String) {
        self.signature = signature
        self.reason = reason
        self.decision = decision
    }
}
