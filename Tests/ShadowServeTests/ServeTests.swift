import EventGenerator
import Foundation
import KafkaIO
import ShadowCore
import ShadowHarness
import ShadowServe
import ShadowStore
import TestSupport
import Testing

private func drain(_ consumer: KafkaConsumer, count: Int, timeout: Duration) async -> [KafkaMessage] {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            var messages: [KafkaMessage] = []
            let deadline = ContinuousClock.now + timeout
            while messages.count < count, ContinuousClock.now < deadline {
                if let message = consumer.poll(timeout: .milliseconds(200)) { messages.append(message) }
            }
            continuation.resume(returning: messages)
        }
        thread.start()
    }
}

@Suite struct ServeTests {
    @Test func eventsFlowFromKafkaToTheStoreTheOutputTopicAndTheDeadLetterTopic() async throws {
        // Given an embedded broker with the three topics, and 200 generated events (some invalid) plus garbage
        let broker = try EmbeddedKafkaBroker.make()
        for topic in ["money.events", "money.events.dlq", "invoices.rendered"] {
            try broker.createTopic(topic, partitions: 3)
        }
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        var events = EventGenerator(invalidShare: 0.05).events(seed: 11, count: 200).map { Array($0.utf8) }
        events += [Array("not json".utf8), [], [0xFF, 0xFE]]
        for event in events { _ = try await producer.send(topic: "money.events", key: nil, value: event) }
        let invalid = events.filter { event in
            (try? SwiftRenderer().service.render(event: event)) == nil
        }.count

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try ShadowStore.open(path: directory.appendingPathComponent("shadow.db").path)
        let objects = try DirectoryObjectStore(root: directory.appendingPathComponent("objects").path)
        // JP is served by Swift with the legacy in shadow; every other country by the legacy
        try store.setFlag(country: "JP", to: .live, actor: "test", reason: "test", force: true)

        // When serve runs until every event is done
        let consumer = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "invoice-shadow", topics: ["money.events"])
        let engine = ServeEngine(
            consumer: consumer, producer: producer, legacy: LegacyRenderer(service: try await TestSupport.legacy()),
            swift: SwiftRenderer(), comparator: OutcomeComparator(), store: store, objects: objects)
        let run = try store.startRun(source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let serving = Task { try await engine.run(runID: run) }
        let deadline = ContinuousClock.now + .seconds(60)
        while engine.counters.completed < events.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        engine.stop()
        try await serving.value

        // Then every event has exactly one row, and all compared at parity
        let counters = engine.counters
        #expect(counters.completed == events.count)
        #expect(try store.comparisonCount() == Set(events.map { EventFacts.read($0).eventID }).count)
        let report = try store.report(runID: run, minParity: 100)
        #expect(report.parity == 100, "\(report.byKind.filter { $0.value.count > 0 })")
        // Valid events are published once each, invalid ones reach the dead-letter topic with a reason
        #expect(counters.published == events.count - invalid)
        #expect(counters.deadLettered == invalid)
        let output = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "check-output", topics: ["invoices.rendered"])
        let published = await drain(output, count: counters.published, timeout: .seconds(30))
        #expect(published.count == counters.published)
        let japanese = published.filter { $0.key.map { String(decoding: $0, as: UTF8.self).hasPrefix("JP-") } == true }
        #expect(!japanese.isEmpty)
        #expect(
            japanese.allSatisfy {
                $0.headers.contains(KafkaMessage.Header(name: "implementation", value: Array("swift".utf8)))
            })
        let html = try #require(published.first?.headers.first { $0.name == "html-object" })
        #expect(try objects.get(String(decoding: html.value, as: UTF8.self))?.isEmpty == false)
        let dlq = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "check-dlq", topics: ["money.events.dlq"])
        let dead = await drain(dlq, count: invalid, timeout: .seconds(30))
        #expect(dead.count == invalid)
        #expect(
            dead.allSatisfy { message in
                message.headers.contains { $0.name == "reason" && $0.value.starts(with: Array("invalid event: ".utf8)) }
            })
        // And the group's committed offsets cover every event
        var committed: Int64 = 0
        for partition: Int32 in 0..<3 {
            committed += try consumer.committedOffset(topic: "money.events", partition: partition) ?? 0
        }
        #expect(committed == Int64(events.count))
        consumer.close()
        output.close()
        dlq.close()
    }
}
