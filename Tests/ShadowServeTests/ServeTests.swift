import DocumentStore
import EventGenerator
import Foundation
import GRDB
import InvoiceRenderers
import KafkaIO
import ShadowCore
import ShadowServe
import ShadowStore
import Synchronization
import TestSupport
import Testing

@Suite struct ServeTests {
    @Test func eventsFlowFromKafkaToTheStoreTheOutputTopicAndTheDeadLetterTopic() async throws {
        // Given an embedded broker with the three topics, and 200 generated events (some invalid) plus garbage
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let (broker, store) = (fixture.broker, fixture.store)
        var events = EventGenerator(invalidShare: 0.05).events(seed: 11, count: 200).map { Array($0.utf8) }
        events += [Array("not json".utf8), [], [0xFF, 0xFE]]
        try await fixture.send(events)
        let invalid = events.filter { event in
            (try? SwiftRenderer().service.render(event: event)) == nil
        }.count
        let objects = try PackedObjectStore(directory: fixture.objectsDirectory)
        // JP is served by Swift with the legacy in shadow; every other country by the legacy
        try store.setFlag(country: "JP", to: .live, actor: "test", reason: "test", force: true)

        // When serve runs until every event is done
        let timings = Mutex<[ServeEngine.PrimaryTiming]>([])
        var configuration = ServeEngine.Configuration()
        configuration.primaryTimingObserver = { timing in timings.withLock { $0.append(timing) } }
        let serving = try await fixture.start(objects: objects, configuration: configuration)
        let (engine, consumer, run) = (serving.engine, serving.consumer, serving.runID)
        try await serving.waitUntil(completed: events.count)
        try await serving.stop()

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
        let published = await TestSupport.consume(output, count: counters.published, timeout: .seconds(30))
        #expect(published.count == counters.published)
        let japanese = published.filter { $0.key.map { String(decoding: $0, as: UTF8.self).hasPrefix("JP-") } == true }
        #expect(!japanese.isEmpty)
        #expect(
            japanese.allSatisfy {
                $0.headers.contains(KafkaMessage.Header(name: "implementation", value: Array("swift".utf8)))
            })
        let html = try #require(published.first?.headers.first { $0.name == "html-object" })
        #expect(try objects.get(String(decoding: html.value, as: UTF8.self))?.isEmpty == false)
        // Every published invoice can be fetched by its number (what GET /invoices/{number} serves)
        for message in published {
            let number = String(decoding: message.key ?? [], as: UTF8.self)
            let stored = try objects.invoice(number: number)
            #expect(stored?.json == message.value, "\(number)")
            let document = String(decoding: stored?.html ?? [], as: UTF8.self)
            #expect(document.contains(number))
        }
        // Every primary path was timed, and its stages fit inside its total
        let primaryTimings = timings.withLock { $0 }
        #expect(primaryTimings.count == events.count)
        for timing in primaryTimings {
            let stages =
                timing.beforeRender + timing.renderCall + timing.batchWait + timing.objectStore + timing.kafka
            #expect(stages <= timing.total && timing.total - stages < .milliseconds(50))
            #expect(timing.render <= timing.renderCall && timing.kafka > .zero)
        }
        #expect(primaryTimings.filter { $0.objectStore > .zero }.count == counters.published)
        // The metrics saw what the counters saw
        let metrics = String(decoding: engine.metrics.exposition(), as: UTF8.self)
        #expect(metrics.contains("invoice_shadow_events_total \(events.count)"))
        #expect(metrics.contains("invoice_shadow_dead_lettered_total \(invalid)"))
        #expect(metrics.contains("invoice_shadow_comparisons_total{country=\"JP\",kind=\"match\"}"))
        // (counted a batch at a time: the labelled counters add up to every event recorded)
        let comparisonsCounted = metrics.split(separator: "\n")
            .filter { $0.hasPrefix("invoice_shadow_comparisons_total{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
        #expect(Int(comparisonsCounted) == events.count)
        #expect(metrics.contains("invoice_shadow_events_in_flight 0"))
        let dlq = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "check-dlq", topics: ["money.events.dlq"])
        let dead = await TestSupport.consume(dlq, count: invalid, timeout: .seconds(30))
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

@Suite struct PortPrimaryBatchTests {
    @Test func anIdHeldByAnEventStillInFlightIsCaughtAndARedeliveryIsRepublished() async throws {
        // Given 60 distinct events preloaded on one partition (so that serve takes them in batches),
        // among them one reusing the 11th event's id with other content and a redelivery of the 21st
        let fixture = try ServeFixture(partitions: 1)
        defer { fixture.remove() }
        let (broker, store) = (fixture.broker, fixture.store)
        func event(_ index: Int, sequence: Int? = nil) throws -> [UInt8] {
            try TestSupport.sampleEvent { event in
                event["event_id"] = String(format: "5f0c2b1e-8d4a-4a51-9a53-%012d", index)
                event["invoice_seq"] = sequence ?? 9_000 + index
            }
        }
        var events = try (0..<60).map { try event($0) }
        let impostor = try event(10, sequence: 1)
        events.insert(impostor, at: 30)
        events.insert(events[20], at: 40)
        try await fixture.send(events)
        for country in ContractCountry.codes {
            try store.setFlag(country: country, to: .swift, actor: "test", reason: "test", force: true)
        }

        // When serve, with the port primary everywhere, has done every event
        let serving = try await fixture.start()
        let engine = serving.engine
        try await serving.waitUntil(completed: events.count)
        try await serving.stop()
        serving.consumer.close()

        // Then the impostor is dead-lettered and recorded under an id of its own, the original keeps
        // its row, and the redelivery is published again (the same invoice) without a second row
        let counters = engine.counters
        #expect(counters.completed == 62)
        #expect(counters.redelivered == 1)
        #expect(counters.deadLettered == 1)
        #expect(counters.published == 61)
        #expect(try store.comparisonCount() == 61)
        let original = String(format: "5f0c2b1e-8d4a-4a51-9a53-%012d", 10)
        // (events[10] is the original: the bytes sent, since JSONSerialization's key order can
        // change from one call to the next)
        #expect(try store.recordedEventHash(eventID: original) == StableHash.fnv1aHex(events[10]))
        #expect(try store.recordedEventHash(eventID: original + "#" + StableHash.fnv1aHex(impostor)) != nil)
        let dlq = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "check-dlq", topics: ["money.events.dlq"])
        let dead = await TestSupport.consume(dlq, count: 1, timeout: .seconds(30))
        #expect(dead.first?.value == impostor)
        #expect(
            dead.first?.headers.contains {
                $0.name == "reason" && String(decoding: $0.value, as: UTF8.self).contains("duplicate event_id")
            } == true)
        dlq.close()
    }
}

