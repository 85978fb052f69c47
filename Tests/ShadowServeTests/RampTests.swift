import EventGenerator
import Foundation
import GRDB
import ShadowCore
import ShadowStore
import Testing

@Suite struct RampTests {
    /// The event's `customer.id`, read as the test's own JSON parse.
    static func customerID(_ event: [UInt8]) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(event)) as? [String: Any]
        return (object?["customer"] as? [String: Any])?["id"] as? String
    }

    @Test func aLiveRampServesItsShareOfCustomersFromSwiftByTheirBucket() async throws {
        // Given DE live at 50% and 400 generated events
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let events = EventGenerator().events(seed: 31, count: 400).map { Array($0.utf8) }
        try await fixture.send(events)
        try store.setFlag(country: "DE", to: .live, percentage: 50, actor: "test", reason: "ramp", force: true)
        #expect(try store.flagSettings()["DE"] == FlagSetting(.live, percentage: 50))

        // When serve runs until every event is done
        let serving = try await fixture.start(objects: nil)
        #expect(try await serving.waitUntil(completed: events.count))
        try await serving.stop()

        // Then each DE event was served by the side its customer's bucket names, and both sides served
        var expected: [String: String] = [:]
        for event in events {
            let facts = EventFacts.read(event)
            guard facts.country == "DE", let customer = Self.customerID(event) else { continue }
            expected[facts.eventID] =
                RampBucket.isSwift(country: "DE", customerID: customer, percentage: 50) ? "swift" : "legacy"
        }
        let served = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT event_id, primary_side FROM comparison WHERE country = 'DE'")
                .map { (row: Row) -> (String, String) in (row["event_id"], row["primary_side"]) }
        }
        #expect(served.count >= expected.count && expected.count > 20)
        for (id, side) in served where expected[id] != nil { #expect(side == expected[id], "\(id)") }
        #expect(Set(expected.values) == ["swift", "legacy"])
        // And the dashboard shows the ramp and how much of DE Swift served
        let germany = try #require(try store.dashboard().countries.first { $0.country == "DE" })
        #expect(germany.percentage == 50 && germany.flag == .live)
        #expect(germany.swiftServed == served.filter { $0.1 == "swift" }.count && germany.swiftServed > 0)
        // And every other country stays with Python
        #expect(
            try store.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM comparison WHERE country != 'DE' AND primary_side = 'swift'")
            } == 0)
    }

    @Test func raisingARampIsAStepForwardOnItsOwnEvidence() throws {
        let store = try ShadowStore.inMemory()
        let start = Date()
        let step = try store.setFlag(
            country: "FR", to: .live, percentage: 10, actor: "ana", reason: "first step", force: true, now: start)
        #expect(step.toSetting.description == "live 10%" && step.fromSetting.description == "shadow")
        // Raising it needs evidence of its own: none yet since the step began
        #expect(throws: ShadowStoreError.self) {
            try store.setFlag(country: "FR", to: .live, percentage: 25, actor: "ana", reason: "next", now: start)
        }
        // Lowering it, or going back, is always allowed
        let lower = try store.setFlag(
            country: "FR", to: .live, percentage: 5, actor: "ana", reason: "careful", now: start)
        #expect(lower.toPercentage == 5)
        let history = try store.flagHistory(country: "FR")
        #expect(history.map(\.toSetting.description) == ["live 5%", "live 10%"])
        // A flags-topic change proposed from another percentage is superseded
        var stale = try store.proposeFlagChange(
            country: "FR", to: .shadow, actor: "bob", reason: "back", instance: "b")
        stale.fromPercentage = 10
        #expect(
            try store.applyFlagRequests(topic: "shadow.flags", [TopicMessage(partition: 0, offset: 0, value: stale)])
                .isEmpty)
        #expect(try store.flagSettings()["FR"] == FlagSetting(.live, percentage: 5))
    }
}
