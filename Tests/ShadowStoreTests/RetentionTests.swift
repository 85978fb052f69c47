import Foundation
import ShadowCore
import ShadowStore
import Testing

/// `count` comparisons of DE recorded at `at`: matches, or mismatches at `path`.
private func records(_ prefix: String, _ count: Int, at: Date, mismatchAt path: String? = nil) -> [ShadowStore.Record] {
    (0..<count).map { index in
        let facts = EventFacts(
            eventID: "\(prefix)-\(index)", country: "DE", businessLine: "eats", eventType: "order_delivered")
        let right = SideResult(
            outcome: .rendered(RenderedInvoice(invoiceJSON: #"{"a":1}"#, html: "")), latency: .milliseconds(1))
        let left =
            path.map {
                SideResult(
                    outcome: .rendered(RenderedInvoice(invoiceJSON: #"{"\#($0)":2}"#, html: "")),
                    latency: .milliseconds(2))
            } ?? right
        return ShadowStore.Record(
            comparison: OutcomeComparator().compare(facts: facts, legacy: left, swift: right),
            event: Array(#"{"event_id":"\#(prefix)-\#(index)"}"#.utf8), primary: .legacy, recordedAt: at)
    }
}

@Suite struct RetentionTests {
    @Test func oldComparisonsAreFoldedDeletedAndGivenBackButExamplesStay() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retain-\(UUID()).db").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try ShadowStore.open(path: path)
        #expect(try store.reclaimsSpace())
        let t0 = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30
        let run = try store.startRun(source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: t0)
        let mismatches = records("m", 20, at: t0, mismatchAt: "tax")
        try store.record(records("old", 5_000, at: t0) + mismatches, runID: run)
        try store.record(records("new", 100, at: t0.addingTimeInterval(2 * 86_400)), runID: run)
        let signature = mismatches[0].comparison.signature.id
        let pagesBefore = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }

        // A small batch leaves more to do
        let first = try await store.retainStep(before: t0.addingTimeInterval(86_400), batch: 1_000)
        #expect(first.more && first.folded + first.kept == 1_000)
        while try await store.retainStep(before: t0.addingTimeInterval(86_400), batch: 1_000).more {}

        // Everything older than a day is folded, but five examples of the mismatch
        #expect(try store.comparisonCount() == 105)
        let detail = try #require(try store.signatureDetail(id: signature))
        #expect(detail.count == 20)
        #expect(detail.examples.count == 5)
        #expect(try store.exampleEvents(signature: signature, limit: 10).count == 5)
        #expect(try store.signatureCounts().first { $0.id == signature }?.count == 20)
        // Parity per day is still there
        let days = try store.dailyParity(days: 10, now: t0.addingTimeInterval(3 * 86_400))
        #expect(days.map(\.day) == ["2026-11-30", "2026-12-02"])
        #expect(days[0].comparisons == 5_020 && days[0].atParity == 5_000)
        #expect(days[1].comparisons == 100)
        // And the file gives the pages back
        #expect(try await store.reclaim(pages: 100_000) > 0)
        let pagesAfter = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        #expect(pagesAfter < pagesBefore / 2, "\(pagesBefore) → \(pagesAfter) pages")
    }
}
