import EventGenerator
import Foundation
import GRDB
import Logging
import ShadowCore
import ShadowLogging
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

@Suite struct StoreFullTests {
    @Test func aFullStorePausesConsumingIsLoggedAndResumesWithEveryEventRecordedOnce() async throws {
        // Given serve recording into a store, its log captured
        let fixture = try ServeFixture(name: "store-full", partitions: 1)
        defer { fixture.remove() }
        let output = LogOutput.capture()
        let serving = try await fixture.start(
            logger: Logger.shadow(label: "serve", format: .text, level: .info, output: output))
        let events = EventGenerator().events(seed: 43, count: 400).map { Array($0.utf8) }
        try await fixture.send(events.prefix(50))
        #expect(try await serving.waitUntil(completed: 50))

        // When the store's file can grow no more (SQLite's max_page_count: a full disk)
        let pages = try fixture.store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try fixture.store.limitPages(pages)
        try await fixture.send(events.suffix(350))
        // Then the store check fails and the log names the file and SQLite's error
        let deadline = ContinuousClock.now + .seconds(30)
        while !serving.engine.health.failing.contains(where: { $0.check == .store }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(serving.engine.health.failing.map(\.check) == [.store])
        let logged = output.lines.first { $0.contains("cannot write") && $0.contains("retrying") }
        #expect(logged?.contains("file=\(fixture.store.path)") == true, "\(output.lines)")
        #expect(logged?.contains("full") == true, "\(logged ?? "no line")")
        // And consuming pauses: what is taken and not recorded stays within the windows
        try await Task.sleep(for: .seconds(2))
        let stalled = serving.engine.counters
        #expect(stalled.completed < 400)
        #expect(stalled.consumed - stalled.completed <= 256 + 4 * 64)
        let metrics = String(decoding: serving.engine.metrics.exposition(), as: UTF8.self)
        #expect(metrics.contains(#"invoice_shadow_retries_total{target="store"}"#))

        // When space returns, everything is recorded, once, and the check passes again
        try fixture.store.limitPages(0)
        #expect(try await serving.waitUntil(completed: 400))
        #expect(serving.engine.health.failing.isEmpty)
        try await serving.stop()
        #expect(try fixture.store.comparisonCount() == Set(events.map { EventFacts.read($0).eventID }).count)
        #expect(output.lines.contains { $0.contains("the store takes rows again") })
    }
}
