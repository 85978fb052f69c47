import Foundation
import GRDB
import ShadowCore

extension ShadowStore {
    /// One comparison as `export` writes it: no event, no invoice, nothing personal.
    public struct ExportedComparison: Codable, Sendable, Equatable {
        /// The event's id (`ID#HASH` for a second event that reused an id).
        public var eventID: String
        /// When it was recorded, ISO 8601 UTC with milliseconds.
        public var recordedAt: String
        /// The event's country.
        public var country: String
        /// rides or eats.
        public var businessLine: String
        /// trip_completed, order_delivered or refund_issued.
        public var eventType: String
        /// match, mismatch, legacy_error, swift_error, both_error_same, both_error_different,
        /// invalid_event, timeout, skipped.
        public var kind: String
        /// Whether the kind counts as parity.
        public var atParity: Bool
        /// The signature's id (16 hex digits).
        public var signatureID: String
        /// `country|line|kind|paths`.
        public var signature: String
        /// legacy or swift: which side served.
        public var primarySide: String
        /// Render times, microseconds; absent when that side did not run.
        public var legacyMicroseconds: Int64?
        /// Swift's render time, microseconds.
        public var swiftMicroseconds: Int64?
        /// The `serve --instance` that compared it.
        public var instance: String?
        /// The legacy's content hash it was compared with.
        public var legacyVersion: String?
        /// The port's build id it was compared with.
        public var portVersion: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case eventID = "event_id"
            case recordedAt = "recorded_at"
            case country
            case businessLine = "business_line"
            case eventType = "event_type"
            case kind
            case atParity = "at_parity"
            case signatureID = "signature_id"
            case signature
            case primarySide = "primary_side"
            case legacyMicroseconds = "legacy_us"
            case swiftMicroseconds = "swift_us"
            case instance
            case legacyVersion = "legacy_version"
            case portVersion = "port_version"
        }

        /// The column names, in order.
        public static var columns: [String] { CodingKeys.allCases.map(\.rawValue) }

        /// The values, in the order of ``columns`` (empty for absent ones).
        public var values: [String] {
            [
                eventID, recordedAt, country, businessLine, eventType, kind, atParity ? "true" : "false", signatureID,
                signature, primarySide, legacyMicroseconds.map(String.init) ?? "",
                swiftMicroseconds.map(String.init) ?? "", instance ?? "", legacyVersion ?? "", portVersion ?? "",
            ]
        }
    }

    /// One day's count of one signature in one country, folded or still kept.
    public struct ExportedDay: Codable, Sendable, Equatable {
        /// YYYY-MM-DD, UTC.
        public var day: String
        /// The country.
        public var country: String
        /// The signature's id.
        public var signatureID: String
        /// The comparisons' kind.
        public var kind: String
        /// Whether the kind counts as parity.
        public var atParity: Bool
        /// How many.
        public var count: Int

        enum CodingKeys: String, CodingKey, CaseIterable {
            case day, country
            case signatureID = "signature_id"
            case kind
            case atParity = "at_parity"
            case count
        }

        /// The column names, in order.
        public static var columns: [String] { CodingKeys.allCases.map(\.rawValue) }

        /// The values, in the order of ``columns``.
        public var values: [String] {
            [day, country, signatureID, kind, atParity ? "true" : "false", String(count)]
        }
    }

    /// Calls `body` with each comparison recorded in [`since`, `until`), oldest first, read 5,000 at a
    /// time (an export of millions of rows holds one page in memory, and no read lasts long).
    public func forEachComparison(
        since: Date, until: Date, _ body: (ExportedComparison) throws -> Void
    ) throws {
        var after: (Int64, String)? = nil
        while true {
            let page = try comparisonPage(since: since, until: until, after: after, limit: 5_000)
            for (_, comparison) in page { try body(comparison) }
            guard page.count == 5_000, let last = page.last else { return }
            after = (last.0, last.1.eventID)
        }
    }

    private func comparisonPage(since: Date, until: Date, after: (Int64, String)?, limit: Int) throws
        -> [(Int64, ExportedComparison)]
    {
        let start = after ?? (milliseconds(since), "")
        return try read { db in
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT c.event_id, c.recorded_ms, c.country, c.business_line, c.event_type, c.kind,
                        c.signature_id, s.country AS s_country, s.business_line AS s_line, s.kind AS s_kind, s.paths,
                        c.primary_side, c.legacy_us, c.swift_us, c.instance, b.legacy, b.port
                    FROM comparison c JOIN signature s ON s.id = c.signature_id LEFT JOIN build b ON b.id = c.build_id
                    WHERE (c.recorded_ms > ? OR (c.recorded_ms = ? AND c.event_id > ?)) AND c.recorded_ms < ?
                    ORDER BY c.recorded_ms, c.event_id LIMIT ?
                    """, arguments: [start.0, start.0, start.1, milliseconds(until), limit]
            ).map { row in
                let kind: String = row["kind"]
                let paths = try storedJSON([String].self, row["paths"], column: "signature.paths")
                let recorded: Int64 = row["recorded_ms"]
                let signature: [String] = [
                    row["s_country"], row["s_line"], row["s_kind"], paths.joined(separator: ","),
                ]
                return (
                    recorded,
                    ExportedComparison(
                        eventID: row["event_id"],
                        recordedAt: formatter.string(from: Date(timeIntervalSince1970: Double(recorded) / 1000)),
                        country: row["country"], businessLine: row["business_line"], eventType: row["event_type"],
                        kind: kind, atParity: Self.parityKinds.contains(kind), signatureID: row["signature_id"],
                        signature: signature.joined(separator: "|"), primarySide: row["primary_side"],
                        legacyMicroseconds: row["legacy_us"], swiftMicroseconds: row["swift_us"],
                        instance: row["instance"], legacyVersion: row["legacy"], portVersion: row["port"])
                )
            }
        }
    }

    /// Per UTC day, country, signature and kind in [`since`, `until`): the counts retention folded
    /// and the comparisons still kept, together.
    public func dailyCounts(since: Date, until: Date) throws -> [ExportedDay] {
        return try read { db in
            var counts: [[String]: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT day, country, signature_id, kind, count FROM daily_count WHERE day >= ? AND day < ?
                    UNION ALL
                    SELECT strftime('%Y-%m-%d', recorded_ms / 1000, 'unixepoch'), country, signature_id, kind, COUNT(*)
                    FROM comparison WHERE recorded_ms >= ? AND recorded_ms < ? GROUP BY 1, 2, 3, 4
                    """,
                arguments: [
                    Self.day(milliseconds(since)), Self.day(milliseconds(until)), milliseconds(since),
                    milliseconds(until),
                ])
            {
                counts[[row[0], row[1], row[2], row[3]], default: 0] += row[4] as Int
            }
            return counts.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
                ExportedDay(
                    day: key[0], country: key[1], signatureID: key[2], kind: key[3],
                    atParity: Self.parityKinds.contains(key[3]),
                    count: counts[key]!)
            }
        }
    }
}