@Suite struct ExactIDTests {
    @Test func idsThatOnlyCanonicalEquivalenceMakesOneAreTwoEvents() async throws {
        // Given two events whose ids are "caf\u{E9}-…" and "cafe\u{301}-…" (one id to Swift's
        // String ==, two to SQLite and Python) in one batch, and the same two again, redelivered
        let fixture = try ServeFixture(partitions: 1)
        defer { fixture.remove() }
        let store = fixture.store
        let ids = ["caf\u{E9}-0001", "cafe\u{301}-0001"]
        let events = try ids.enumerated().map { index, id in
            try TestSupport.sampleEvent { event in
                event["event_id"] = id
                event["invoice_seq"] = 7_000 + index
            }
        }
        try await fixture.send(events + events)
        for country in ContractCountry.codes {
            try store.setFlag(country: country, to: .swift, actor: "test", reason: "test", force: true)
        }

        // When serve has done all four
        let serving = try await fixture.start()
        try await serving.waitUntil(completed: 4)
        try await serving.stop()
        serving.consumer.close()

        // Then each id has its own row with its own event's hash, and no event was taken for an
        // impostor of the other (a duplicate's row would be keyed "<id>#<hash>"); the second two
        // were counted as delivered again
        #expect(try store.comparisonCount() == 2)
        #expect(serving.engine.counters.redelivered == 2)
        for (id, event) in zip(ids, events) {
            #expect(try store.recordedEventHash(eventID: id) == StableHash.fnv1aHex(event))
            #expect(try store.recordedEventHash(eventID: id + "#" + StableHash.fnv1aHex(events[0])) == nil)
            #expect(try store.recordedEventHash(eventID: id + "#" + StableHash.fnv1aHex(events[1])) == nil)
        }
    }
}

