import Foundation
import GRDB
import ShadowCore

/// What the dashboard shows, read from the store in one read transaction: per country over the
/// cutover window, parity over time, and the latency distribution of each side.
public struct DashboardSnapshot: Codable, Sendable, Equatable {
    /// One country's row.
    public struct CountryRow: Codable, Sendable, Equatable {
        /// ISO country code.
        public var country: String
        /// Its cutover flag now.
        public var flag: CutoverFlag
        /// With `live`, the share of its customers Swift serves (100 otherwise).
        public var percentage: Double = 100
        /// Comparisons in the window whose published invoice was Swift's.
        public var swiftServed: Int = 0
        /// Comparisons in the window, skipped shadows excluded.
        public var comparisons: Int
        /// Percent of them at parity; nil when there were none.
        public var parity: Double?
        /// Legacy render latency in the window.
        public var legacyLatency: ParityReport.Latency
        /// Swift render latency in the window.
        public var swiftLatency: ParityReport.Latency
        /// Shadow runs skipped in the window.
        public var skippedShadows: Int
        /// The most frequent signature that is not at parity, if any.
        public var topSignature: SignatureCount?

        enum CodingKeys: String, CodingKey {
            case country, flag, comparisons, parity, percentage
            case swiftServed = "swift_served"
            case legacyLatency = "legacy_latency_ms"
            case swiftLatency = "swift_latency_ms"
            case skippedShadows = "skipped_shadows"
            case topSignature = "top_signature"
        }
    }

    /// A signature and how often it was seen.
    public struct SignatureCount: Codable, Sendable, Equatable {
        /// Its id (16 hex digits).
        public var id: String
        /// `country|line|kind|paths`.
        public var text: String
        /// The signature's comparison kind.
        public var kind: String
        /// Comparisons with it in the window.
        public var count: Int
        /// Its builds: whether it appeared after a version change.
        public var versions = SignatureVersions()
    }

    /// Parity in one slice of the window.
    public struct ParityPoint: Codable, Sendable, Equatable {
        /// Start of the slice, Unix milliseconds.
        public var startMs: Int64
        /// Comparisons in it.
        public var comparisons: Int
        /// Percent at parity; nil when there were none.
        public var parity: Double?

        enum CodingKeys: String, CodingKey {
            case startMs = "start_ms"
            case comparisons, parity
        }
    }

    /// What Swift served in one slice of the window.
    public struct SharePoint: Codable, Sendable, Equatable {
        /// Start of the slice, Unix milliseconds.
        public var startMs: Int64
        /// Invoices served (every row: compared, one-sided, or with its shadow skipped).
        public var served: Int
        /// Of them, served by Swift.
        public var swift: Int

        /// Percent served by Swift; nil when nothing was served.
        public var share: Double? { served == 0 ? nil : Double(swift) * 100 / Double(served) }

        enum CodingKeys: String, CodingKey {
            case startMs = "start_ms"
            case served, swift
        }
    }

    /// One histogram bucket: render times up to `upperMs` (and above the previous bucket's).
    public struct Bucket: Codable, Sendable, Equatable {
        /// Upper bound in milliseconds; nil for the last, open bucket.
        public var upperMs: Double?
        /// Renders in it.
        public var count: Int

        enum CodingKeys: String, CodingKey {
            case upperMs = "upper_ms"
            case count
        }
    }

    /// The window, hours.
    public var windowHours: Double
    /// When it was read, Unix milliseconds.
    public var generatedMs: Int64
    /// One row per country of the contract, in the contract's order.
    public var countries: [CountryRow]
    /// Parity per slice of the window, oldest first.
    public var parityOverTime: [ParityPoint]
    /// Latency histogram per side (`legacy`, `swift`).
    public var latencyHistogram: [String: [Bucket]]
    /// Swift's share of the invoices served per slice of the window, oldest first: under `all`, and
    /// under each country's code.
    public var swiftShareOverTime: [String: [SharePoint]] = [:]

    enum CodingKeys: String, CodingKey {
        case windowHours = "window_hours"
        case generatedMs = "generated_ms"
        case countries
        case parityOverTime = "parity_over_time"
        case latencyHistogram = "latency_histogram"
        case swiftShareOverTime = "swift_share_over_time"
    }

