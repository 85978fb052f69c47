import EventGenerator
import Foundation
import KafkaIO
import Logging
import ShadowLogging
import Synchronization
import TestSupport
import Testing

/// A real consumer-group rebalance on the embedded broker, seen from serve.
@Suite struct RebalanceTests {
    @Test func partitionsTheGroupMovesAreLoggedAndCounted() async throws {
        // Given serve alone in its group on a three-partition topic, done with 30 events
        let fixture = try ServeFixture(name: "rebalance")
        defer { fixture.remove() }
        let output = LogOutput.capture()
        let serving = try await fixture.start(
            logger: Logger.shadow(label: "serve-test", format: .text, level: .info, output: output))
        let events = EventGenerator(invalidShare: 0).events(seed: 5, count: 30).map { Array($0.utf8) }
        try await fixture.send(events)
        #expect(try await serving.waitUntil(completed: 30))
        func metric(_ name: String) -> Double? {
            let text = String(decoding: serving.engine.metrics.exposition(), as: UTF8.self)
            return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap {
                Double($0.split(separator: " ")[1])
            }
        }
        // (TestSupport.eventually waits 120 s: beside the other suites, a rebalance on the embedded
        // broker takes several times as long as alone.)
        #expect(try await TestSupport.eventually { metric("invoice_shadow_assigned_partitions") == 3 })
        #expect(output.lines.contains { $0.contains("assigned this member its partitions") })
        #expect(metric("invoice_shadow_assignment_changes_total") == 0)

        // When a second member joins the group (and polls, as a member must)
        let other = try KafkaConsumer.make(
            bootstrapServers: fixture.broker.bootstrapServers, groupID: "invoice-shadow", topics: ["money.events"])
        let polling = Mutex(true)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while polling.withLock({ $0 }) { _ = other.poll(timeout: .milliseconds(100)) }
            done.signal()
        }

        // Then serve gives up some of its partitions, says which, and counts the change
        let shrunk = try await TestSupport.eventually { (metric("invoice_shadow_assigned_partitions") ?? 3) < 3 }
        polling.withLock { $0 = false }
        done.wait()
        other.close()
        #expect(shrunk)
        #expect((metric("invoice_shadow_assignment_changes_total") ?? 0) >= 1)
        #expect(
            output.lines.contains { $0.contains("the consumer group moved partitions") && $0.contains("revoked=") },
            "\(output.lines.filter { $0.contains("partitions") })")
        // And when that member has left, serve has all three again, with every event's one row
        #expect(try await TestSupport.eventually { metric("invoice_shadow_assigned_partitions") == 3 })
        try await serving.stop()
        serving.consumer.close()
        #expect(try fixture.store.comparisonCount() == 30)
    }
}
