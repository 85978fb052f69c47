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

    @Test func aRecordWithoutItsUnwrittenBytesIsRecordedAlikeAndADiscrepancyKeepsThem() throws {
        // Given a one-sided render (no discrepancy row) and a mismatch (one), each as it is and slimmed
        let facts = { (id: String) in EventFacts(eventID: id, country: "SE", businessLine: "eats", eventType: "x") }
        let invoice = { (text: String) in RenderedInvoice(invoiceJSON: #"{"t":"\#(text)"}"#, html: "<p>\(text)</p>") }
        let event = Array(#"{"event_id":"e"}"#.utf8)
        let oneSided = ShadowStore.Record(
            comparison: OutcomeComparator().compare(
                facts: facts("one-sided"),
                legacy: SideResult(outcome: .rendered(invoice("a")), latency: .microseconds(7)),
                swift: nil),
            event: event, primary: .swift, recordedAt: Date())
        let mismatch = ShadowStore.Record(
            comparison: OutcomeComparator().compare(
                facts: facts("mismatch"),
                legacy: SideResult(outcome: .rendered(invoice("a")), latency: .microseconds(9)),
                swift: SideResult(outcome: .rendered(invoice("b")), latency: .microseconds(3))),
            event: event, primary: .legacy, recordedAt: Date())
        #expect(!oneSided.keepsDiscrepancy && mismatch.keepsDiscrepancy)
        // Then the one-sided one lets go of its event and invoice, keeping the event's hash and the outcome's kind
        let slim = oneSided.withoutUnwrittenBytes()
        #expect(slim.event.isEmpty && slim.eventHash == StableHash.fnv1aHex(event))
        guard case .rendered(let kept) = slim.comparison.legacy.outcome else {
            Issue.record("the outcome is \(slim.comparison.legacy.outcome)")
            return
        }
        #expect(kept.invoiceJSONBytes.isEmpty && kept.htmlBytes.isEmpty)
        // And the mismatch keeps everything
        #expect(mismatch.withoutUnwrittenBytes().comparison == mismatch.comparison)
        #expect(mismatch.withoutUnwrittenBytes().event == event)
        // And either way the same rows are written
        func rows(_ records: [ShadowStore.Record]) throws -> [[String?]] {
            let store = try ShadowStore.inMemory()
            let run = try store.startRun(
                source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
            try store.record(records, runID: run)
            return try store.read { db in
                let sql = """
                    SELECT c.event_id, c.kind, c.legacy_us, c.swift_us, c.event_hash, d.event, d.legacy_invoice,
                        d.swift_html FROM comparison c LEFT JOIN discrepancy d USING (event_id) ORDER BY c.event_id
                    """
                return try Row.fetchAll(db, sql: sql).map { row in
                    (0..<8).map { (row[$0] as DatabaseValue).description }
                }
            }
        }
        let written = try rows([oneSided, mismatch])
        #expect(try rows([oneSided, mismatch].map { $0.withoutUnwrittenBytes() }) == written)
        // (the mismatch first, with its discrepancy's legacy invoice; the one-sided row without one)
        #expect(written.map { $0[0] } == [#""mismatch""#, #""one-sided""#])
        #expect(written[0][6] != "NULL" && written[1][6] == "NULL")
    }

    @Test func textAndNumbersGoInAsTheyAre() throws {
        // Given a row bound through SQLite's C API (the row writer's path): non-ASCII text, a side
        // that did not run (NULL) and one that did
        let store = try ShadowStore.inMemory()
        try record(store, id: "ü-€-😀", only: .invalidEvent(field: "x", reason: "y"), primary: .legacy)
        let columns = try store.read { db -> [String?] in
            let row = try Row.fetchOne(
                db, sql: "SELECT event_id, legacy_us, swift_us, noise_paths, kind FROM comparison")
            return (0..<5).map { index in row.flatMap { $0[index] as DatabaseValue? }?.description }
        }
        #expect(columns == [#""ü-€-😀""#, "40", "NULL", #""[]""#, #""skipped""#])
        #expect(try store.recordedEventHash(eventID: "ü-€-😀") == StableHash.fnv1aHex(Array("{}".utf8)))
    }

    @Test func anEventRecordedAgainKeepsOnlyItsLatestDiscrepancy() throws {
        let store = try ShadowStore.inMemory()
        let failure = { (message: String) -> RenderOutcome in
            .failed(RenderFailure(origin: "swift", type: "not_implemented", message: message))
        }
        // Given an event whose port failed, then rendered, then failed another way
        try record(store, id: "again", only: failure("first"), primary: .swift)
        #expect(try discrepancies(store)["again"]??.contains("first") == true)
        try record(
            store, id: "again", only: .rendered(RenderedInvoice(invoiceJSON: "{}", html: "<p/>")), primary: .swift)
        // Then a rendering drops the failure's discrepancy, and a later failure is the only one kept
        #expect(try discrepancies(store).isEmpty)
        try record(store, id: "again", only: failure("second"), primary: .swift)
        let rows = try discrepancies(store)
        #expect(rows.count == 1 && rows["again"]??.contains("second") == true)
        #expect(try store.comparisonCount() == 1)
    }
}

@Suite struct RecordedEventHashTests {
    @Test func manyIdsAreLookedUpAtOnceAcrossTheStatementLimit() throws {
        let store = try ShadowStore.inMemory()
        let run = try store.startRun(source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        // Given 700 recorded events (more than one statement's 500 ids), each with its own hash
        let records = (0..<700).map { index in
            let facts = EventFacts(
                eventID: "e\(index)", country: "SE", businessLine: "eats", eventType: "order_delivered")
            let side = SideResult(outcome: .invalidEvent(field: "x", reason: "y"), latency: .zero)
            return ShadowStore.Record(
                comparison: OutcomeComparator().compare(facts: facts, legacy: side, swift: nil),
                event: Array("{\"n\":\(index)}".utf8), primary: .swift, recordedAt: Date(), eventHash: "h\(index)")
        }
        try store.record(records, runID: run)
        // When recorded and unknown ids are asked for together
        let asked = (0..<700).filter { $0 % 3 == 0 }.map { "e\($0)" } + ["unknown-1", "unknown-2"]
        let found = try store.recordedEventHashes(eventIDs: asked)
        // Then exactly the recorded ones come back, each with its own hash, as the one-id lookup gives
        #expect(found.count == asked.count - 2)
        #expect(found["e0"] == "h0" && found["e699"] == "h699" && found["unknown-1"] == nil)
        for id in ["e3", "e501", "e699"] { #expect(found[ExactText(id)] == (try store.recordedEventHash(eventID: id))) }
        #expect(try store.recordedEventHashes(eventIDs: ["e6"]) == ["e6": "h6"])
        #expect(try store.recordedEventHashes(eventIDs: ["nope"]).isEmpty)
        #expect(try store.recordedEventHashes(eventIDs: []).isEmpty)
    }
}