    /// The histogram's bucket bounds, milliseconds.
    public static let bucketBoundsMs: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000]
}

/// Everything about one signature, for its page.
public struct SignatureDetail: Codable, Sendable, Equatable {
    /// One example event.
    public struct Example: Codable, Sendable, Equatable {
        /// The event's id.
        public var eventID: String
        /// The event as text (invalid UTF-8 replaced).
        public var event: String
        /// JSON-path differences.
        public var differences: [JSONDifference]
        /// Line diff of the canonical HTML (`-` legacy, `+` Swift).
        public var htmlDiff: [String]
        /// Each side's HTML, when it rendered.
        public var legacyHTML: String?
        /// Swift's HTML, when it rendered.
        public var swiftHTML: String?
        /// Each side's error (JSON text), when it failed.
        public var legacyError: String?
        /// Swift's error.
        public var swiftError: String?

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id"
            case event, differences
            case htmlDiff = "html_diff"
            case legacyHTML = "legacy_html"
            case swiftHTML = "swift_html"
            case legacyError = "legacy_error"
            case swiftError = "swift_error"
        }
    }

    /// The signature's id (a hash of its text), as in `/signatures/{id}`.
    public var id: String
    /// `country|line|kind|paths`.
    public var text: String
    /// The country code the signature is for.
    public var country: String
    /// The business line (`rides`, `eats`).
    public var businessLine: String
    /// The comparison kind (`mismatch`, `legacy_error`, ...).
    public var kind: String
    /// The differing JSON-pointer paths, array indices generalized to `*`.
    public var paths: [String]
    /// Comparisons with it (all runs).
    public var count: Int
    /// First seen, Unix milliseconds.
    public var firstSeenMs: Int64
    /// Last seen, Unix milliseconds.
    public var lastSeenMs: Int64
    /// Countries where the same kind of difference at the same paths was seen, with counts.
    public var countriesAffected: [String: Int]
    /// Up to a few example events.
    public var examples: [Example]
    /// The versions it was first and last seen with, and those the store ran with before it first
    /// appeared, when it appeared after a version change.
    public var versions = SignatureVersions()

    enum CodingKeys: String, CodingKey {
        case id, text, country, kind, paths, count, examples, versions
        case businessLine = "business_line"
        case firstSeenMs = "first_seen_ms"
        case lastSeenMs = "last_seen_ms"
        case countriesAffected = "countries_affected"
    }
}

/// Which builds a signature was seen with.
public struct SignatureVersions: Codable, Sendable, Equatable {
    /// The versions it was first seen with (nil for signatures recorded before versions were).
    public var first: ShadowStore.Versions?
    /// The versions it was last seen with.
    public var last: ShadowStore.Versions?
    /// The versions the store saw before ``first``, when it has seen others: the signature appeared
    /// after a version change, and this is the build it did not appear with.
    public var before: ShadowStore.Versions?

    /// No versions known.
    public init(
        first: ShadowStore.Versions? = nil, last: ShadowStore.Versions? = nil, before: ShadowStore.Versions? = nil
    ) {
        self.first = first
        self.last = last
        self.before = before
    }

    /// "the port changed", "the legacy changed", "both changed"; nil when it did not appear after a change.
    public var change: String? {
        guard let first, let before else { return nil }
        switch (first.legacy != before.legacy, first.port != before.port) {
        case (true, true): return "both implementations changed"
        case (true, false): return "the legacy changed"
        case (false, true): return "the port changed"
        case (false, false): return nil
        }
    }
}

