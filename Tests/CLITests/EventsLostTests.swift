import EventGenerator
import Foundation
import KafkaIO
import TestSupport
import Testing

extension RealProcesses {
    @Suite struct EventsLostTests {
        @Test func eventsTheBrokerDropsBeforeServeReadsThemAreLoggedCountedRecordedAndShown() async throws {
            // Given a real serve consuming a one-partition topic of the embedded broker (which keeps
            // about 4.5 MB per partition and drops the oldest beyond that)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lost-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let db = directory.appendingPathComponent("shadow.db").path
            let broker = try EmbeddedKafkaBroker.make()
            try broker.createTopic("money.events", partitions: 1)
            let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
            let events = EventGenerator().events(seed: 45, count: 12_200).map { Array($0.utf8) }
            func send(_ slice: ArraySlice<[UInt8]>) async throws {
                let messages = slice.map { OutgoingMessage(topic: "money.events", key: nil, value: $0) }
                for report in await producer.sendAll(messages) { _ = try report.get() }
            }
            try await send(events.prefix(200))
            let serve = try ServeProcess([
                "--brokers", broker.bootstrapServers, "--db", db, "--objects",
                directory.appendingPathComponent("objects").path, "--http", "127.0.0.1:0", "--group", "lost",
            ])
            defer { serve.terminateIfRunning() }
            let recorded = ContinuousClock.now + .seconds(60)
            while try ShadowStoreProbe.count(db) < 200, ContinuousClock.now < recorded {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try ShadowStoreProbe.count(db) == 200)

            // When serve is stopped (SIGSTOP) while 12 MB more arrive, so that the broker drops most
            // of them before serve can read them, and then continues (SIGCONT)
            serve.signal(SIGSTOP)
            try await send(events.suffix(12_000))
            serve.signal(SIGCONT)

            // Then every event is either recorded or counted lost, and the loss is not silent
            func lost() throws -> Int {
                try ShadowStoreProbe.scalar(
                    db, "SELECT COALESCE(SUM(last_offset - first_offset + 1), 0) FROM lost_events")
            }
            let settled = ContinuousClock.now + .seconds(120)
            while try ShadowStoreProbe.count(db) + lost() < 12_200, ContinuousClock.now < settled {
                try await Task.sleep(for: .milliseconds(250))
            }
            let (rows, missing) = (try ShadowStoreProbe.count(db), try lost())
            #expect(rows + missing == 12_200)
            #expect(missing > 1_000)
            let health = await serve.get("health")
            #expect(health?.status == 503)
            #expect(health?.body.contains(#""check":"events_lost""#) == true, "\(health?.body ?? "")")
            let metrics = await serve.get("metrics")
            #expect(metrics?.body.contains("invoice_shadow_events_lost_total \(missing)") == true)
            let overview = await serve.get("")
            #expect(overview?.body.contains(#"id="lost-events""#) == true)
            #expect(try await serve.waitForExitAfter(SIGTERM) == 0)
            let log = serve.log
            #expect(log.contains("events lost before they were consumed"), "\(log.suffix(2_000))")
            #expect(log.contains("kafka.partition=0"))
        }
    }
}
