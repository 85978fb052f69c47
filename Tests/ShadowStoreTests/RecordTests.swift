import Foundation
import GRDB
import ShadowCore
import ShadowStore
import Testing

@Suite struct RecordTests {
    private func record(_ store: ShadowStore, id: String, only outcome: RenderOutcome, primary: Implementation) throws {
        let run = try store.startRun(source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let facts = EventFacts(eventID: id, country: "SE", businessLine: "eats", eventType: "order_delivered")
        let comparison = OutcomeComparator().compare(
            facts: facts, legacy: SideResult(outcome: outcome, latency: .microseconds(40)), swift: nil)
        try store.record(
            [ShadowStore.Record(comparison: comparison, event: Array("{}".utf8), primary: primary, recordedAt: Date())],
            runID: run)
    }

    private func discrepancies(_ store: ShadowStore) throws -> [String: String?] {
        try store.read { db in
            var found: [String: String?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT event_id, swift_error FROM discrepancy") {
                found[row["event_id"]] = row["swift_error"] as String?
            }
            return found
        }
    }

    @Test func aOneSidedRenderKeepsItsRowButNoDiscrepancyAndAOneSidedFailureKeepsItsError() throws {
        let store = try ShadowStore.inMemory()
        // Given swift mode: one event rendered, one the port failed on
        try record(
            store, id: "rendered", only: .rendered(RenderedInvoice(invoiceJSON: "{}", html: "<p/>")), primary: .swift)
        try record(
            store, id: "failed",
            only: .failed(RenderFailure(origin: "swift", type: "not_implemented", message: "no rules for XX")),
            primary: .swift)
        // Then both are counted as skipped comparisons, with Swift's latency
        #expect(try store.comparisonCount() == 2)
        let skipped = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM comparison WHERE kind = 'skipped' AND swift_us = 40")
        }
        #expect(skipped == 2)
        // And only the failure has a discrepancy row, carrying the error
        let rows = try discrepancies(store)
        #expect(rows.keys.sorted() == ["failed"])
        #expect(rows["failed"]??.contains("no rules for XX") == true)
    }
}
