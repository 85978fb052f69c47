import Foundation
import ShadowCore
import ShadowStore
import Testing

@testable import ShadowServe

@Suite struct RecordedEventFilterTests {
    @discardableResult
    private func record(_ ids: [String], in store: ShadowStore, run: Int64? = nil) throws -> Int64 {
        let run =
            try run ?? store.startRun(source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let records = ids.map { id in
            let facts = EventFacts(eventID: id, country: "SE", businessLine: "eats", eventType: "order_delivered")
            let side = SideResult(outcome: .invalidEvent(field: "x", reason: "test"), latency: .zero)
            return ShadowStore.Record(
                comparison: OutcomeComparator().compare(facts: facts, legacy: side, swift: nil), event: [],
                primary: .legacy, recordedAt: Date())
        }
        try store.record(records, runID: run)
        return run
    }

    @Test func everyRecordedIdMayBeThereAndFewOthersAre() throws {
        // Given a store with 30,000 rows, read a chunk at a time
        let store = try ShadowStore.inMemory()
        let recorded = (0..<30_000).map { "recorded-\($0)" }
        try record(recorded, in: store)
        let filter = RecordedEventFilter(expected: 1_000)
        // Before the table is read through, every id may be there
        #expect(filter.mayContain(["never-1", "never-2"]) == [true, true])
        #expect(try filter.catchUp(from: store, chunk: 7_000))
        #expect(!filter.isComplete)
        while try filter.catchUp(from: store, chunk: 7_000) {}
        #expect(filter.isComplete)
        // Then no recorded id is missed, and ids never recorded mostly answer "no"
        #expect(filter.mayContain(recorded).allSatisfy { $0 })
        let others = (0..<20_000).map { "never-\($0)" }
        let falsePositives = filter.mayContain(others).filter { $0 }.count
        #expect(falsePositives < 20, "\(falsePositives) of 20,000")
        // And rows recorded later are read by the next catch-up, ids inserted are there at once
        try record(["later"], in: store)
        #expect(filter.mayContain(["later"]) == [false])
        #expect(try !filter.catchUp(from: store, chunk: 7_000))
        filter.insert(["inserted"])
        #expect(filter.mayContain(["later", "inserted"]) == [true, true])
        // And a catch-up for a run leaves that run's rows to it (it inserts what it records), not others'
        let mine = try store.startRun(source: "mine", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        try record(["mine"], in: store, run: mine)
        try record(["theirs"], in: store)
        #expect(try !filter.catchUp(from: store, chunk: 7_000, run: mine))
        #expect(filter.mayContain(["mine", "theirs"]) == [false, true])
    }

    @Test func aFilterPastItsSizeRebuildsForTheStoresRowsAndMissesNothing() throws {
        // Given a filter sized for 1,000 ids (2 MiB: 2^24 bits, room for 2^20 ids) that has taken
        // 2.2 million, past 8 bits each, of a store that holds two rows now (retention deleted the
        // rest, say)
        let store = try ShadowStore.inMemory()
        let filter = RecordedEventFilter(expected: 1_000)
        #expect(filter.capacity == 1 << 20)
        let many = (0..<2_200_000).map { "id-\($0)" }
        filter.insert(many)
        try record(["stored-0", "stored-1"], in: store)
        // When it catches up, it starts again from the first row, sized for the store's rows and
        // the headroom, not for the ids it had taken (twice those would be 2^23 ids)
        #expect(try filter.catchUp(from: store))
        #expect(!filter.isComplete)
        #expect(filter.capacity == 1 << 20)
        #expect(filter.mayContain(["anything"]) == [true])
        while try filter.catchUp(from: store) {}
        // Then the rows are in again (ids only inserted before the rebuild were never rows: the
        // engine inserts what it records, and the catch-up reads every row)
        #expect(filter.isComplete)
        #expect(filter.mayContain(["stored-0", "stored-1"]) == [true, true])
    }
}