@Suite struct EarlierRunTests {
    @Test func anIdRecordedByAnEarlierRunIsCaughtOnceServeHasReadTheStoreAtStart() async throws {
        // Given five events recorded by one serve run, and a second run started afterwards, given
        // time to read the recorded ids (its filter, which the duplicate check asks first)
        let fixture = try ServeFixture(partitions: 1)
        defer { fixture.remove() }
        let store = fixture.store
        func event(_ index: Int, sequence: Int) throws -> [UInt8] {
            try TestSupport.sampleEvent { event in
                event["event_id"] = String(format: "7a1d0c3e-2b4f-4c6d-8e9f-%012d", index)
                event["invoice_seq"] = sequence
            }
        }
        let first = try (0..<5).map { try event($0, sequence: 100 + $0) }
        try await fixture.send(first)
        let earlier = try await fixture.start()
        #expect(try await earlier.waitUntil(completed: 5))
        try await earlier.stop()
        earlier.consumer.close()
        let serving = try await fixture.start()
        try await Task.sleep(for: .seconds(2))
        // When it gets an event reusing the third one's id with other content, a redelivery of the
        // second, and a new event
        let impostor = try event(2, sequence: 999)
        try await fixture.send([impostor, first[1], try event(5, sequence: 105)])
        #expect(try await serving.waitUntil(completed: 3))
        try await serving.stop()
        serving.consumer.close()
        // Then the impostor is dead-lettered under an id of its own, the original keeps its row, and
        // the redelivery and the new event are published
        let counters = serving.engine.counters
        #expect(counters.deadLettered == 1)
        #expect(counters.published == 2)
        #expect(counters.redelivered == 1)
        let metrics = String(decoding: serving.engine.metrics.exposition(), as: UTF8.self)
        #expect(metrics.contains("invoice_shadow_redelivered_total 1"), "\(metrics)")
        let original = String(format: "7a1d0c3e-2b4f-4c6d-8e9f-%012d", 2)
        #expect(try store.recordedEventHash(eventID: original) == StableHash.fnv1aHex(first[2]))
        #expect(try store.recordedEventHash(eventID: original + "#" + StableHash.fnv1aHex(impostor)) != nil)
        #expect(try store.comparisonCount() == 7)
    }
}

@Suite struct ServeResilienceTests {
    private func startServe() async throws -> (fixture: ServeFixture, serving: ServeFixture.Serving) {
        let fixture = try ServeFixture()
        return (fixture, try await fixture.start(objects: try DirectoryObjectStore(root: fixture.objectsDirectory)))
    }

    private func germanEvents(_ count: Int, seed: UInt64) -> [[UInt8]] {
        EventGenerator(invalidShare: 0).events(seed: seed, count: count * 12).map { Array($0.utf8) }
            .filter { EventFacts.read($0).country == "DE" }.prefix(count).map { $0 }
    }

    @Test func aFlagChangeIsPickedUpWithinASecond() async throws {
        let (fixture, serving) = try await startServe()
        defer { fixture.remove() }
        let before = germanEvents(20, seed: 1)
        try await fixture.send(before)
        try await serving.waitUntil(completed: before.count)

        // When DE goes to swift while serve runs
        try fixture.store.setFlag(country: "DE", to: .swift, actor: "test", reason: "test", force: true)
        try await Task.sleep(for: .milliseconds(1200))
        let after = germanEvents(20, seed: 2)
        try await fixture.send(after)
        try await serving.waitUntil(completed: before.count + after.count)
        try await serving.stop()

        // Then the events before were served by the legacy, the ones after by Swift
        let sides = try fixture.store.read { db in
            try Row.fetchAll(db, sql: "SELECT event_id, primary_side FROM comparison").reduce(into: [String: String]())
            {
                $0[$1["event_id"]] = $1["primary_side"]
            }
        }
        #expect(before.allSatisfy { sides[EventFacts.read($0).eventID] == "legacy" })
        #expect(after.allSatisfy { sides[EventFacts.read($0).eventID] == "swift" })
    }

    @Test func aBrokerOutageDuringServeLosesNothing() async throws {
        let (fixture, serving) = try await startServe()
        defer { fixture.remove() }
        let events = EventGenerator(invalidShare: 0).events(seed: 3, count: 150).map { Array($0.utf8) }
        try await fixture.send(events.prefix(50))
        try await serving.waitUntil(completed: 50)

        // The broker goes away for two seconds while more events are on their way
        try fixture.broker.setBroker(1, up: false)
        let sending = Task { try await fixture.send(events.dropFirst(50)) }
        try await Task.sleep(for: .seconds(2))
        try fixture.broker.setBroker(1, up: true)
        try await sending.value
        // (Counted by rows, not by completions: if the consumer's session lapsed while it could not
        // reach the broker, the events done after the last commit come again and count twice.)
        let deadline = ContinuousClock.now + .seconds(60)
        while try fixture.store.comparisonCount() < 150, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await serving.stop()  // after the events in flight are done

        // Then every event has its one row, every event taken was done and its invoice published
        // (again, for a redelivery: the first publish may not have happened), and the output topic
        // holds every invoice
        #expect(try fixture.store.comparisonCount() == 150)
        let counters = serving.engine.counters
        #expect(counters.completed == counters.consumed && counters.completed >= 150, "\(counters)")
        #expect(counters.published == counters.completed && counters.deadLettered == 0, "\(counters)")
        #expect(counters.redelivered == counters.completed - 150, "\(counters)")
        let output = try KafkaConsumer.make(
            bootstrapServers: fixture.broker.bootstrapServers, groupID: "check-output", topics: ["invoices.rendered"])
        let published = await TestSupport.consume(output, count: counters.published, timeout: .seconds(30))
        #expect(Set(published.compactMap(\.key)).count == 150)
        output.close()
    }
}
