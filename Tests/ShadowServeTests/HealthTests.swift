import EventGenerator
import Foundation
import ShadowServe
import TestSupport
import Testing

@Suite struct ServeHealthTests {
    @Test func aBrokerThatGoesDownFailsTheBrokerCheckAndItsReturnPassesIt() async throws {
        // Given serve consuming from the embedded broker, with events recorded
        let fixture = try ServeFixture(name: "health-broker")
        defer { fixture.remove() }
        let events = EventGenerator().events(seed: 41, count: 40).map { Array($0.utf8) }
        try await fixture.send(events.prefix(20))
        let serving = try await fixture.start()
        #expect(try await serving.waitUntil(completed: 20))
        #expect(serving.engine.health.failing.isEmpty)

        // When the broker goes down
        try fixture.broker.setBroker(1, up: false)
        // Then the broker check fails within seconds, and the gauge says so
        let down = ContinuousClock.now + .seconds(30)
        while !serving.engine.health.failing.contains(where: { $0.check == .broker }), ContinuousClock.now < down {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(serving.engine.health.failing.map(\.check) == [.broker])
        let metrics = String(decoding: serving.engine.metrics.exposition(), as: UTF8.self)
        #expect(metrics.contains(#"invoice_shadow_health{check="broker"} 0"#))

        // When it comes back, the check passes again and the events sent meanwhile are recorded
        try fixture.broker.setBroker(1, up: true)
        try await fixture.send(events.suffix(20))
        let up = ContinuousClock.now + .seconds(30)
        while !serving.engine.health.failing.isEmpty, ContinuousClock.now < up {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(serving.engine.health.failing.isEmpty)
        #expect(try await serving.waitUntil(completed: 40))
        let after = String(decoding: serving.engine.metrics.exposition(), as: UTF8.self)
        #expect(after.contains(#"invoice_shadow_health{check="broker"} 1"#))
        try await serving.stop()
        #expect(try fixture.store.comparisonCount() == 40)
    }
}