extension ShadowStore {
    /// The dashboard's numbers over the policy's window ending at `now`.
    /// - Parameters:
    ///   - policy: Its window is the dashboard's.
    ///   - slices: How many points the parity-over-time chart has.
    ///   - now: The end of the window.
    public func dashboard(policy: CutoverPolicy = CutoverPolicy(), slices: Int = 24, now: Date = Date()) throws
        -> DashboardSnapshot
    {
        let nowMs = milliseconds(now)
        let windowMs = Int64(policy.windowHours * 3_600_000)
        let since = nowMs - windowMs
        let flags = try flagSettings()
        let parityKinds = Self.parityKindsSQL
        return try read { db in
            var counts: [String: (n: Int, ok: Int, skipped: Int, swift: Int)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT country, SUM(kind != 'skipped') AS n, SUM(kind IN (\(parityKinds))) AS ok,
                        SUM(kind = 'skipped') AS skipped, SUM(primary_side = 'swift') AS swift
                    FROM comparison WHERE recorded_ms >= ? GROUP BY country
                    """, arguments: [since])
            {
                counts[row["country"]] = (row["n"] ?? 0, row["ok"] ?? 0, row["skipped"] ?? 0, row["swift"] ?? 0)
            }
            var latencies: [String: [String: [Int64]]] = [:]
            var histogram: [String: [Int]] = [:]
            for (side, column) in [("legacy", "legacy_us"), ("swift", "swift_us")] {
                var buckets = [Int](repeating: 0, count: DashboardSnapshot.bucketBoundsMs.count + 1)
                let cursor = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT country, \(column) AS us FROM comparison
                        WHERE recorded_ms >= ? AND \(column) IS NOT NULL ORDER BY country, \(column)
                        """, arguments: [since])
                while let row = try cursor.next() {
                    let value: Int64 = row["us"]
                    latencies[row["country"], default: [:]][side, default: []].append(value)
                    let ms = Double(value) / 1000
                    let index =
                        DashboardSnapshot.bucketBoundsMs.firstIndex { ms <= $0 }
                        ?? DashboardSnapshot.bucketBoundsMs.count
                    buckets[index] += 1
                }
                histogram[side] = buckets
            }
            var top: [String: DashboardSnapshot.SignatureCount] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT c.country, s.id, s.country AS s_country, s.business_line, s.kind, s.paths, COUNT(*) AS n
                    FROM comparison c JOIN signature s ON s.id = c.signature_id
                    WHERE c.recorded_ms >= ? AND c.kind NOT IN (\(parityKinds)) AND c.kind != 'skipped'
                    GROUP BY c.country, s.id ORDER BY c.country, n DESC, s.id
                    """, arguments: [since])
            {
                let country: String = row["country"]
                guard top[country] == nil else { continue }
                let signature = try Self.signature(row, countryColumn: "s_country")
                top[country] = DashboardSnapshot.SignatureCount(
                    id: row["id"], text: signature.text, kind: signature.kind.rawValue, count: row["n"])
            }
            let rows = ContractCountry.codes.map { country in
                let tally = counts[country] ?? (0, 0, 0, 0)
                let setting = flags[country] ?? FlagSetting(Self.defaultFlag)
                return DashboardSnapshot.CountryRow(
                    country: country, flag: setting.state, percentage: setting.percentage,
                    swiftServed: tally.swift, comparisons: tally.n,
                    parity: tally.n == 0 ? nil : Double(tally.ok) * 100 / Double(tally.n),
                    legacyLatency: ParityReport.Latency(sortedMicroseconds: latencies[country]?["legacy"] ?? []),
                    swiftLatency: ParityReport.Latency(sortedMicroseconds: latencies[country]?["swift"] ?? []),
                    skippedShadows: tally.skipped, topSignature: top[country])
            }

            // The charts span the window, or only the time since the oldest comparison in it (but at
            // least ten minutes) when that is shorter: a harness that started minutes ago shows its
            // minutes, not one point at the end of a day.
            let oldest = try Int64.fetchOne(
                db, sql: "SELECT MIN(recorded_ms) FROM comparison WHERE recorded_ms >= ?", arguments: [since])
            let chartSince = max(since, min(oldest ?? since, nowMs - 600_000))
            let sliceMs = max(1, (nowMs - chartSince) / Int64(max(1, slices)) + 1)
            var points = (0..<max(1, slices)).map { index in
                DashboardSnapshot.ParityPoint(
                    startMs: chartSince + Int64(index) * sliceMs, comparisons: 0, parity: nil)
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT (recorded_ms - ?) / ? AS slice, COUNT(*) AS n, SUM(kind IN (\(parityKinds))) AS ok
                    FROM comparison WHERE recorded_ms >= ? AND kind != 'skipped' GROUP BY slice
                    """, arguments: [chartSince, sliceMs, chartSince])
            {
                let index = min(points.count - 1, max(0, row["slice"] as Int))
                let n: Int = row["n"]
                let ok: Int = row["ok"]
                let total = points[index].comparisons + n
                let previousOK = (points[index].parity ?? 0) * Double(points[index].comparisons) / 100
                points[index].comparisons = total
                points[index].parity = total == 0 ? nil : (previousOK + Double(ok)) * 100 / Double(total)
            }
            let emptyShares = points.map { DashboardSnapshot.SharePoint(startMs: $0.startMs, served: 0, swift: 0) }
            var shares = ["all": emptyShares]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT (recorded_ms - ?) / ? AS slice, country, COUNT(*) AS n, SUM(primary_side = 'swift') AS swift
                    FROM comparison WHERE recorded_ms >= ? GROUP BY slice, country
                    """, arguments: [chartSince, sliceMs, chartSince])
            {
                let index = min(points.count - 1, max(0, row["slice"] as Int))
                for key in ["all", row["country"] as String] {
                    shares[key, default: emptyShares][index].served += row["n"] as Int
                    shares[key, default: emptyShares][index].swift += row["swift"] as Int
                }
            }
            var snapshot = DashboardSnapshot(
                windowHours: policy.windowHours, generatedMs: nowMs, countries: rows, parityOverTime: points,
                latencyHistogram: histogram.mapValues { counts in
                    counts.enumerated().map { index, count in
                        DashboardSnapshot.Bucket(
                            upperMs: index < DashboardSnapshot.bucketBoundsMs.count
                                ? DashboardSnapshot.bucketBoundsMs[index] : nil, count: count)
                    }
                })
            snapshot.swiftShareOverTime = shares
            return snapshot
        }
    }

    /// The signatures not at parity, most frequent first (all runs).
    public func signatureCounts(limit: Int = 100) throws -> [DashboardSnapshot.SignatureCount] {
        try read { db in
            let builds = try Builds(db)
            // Comparisons still kept, and those retention folded into the daily counts.
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.country, s.business_line, s.kind, s.paths, s.first_build_id, s.last_build_id,
                        SUM(n) AS n FROM (
                        SELECT signature_id, COUNT(*) AS n FROM comparison
                        WHERE kind NOT IN (\(Self.parityKindsSQL)) GROUP BY signature_id
                        UNION ALL
                        SELECT signature_id, SUM(count) AS n FROM daily_count
                        WHERE kind NOT IN (\(Self.parityKindsSQL)) GROUP BY signature_id
                    ) AS counted JOIN signature s ON s.id = counted.signature_id
                    GROUP BY s.id ORDER BY n DESC, s.id LIMIT ?
                    """, arguments: [limit]
            ).map { row throws in
                let signature = try Self.signature(row, countryColumn: "country")
                var count = DashboardSnapshot.SignatureCount(
                    id: row["id"], text: signature.text, kind: signature.kind.rawValue, count: row["n"])
                count.versions = builds.signature(first: row["first_build_id"], last: row["last_build_id"])
                return count
            }
        }
    }

    /// Every build the store has seen, by id (a handful of rows), read once by a query that names
    /// the builds of many signatures.
    struct Builds {
        private let byID: [Int64: (versions: Versions, firstMs: Int64)]

        init(_ db: Database) throws {
            var byID: [Int64: (versions: Versions, firstMs: Int64)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, legacy, port, first_ms FROM build") {
                byID[row["id"]] = (Versions(legacy: row["legacy"], port: row["port"]), row["first_ms"])
            }
            self.byID = byID
        }

        /// The builds a signature was first and last seen with, and the one the store saw last
        /// before its first, if any.
        func signature(first: Int64?, last: Int64?) -> SignatureVersions {
            var result = SignatureVersions(
                first: first.flatMap { byID[$0]?.versions }, last: last.flatMap { byID[$0]?.versions })
            if let first, let firstMs = byID[first]?.firstMs {
                result.before =
                    byID.filter { $0.value.firstMs < firstMs }
                    .max { ($0.value.firstMs, $0.key) < ($1.value.firstMs, $1.key) }?.value.versions
            }
            return result
        }
    }

    /// The stored events of up to `limit` examples of signature `id`, newest first: what `corpus add`
    /// appends to a corpus (redacted, when the store was written with redaction).
    public func exampleEvents(signature id: String, limit: Int) throws -> [[UInt8]] {
        try read { db in
            try Data.fetchAll(
                db,
                sql: """
                    SELECT d.event FROM comparison c JOIN discrepancy d ON d.event_id = c.event_id
                    WHERE c.signature_id = ? ORDER BY c.recorded_ms DESC, c.event_id LIMIT ?
                    """, arguments: [id, limit]
            ).map { Array($0) }
        }
    }

    /// One signature's page, or nil when the store has no such signature.
    /// - Parameters:
    ///   - id: The signature id.
    ///   - examples: How many example events to include.
    public func signatureDetail(id: String, examples: Int = 5) throws -> SignatureDetail? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT s.id, s.country, s.business_line, s.kind, s.paths, s.first_build_id, s.last_build_id,
                            COUNT(c.event_id) AS n, MIN(c.recorded_ms) AS first_ms, MAX(c.recorded_ms) AS last_ms
                        FROM signature s LEFT JOIN comparison c ON c.signature_id = s.id
                        WHERE s.id = ? GROUP BY s.id
                        """, arguments: [id])
            else { return nil }
            let signature = try Self.signature(row, countryColumn: "country")
            let folded =
                try Int.fetchOne(db, sql: "SELECT SUM(count) FROM daily_count WHERE signature_id = ?", arguments: [id])
                ?? 0
            var affected: [String: Int] = [:]
            for other in try Row.fetchAll(
                db,
                sql: """
                    SELECT c.country, COUNT(*) AS n FROM comparison c JOIN signature s ON s.id = c.signature_id
                    WHERE s.kind = ? AND s.paths = ? GROUP BY c.country
                    """, arguments: [row["kind"] as String, row["paths"] as String])
            {
                affected[other["country"]] = other["n"]
            }
            let stored = try DiscrepancyRecord.fetchAll(
                db,
                sql: """
                    SELECT d.* FROM comparison c JOIN discrepancy d ON d.event_id = c.event_id
                    WHERE c.signature_id = ? ORDER BY c.recorded_ms DESC, c.event_id LIMIT ?
                    """, arguments: [id, examples])
            let examples = try stored.map { example in
                SignatureDetail.Example(
                    eventID: example.eventID, event: String(decoding: example.event, as: UTF8.self),
                    differences: try example.decodedDifferences(), htmlDiff: example.htmlDiffLines,
                    legacyHTML: example.legacyHTML, swiftHTML: example.swiftHTML, legacyError: example.legacyError,
                    swiftError: example.swiftError)
            }
            var detail = SignatureDetail(
                id: row["id"], text: signature.text, country: signature.country, businessLine: signature.businessLine,
                kind: signature.kind.rawValue, paths: signature.paths, count: (row["n"] as Int) + folded,
                firstSeenMs: row["first_ms"] ?? 0, lastSeenMs: row["last_ms"] ?? 0, countriesAffected: affected,
                examples: examples)
            detail.versions = try Builds(db).signature(first: row["first_build_id"], last: row["last_build_id"])
            return detail
        }
    }

    static var parityKindsSQL: String { parityKinds.sorted().map { "'\($0)'" }.joined(separator: ",") }

    /// The kinds that count as parity, by name.
    static let parityKinds = Set(DiscrepancyKind.allCases.filter(\.isParity).map(\.rawValue))

    private static func signature(_ row: Row, countryColumn: String) throws -> Signature {
        let paths = try storedJSON([String].self, row["paths"], column: "paths")
        return Signature(
            country: row[countryColumn], businessLine: row["business_line"],
            kind: DiscrepancyKind(rawValue: row["kind"]) ?? .mismatch, paths: paths)
    }
}
