import Foundation
import GRDB
import ShadowCore

extension ShadowStore {
    /// Builds the parity report of a run from the database.
    /// - Parameters:
    ///   - runID: The run; nil for the latest.
    ///   - known: The known-differences file's entries.
    ///   - minParity: The parity the run must reach, percent.
    ///   - signatureLimit: How many signatures to list (most frequent first).
    /// - Throws: ``ShadowStoreError`` when the database holds no such run.
    public func report(
        runID: Int64? = nil, known: [KnownDifference] = [], minParity: Double = 100, signatureLimit: Int = 50
    )
        throws -> ParityReport
    {
        guard let runID = try runID ?? latestRunID() else {
            throw ShadowStoreError(.noSuchRun, "the store holds no run yet: replay or serve first")
        }
        return try read { db in
            guard let stored = try RunRecord.filter(RunRecord.Columns.id == runID).fetchOne(db) else {
                throw ShadowStoreError(.noSuchRun, "the store has no run \(runID)")
            }
            let run = ParityReport.Run(
                id: stored.id, source: stored.source, startedMs: stored.startedMs, finishedMs: stored.finishedMs)
            let rules = try storedJSON([IgnoreRules.Rule].self, stored.ignoreRules, column: "run.ignore_rules")

            var overall: [DiscrepancyKind: Int] = [:]
            var countries: [String: [DiscrepancyKind: Int]] = [:]
            var lines: [String: [DiscrepancyKind: Int]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT country, business_line, kind, COUNT(*) AS n FROM comparison WHERE run_id = ?
                    GROUP BY country, business_line, kind
                    """, arguments: [runID])
            {
                guard let kind = DiscrepancyKind(rawValue: row["kind"]) else { continue }
                let count: Int = row["n"]
                let country: String = row["country"]
                let line: String = row["business_line"]
                overall[kind, default: 0] += count
                countries[country, default: [:]][kind, default: 0] += count
                lines["\(country)/\(line)", default: [:]][kind, default: 0] += count
            }
            let total = ParityReport.Tally(counts: overall)
            var byKind: [String: ParityReport.KindCount] = [:]
            for kind in DiscrepancyKind.allCases {
                let count = overall[kind] ?? 0
                byKind[kind.rawValue] = ParityReport.KindCount(
                    count: count, percent: total.events == 0 ? 0 : Double(count) * 100 / Double(total.events),
                    countsAsParity: kind.isParity)
            }

            let knownByID = Dictionary(known.map { ($0.signature, $0) }, uniquingKeysWith: { first, _ in first })
            let parityKinds = Self.parityKindsSQL
            var signatures: [ParityReport.SignatureSummary] = []
            var newSignatures: [String] = []
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.country, s.business_line, s.kind, s.paths, COUNT(*) AS n,
                        MIN(c.recorded_ms) AS first_ms, MAX(c.recorded_ms) AS last_ms, MIN(c.event_id) AS example
                    FROM comparison c JOIN signature s ON s.id = c.signature_id
                    WHERE c.run_id = ? AND c.kind NOT IN (\(parityKinds))
                    GROUP BY s.id ORDER BY n DESC, s.id
                    """, arguments: [runID])
            {
                let paths = try storedJSON([String].self, row["paths"], column: "paths")
                let signature = Signature(
                    country: row["country"], businessLine: row["business_line"],
                    kind: DiscrepancyKind(rawValue: row["kind"]) ?? .mismatch, paths: paths)
                let id: String = row["id"]
                let knownEntry = knownByID[id] ?? knownByID[signature.text]
                if knownEntry == nil && signature.kind != .skipped { newSignatures.append(id) }
                guard signatures.count < signatureLimit else { continue }
                signatures.append(
                    ParityReport.SignatureSummary(
                        id: id, text: signature.text, country: signature.country, businessLine: signature.businessLine,
                        kind: signature.kind.rawValue, paths: paths, count: row["n"], firstSeenMs: row["first_ms"],
                        lastSeenMs: row["last_ms"], known: knownEntry, example: try example(db, eventID: row["example"])
                    ))
            }

            var latency: [String: ParityReport.Latency] = [:]
            for (side, column) in [("legacy", "legacy_us"), ("swift", "swift_us")] {
                let values = try Int64.fetchAll(
                    db,
                    sql:
                        "SELECT \(column) FROM comparison WHERE run_id = ? AND \(column) IS NOT NULL ORDER BY \(column)",
                    arguments: [runID])
                latency[side] = ParityReport.Latency(sortedMicroseconds: values)
            }

            var noise: [String: Int] = [:]
            for text in try String.fetchAll(
                db, sql: "SELECT noise_paths FROM comparison WHERE run_id = ? AND noise_paths != '[]'",
                arguments: [runID])
            {
                let paths = try storedJSON([String].self, text, column: "paths")
                for path in Set(paths.map(JSONPointer.generalized)) { noise[path, default: 0] += 1 }
            }

            return ParityReport(
                run: run, events: total.events, parity: total.parity, byKind: byKind,
                byCountry: countries.mapValues(ParityReport.Tally.init(counts:)),
                byCountryLine: lines.mapValues(ParityReport.Tally.init(counts:)), signatures: signatures,
                newSignatures: newSignatures, latencyMs: latency, ignoreRules: rules,
                noise: noise.map { ParityReport.Noise(path: $0.key, events: $0.value) }.sorted { $0.path < $1.path },
                minParity: minParity, passed: total.parity >= minParity && newSignatures.isEmpty)
        }
    }

    private func example(_ db: Database, eventID: String) throws -> ParityReport.Example? {
        guard let stored = try DiscrepancyRecord.filter(DiscrepancyRecord.Columns.eventID == eventID).fetchOne(db)
        else { return nil }
        return ParityReport.Example(
            eventID: eventID, differences: try stored.decodedDifferences(), htmlDiff: stored.htmlDiffLines,
            legacyError: stored.legacyError, swiftError: stored.swiftError)
    }

    /// Each side's mean render time over a run's comparisons, µs (the `legacy_us` and `swift_us`
    /// columns: for the legacy, the Python work alone); nil for a side that never ran.
    public func meanRenderMicroseconds(runID: Int64) throws -> (legacy: Double?, swift: Double?) {
        try read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT AVG(legacy_us) AS legacy, AVG(swift_us) AS swift FROM comparison WHERE run_id = ?",
                arguments: [runID])
            return (row?["legacy"], row?["swift"])
        }
    }
}
