import DocumentStore
import Foundation
import GRDB
import InvoiceRenderers
import KafkaIO
import ShadowCore
import ShadowServe
import ShadowStore
import TestSupport
import Testing

/// `Tests/Hostile/` (and the big ones made here) through a real serve on the embedded broker.
@Suite struct HostileTests {
    @Test func everyHostileMessageIsDeadLetteredAndRecordedAndValidOnesFlow() async throws {
        let fixture = try ServeFixture(name: "hostile")
        defer { fixture.remove() }
        let (broker, producer, store) = (fixture.broker, fixture.producer, fixture.store)
        let serving = try await fixture.start(
            legacy: LegacyRenderer(service: try await TestSupport.legacy(), timeout: .seconds(20)),
            objects: try DirectoryObjectStore(root: fixture.objectsDirectory), source: "hostile")
        let engine = serving.engine
        func waitFor(_ completed: Int) async throws {
            let done = try await serving.waitUntil(completed: completed, timeout: .seconds(90))
            #expect(done, "serve recorded \(engine.counters.completed) of \(completed)")
        }
        func valid(_ index: Int) throws -> [UInt8] {
            try TestSupport.sampleEvent { event in
                event["event_id"] = String(format: "8b1c2b1e-8d4a-4a51-9a53-%012d", index)
                event["invoice_seq"] = 7_000 + index
            }
        }

        // Given the hostile files, each between two valid events, plus a key without a value,
        // 100,000 nested arrays and an event reusing a recorded id with other content
        let hostileDirectory = TestSupport.repositoryRoot.appendingPathComponent("Tests/Hostile")
        var hostile: [(name: String, key: [UInt8]?, value: [UInt8])] = try FileManager.default
            .contentsOfDirectory(atPath: hostileDirectory.path).filter { $0 != "README.md" }.sorted().map {
                ($0, nil, Array(try Data(contentsOf: hostileDirectory.appendingPathComponent($0))))
            }
        hostile.append(("key without value", Array("some-key".utf8), []))
        hostile.append(
            (
                "deeply nested", nil,
                Array(String(repeating: "[", count: 100_000).utf8)
                    + Array(String(repeating: "]", count: 100_000).utf8)
            ))
        hostile.append(
            (
                "duplicate event id", nil,
                try TestSupport.sampleEvent { event in
                    event["event_id"] = String(format: "8b1c2b1e-8d4a-4a51-9a53-%012d", 0)
                    event["invoice_seq"] = 1
                }
            ))
        var sent = 0
        _ = try await producer.send(topic: "money.events", key: nil, value: try valid(0))
        sent += 1
        try await waitFor(1)  // the duplicate's original is recorded first
        for (index, message) in hostile.enumerated() {
            _ = try await producer.send(topic: "money.events", key: message.key, value: message.value)
            _ = try await producer.send(topic: "money.events", key: nil, value: try valid(index + 1))
            sent += 2
        }
        try await waitFor(sent)
        // And, alone, a 4 MB event; then valid events again. (librdkafka 2.0.2's mock cluster keeps
        // at most about 5 MB per partition: measured, a 10 MB message is dropped from the log at
        // once, so 10 MB cannot travel through the embedded broker; the test below takes a 10 MB
        // event through both implementations and the store.)
        var huge = try TestSupport.sampleEvent { event in
            event["event_id"] = "8b1c2b1e-8d4a-4a51-9a53-999999999999"
            event["customer"] = ["id": "c", "name": "@@", "email": "x@example.de"]
        }
        let marker = huge.firstRange(of: Array("@@".utf8))!
        huge.replaceSubrange(marker, with: Array(repeating: UInt8(ascii: "x"), count: 4_000_000))
        hostile.append(("4 MB event", nil, huge))
        _ = try await producer.send(topic: "money.events", key: nil, value: huge)
        sent += 1
        try await waitFor(sent)
        for index in 100..<103 {
            _ = try await producer.send(topic: "money.events", key: nil, value: try valid(index))
            sent += 1
        }
        try await waitFor(sent)
        try await serving.stop()

        // Then serve is still running and recorded everything; every hostile message is dead-lettered
        // with a reason and has its row; every valid event was published
        let validCount = 1 + (hostile.count - 1) + 3
        #expect(engine.counters.completed == sent)
        #expect(engine.counters.published == validCount)
        #expect(engine.counters.deadLettered == hostile.count)
        let dlq = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "check-dlq", topics: ["money.events.dlq"])
        let dead = await TestSupport.consume(dlq, count: hostile.count, timeout: .seconds(60))
        #expect(dead.count == hostile.count)
        for message in dead {
            let reason = message.headers.first { $0.name == "reason" }.map { String(decoding: $0.value, as: UTF8.self) }
            #expect(reason?.isEmpty == false)
        }
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT event_id, kind FROM comparison").map {
                ($0["event_id"] as String, $0["kind"] as String)
            }
        }
        let kinds = Dictionary(rows, uniquingKeysWith: { first, _ in first })
        for message in hostile {
            var id = EventFacts.read(message.value).eventID
            if message.name == "duplicate event id" { id += "#" + StableHash.fnv1aHex(message.value) }
            let kind = kinds[id]
            #expect(kind != nil && kind != "match", "\(message.name): \(kind ?? "no row")")
        }
        // The duplicate did not take the original's row
        #expect(kinds[String(format: "8b1c2b1e-8d4a-4a51-9a53-%012d", 0)] == "match")
        dlq.close()
        serving.consumer.close()
    }
}

extension HostileTests {
    @Test func aTenMegabyteEventIsRejectedByBothSidesAndRecordedWhole() async throws {
        var huge = try TestSupport.sampleEvent { event in
            event["customer"] = ["id": "c", "name": "@@", "email": "x@example.de"]
        }
        let marker = huge.firstRange(of: Array("@@".utf8))!
        huge.replaceSubrange(marker, with: Array(repeating: UInt8(ascii: "x"), count: 10_000_000))
        let legacy = await LegacyRenderer(service: try await TestSupport.legacy(), timeout: .seconds(30)).render(
            event: huge)
        let swift = await SwiftRenderer().render(event: huge)
        let comparison = OutcomeComparator().compare(facts: EventFacts.read(huge), legacy: legacy, swift: swift)
        #expect(comparison.kind == .invalidEvent, "\(comparison.signature.text)")
        let store = try ShadowStore.inMemory()
        let run = try store.startRun(source: "huge", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        try store.record(
            [ShadowStore.Record(comparison: comparison, event: huge, primary: .legacy, recordedAt: Date())], runID: run)
        let stored = try store.read { db in try Data.fetchOne(db, sql: "SELECT event FROM discrepancy") }
        #expect(stored?.count == huge.count)
    }
}
