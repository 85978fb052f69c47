import Foundation
import GRDB
import ShadowCore

extension ShadowStore {
    /// What one retention step did.
    public struct RetentionStep: Sendable, Equatable {
        /// Comparisons folded into the daily counts and deleted.
        public var folded = 0
        /// Comparisons kept as examples of their signature from now on, whatever their age.
        public var kept = 0
        /// Whether older comparisons remain (another step has work).
        public var more = false

        /// Nothing done yet.
        public init() {}
    }

    /// Folds up to `batch` of the oldest comparisons recorded before `cutoff` into the daily counts
    /// (per UTC day, country, signature and kind) and deletes them with their discrepancy rows, in
    /// one short transaction, so that a writer waiting on the store waits for one batch at most. The
    /// first `examplesPerSignature` discrepancies of each signature it meets are kept instead,
    /// whatever their age, so that every signature keeps examples to show and to pin.
    ///
    /// It waits for the store's writer without holding a thread (the caller is on the cooperative
    /// pool, which the serve pipeline needs).
    public func retainStep(before cutoff: Date, examplesPerSignature: Int = 5, batch: Int = 2_000) async throws
        -> RetentionStep
    {
        let cutoffMs = milliseconds(cutoff)
        return try await writeTransaction { db in
            var step = RetentionStep()

            // In insertion order, which is recording order but for comparisons read late from another
            // instance: those wait until the ones before them have gone.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.rowid AS id, c.country, c.signature_id, c.kind, c.recorded_ms,
                        strftime('%Y-%m-%d', c.recorded_ms / 1000, 'unixepoch') AS day,
                        EXISTS (SELECT 1 FROM discrepancy d WHERE d.event_id = c.event_id) AS detailed
                    FROM comparison c WHERE c.kept = 0 ORDER BY c.rowid LIMIT ?
                    """, arguments: [batch + 1])
            var keptBySignature: [String: Int] = [:]
            var folded: [[String]: Int] = [:]
            var delete: [Int64] = []
            var keep: [Int64] = []
            for row in rows.prefix(batch) {
                let recorded: Int64 = row["recorded_ms"]
                guard recorded < cutoffMs else { break }
                let signature: String = row["signature_id"]
                if row["detailed"] as Bool {
                    if keptBySignature[signature] == nil {
                        keptBySignature[signature] =
                            try Int.fetchOne(
                                db, sql: "SELECT COUNT(*) FROM comparison WHERE signature_id = ? AND kept = 1",
                                arguments: [signature]) ?? 0
                    }
                    if keptBySignature[signature]! < examplesPerSignature {
                        keptBySignature[signature]! += 1
                        keep.append(row["id"])
                        continue
                    }
                }
                // The day from SQLite: a date formatter per row was most of a step's CPU.
                folded[[row["day"], row["country"], signature, row["kind"]], default: 0] += 1
                delete.append(row["id"])
            }
            for (key, count) in folded {
                try db.execute(
                    sql: """
                        INSERT INTO daily_count (day, country, signature_id, kind, count) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (day, country, signature_id, kind) DO UPDATE SET count = count + excluded.count
                        """, arguments: [key[0], key[1], key[2], key[3], count])
            }
            for chunk in stride(from: 0, to: delete.count, by: 500) {
                let ids = delete[chunk..<min(chunk + 500, delete.count)]
                // The discrepancy rows go with them (their foreign key cascades).
                try db.execute(
                    sql: "DELETE FROM comparison WHERE rowid IN (\(ids.map(String.init).joined(separator: ",")))")
            }
            if !keep.isEmpty {
                try db.execute(
                    sql:
                        "UPDATE comparison SET kept = 1 WHERE rowid IN (\(keep.map(String.init).joined(separator: ",")))"
                )
            }
            step.folded = delete.count
            step.kept = keep.count
            step.more = delete.count + keep.count == batch && rows.count > batch
            return step
        }
    }

    /// Gives up to `pages` free pages back to the file system (a store made with incremental vacuum;
    /// on an older one, nothing). Like ``retainStep(before:examplesPerSignature:batch:)``, it waits
    /// for the writer without holding a thread.
    /// - Returns: The pages given back.
    @discardableResult
    public func reclaim(pages: Int = 4_096) async throws -> Int {
        try await writeTransaction { db in
            let before = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            guard before > 0, try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 else { return 0 }
            try db.execute(sql: "PRAGMA incremental_vacuum(\(pages))")
            return before - (try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }
    }

    /// The share of the file's pages that are free (0 to 1).
    public func freeShare() throws -> Double {
        try read { db in
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            return pages == 0 ? 0 : Double(free) / Double(pages)
        }
    }

    /// Whether the file can shrink when comparisons are deleted (it was made with incremental vacuum).
    public func reclaimsSpace() throws -> Bool {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 }
    }

    /// One day's parity, folded and live together.
    public struct DailyParity: Codable, Sendable, Equatable {
        /// The UTC day, YYYY-MM-DD.
        public var day: String
        /// Comparisons that day (one-sided and skipped ones not counted).
        public var comparisons: Int
        /// Of them at parity.
        public var atParity: Int

        enum CodingKeys: String, CodingKey {
            case day, comparisons
            case atParity = "at_parity"
        }
    }

    /// Parity per UTC day over the last `days` days, from the daily counts and the comparisons not
    /// yet folded: the history retention keeps.
    public func dailyParity(days: Int = 90, now: Date = Date()) throws -> [DailyParity] {
        let since = Self.day(milliseconds(now) - Int64(days) * 86_400_000)
        let sinceMs = milliseconds(now) - Int64(days) * 86_400_000
        let parityKinds = Self.parityKindsSQL
        return try read { db in
            var byDay: [String: (Int, Int)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT day, SUM(count) AS n, SUM(CASE WHEN kind IN (\(parityKinds)) THEN count ELSE 0 END) AS ok
                    FROM daily_count WHERE day >= ? AND kind != 'skipped' GROUP BY day
                    UNION ALL
                    SELECT strftime('%Y-%m-%d', recorded_ms / 1000, 'unixepoch') AS day, COUNT(*) AS n,
                        SUM(kind IN (\(parityKinds))) AS ok
                    FROM comparison WHERE recorded_ms >= ? AND kind != 'skipped' GROUP BY day
                    """, arguments: [since, sinceMs])
            {
                let day: String = row["day"]
                let previous = byDay[day] ?? (0, 0)
                byDay[day] = (previous.0 + (row["n"] as Int? ?? 0), previous.1 + (row["ok"] as Int? ?? 0))
            }
            return byDay.keys.sorted().map { DailyParity(day: $0, comparisons: byDay[$0]!.0, atParity: byDay[$0]!.1) }
        }
    }

    /// The UTC day of a Unix-milliseconds time, YYYY-MM-DD.
    static func day(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
