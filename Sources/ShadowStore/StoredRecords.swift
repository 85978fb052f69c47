import Foundation
import GRDB
import ShadowCore

// The store's tables as typed records, read through GRDB's query interface: a column is named once,
// in `Columns`, and a row decodes into the record or fails naming what did not fit. (Aggregate
// queries, whose rows are counts, read their few columns by name where they are.)

/// A `flag_audit` row.
struct FlagAuditRecord: FetchableRecord, TableRecord, Decodable {
    static let databaseTableName = "flag_audit"

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let country = Column(CodingKeys.country)
    }

    enum CodingKeys: String, CodingKey {
        case id, country, actor, reason, forced, evidence, instance
        case fromPercentage = "from_percentage"
        case toPercentage = "to_percentage"
        case fromState = "from_state"
        case toState = "to_state"
        case changedMs = "changed_ms"
    }

    var id: Int64
    var country: String
    var fromState: String
    var toState: String
    var actor: String
    var reason: String
    var forced: Bool
    var evidence: String
    var changedMs: Int64
    var instance: String?
    var fromPercentage: Double
    var toPercentage: Double

    /// The change as the API shows it.
    /// - Throws: ``ShadowStoreError`` with `.unreadableRow` when a state or the evidence does not decode.
    func change() throws -> ShadowStore.FlagChange {
        guard let from = CutoverFlag(rawValue: fromState), let to = CutoverFlag(rawValue: toState) else {
            throw ShadowStoreError(
                .unreadableRow, "flag_audit row \(id) names an unknown state (\(fromState) → \(toState))")
        }
        return ShadowStore.FlagChange(
            id: id, country: country, from: from, to: to, actor: actor, reason: reason, forced: forced,
            evidence: try storedJSON(CutoverEvidence.self, evidence, column: "flag_audit.evidence"),
            changedMs: changedMs, instance: instance, fromPercentage: fromPercentage, toPercentage: toPercentage)
    }
}

/// A `discrepancy` row: what a comparison that is not a match keeps.
struct DiscrepancyRecord: FetchableRecord, TableRecord, Decodable {
    static let databaseTableName = "discrepancy"

    enum Columns {
        static let eventID = Column(CodingKeys.eventID)
    }

    enum CodingKeys: String, CodingKey {
        case event, differences
        case eventID = "event_id"
        case htmlDiff = "html_diff"
        case legacyHTML = "legacy_html"
        case swiftHTML = "swift_html"
        case legacyError = "legacy_error"
        case swiftError = "swift_error"
    }

    var eventID: String
    var event: Data
    var differences: String
    var htmlDiff: String
    var legacyHTML: String?
    var swiftHTML: String?
    var legacyError: String?
    var swiftError: String?

    /// The JSON differences, decoded.
    func decodedDifferences() throws -> [JSONDifference] {
        try storedJSON([JSONDifference].self, differences, column: "discrepancy.differences")
    }

    /// The HTML line diff, a line each (none when the documents are equal or ignored).
    var htmlDiffLines: [String] {
        htmlDiff.isEmpty ? [] : htmlDiff.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// A `run` row.
struct RunRecord: FetchableRecord, TableRecord, Decodable {
    static let databaseTableName = "run"

    enum Columns {
        static let id = Column(CodingKeys.id)
    }

    enum CodingKeys: String, CodingKey {
        case id, source
        case startedMs = "started_ms"
        case finishedMs = "finished_ms"
        case ignoreRules = "ignore_rules"
    }

    var id: Int64
    var source: String
    var startedMs: Int64
    var finishedMs: Int64?
    var ignoreRules: String
}
