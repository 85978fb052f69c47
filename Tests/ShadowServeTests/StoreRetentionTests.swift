import Foundation
import GRDB
import Logging
import ShadowCore
import ShadowServe
import ShadowStore
import Testing

@Suite struct StoreRetentionTests {
    /// `count` matching comparisons of FR recorded at `at`.
    private func records(_ prefix: String, _ count: Int, at: Date) -> [ShadowStore.Record] {
        (0..<count).map { index in
            let facts = EventFacts(
                eventID: "\(prefix)-\(index)", country: "FR", businessLine: "rides", eventType: "ride_completed")
            let side = SideResult(
                outcome: .rendered(RenderedInvoice(invoiceJSON: #"{"a":1}"#, html: "")), latency: .milliseconds(1))
            return ShadowStore.Record(
                comparison: OutcomeComparator().compare(facts: facts, legacy: side, swift: side), event: [],
                primary: .legacy, recordedAt: at)
        }
    }

    @Test func aPassFoldsWhatIsOlderCountsItAndAFailingPassIsSeenUntilOneSucceeds() async throws {
        // Given a store with 4,500 comparisons from 40 days ago and 100 from now
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID()).db").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try ShadowStore.open(path: path)
        let now = Date()
        let run = try store.startRun(source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: now)
        try store.record(records("old", 4_500, at: now.addingTimeInterval(-40 * 86_400)), runID: run)
        try store.record(records("new", 100, at: now), runID: run)
        let metrics = ServeMetrics()
        let health = ServeHealth(registry: metrics.registry, logger: Logger(label: "test"))
        let retention = StoreRetention(
            store: store, period: .seconds(30 * 86_400), health: health, registry: metrics.registry,
            logger: Logger(label: "test"))

        // And a fault in the store: every delete from comparison fails
        let other = try DatabaseQueue(path: path)
        try await other.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_delete BEFORE DELETE ON comparison BEGIN
                        SELECT RAISE(ABORT, 'deletes refused by the test');
                    END
                    """)
        }
        // When a pass runs, it fails visibly and nothing is lost
        #expect(await retention.pass(now: now).folded == 0)
        #expect(health.failing.map(\.check) == [.retention])
        #expect(health.failing.first?.reason.contains("deletes refused by the test") == true)
        var exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(exposition.contains(#"invoice_shadow_health{check="retention"} 0"#))
        #expect(try store.comparisonCount() == 4_600)

        // When the fault is gone, the next pass folds the old ones (in batches) and says so
        try await other.write { db in try db.execute(sql: "DROP TRIGGER refuse_delete") }
        try other.close()
        #expect(try store.comparisonRowsEstimate() == 4_600)
        let pass = await retention.pass(now: now)
        #expect(pass.folded == 4_500)
        #expect(health.failing.isEmpty)
        #expect(try store.comparisonCount() == 100)
        // (And the cheap estimate of the rows, which sizes serve's recorded-id filter, follows:
        // the largest row number alone would still say 4,600)
        #expect(try store.comparisonRowsEstimate() == 100)
        #expect(try store.dailyParity(days: 60, now: now).map(\.comparisons).reduce(0, +) == 4_600)
        exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(exposition.contains("invoice_shadow_retention_folded_total 4500"))
        #expect(exposition.contains(#"invoice_shadow_health{check="retention"} 1"#))
        // And both passes were timed, the failed one too
        #expect(exposition.contains("invoice_shadow_retention_pass_seconds_count 2"), "\(exposition)")
    }
}
