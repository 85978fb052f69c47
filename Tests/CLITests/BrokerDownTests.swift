import EventGenerator
import Foundation
import KafkaIO
import TestSupport
import Testing

extension RealProcesses {
    @Suite struct BrokerDownTests {
        @Test func aBrokerDownForThirtySecondsIsLoggedFailsHealthAndServeResumes() async throws {
            // Given a real serve consuming from the embedded broker, with 300 events recorded
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("broker-down-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let db = directory.appendingPathComponent("shadow.db").path
            let broker = try EmbeddedKafkaBroker.make()
            try broker.createTopic("money.events", partitions: 3)
            try broker.createTopic("invoices.rendered", partitions: 3)
            try broker.createTopic("money.events.dlq", partitions: 3)
            let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
            let events = EventGenerator().events(seed: 46, count: 600).map { Array($0.utf8) }
            func send(_ slice: ArraySlice<[UInt8]>) async throws {
                let messages = slice.map { OutgoingMessage(topic: "money.events", key: nil, value: $0) }
                for report in await producer.sendAll(messages) { _ = try report.get() }
            }
            try await send(events.prefix(300))
            let serve = try ServeProcess([
                "--brokers", broker.bootstrapServers, "--db", db, "--objects",
                directory.appendingPathComponent("objects").path, "--http", "127.0.0.1:0", "--group", "down",
            ])
            defer { serve.terminateIfRunning() }
            let recorded = ContinuousClock.now + .seconds(60)
            while try ShadowStoreProbe.count(db) < 300, ContinuousClock.now < recorded {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try ShadowStoreProbe.count(db) == 300)

            // When the broker is down for 30 seconds
            try broker.setBroker(1, up: false)
            let downAt = ContinuousClock.now
            var failing: (status: Int, body: String)?
            while ContinuousClock.now - downAt < .seconds(30) {
                if failing == nil, let health = await serve.get("health"), health.status == 503 {
                    failing = health
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            // Then health said so, naming the broker, and the gauge too
            #expect(failing?.body.contains(#""check":"broker""#) == true, "\(failing?.body ?? "never 503")")
            let metrics = await serve.get("metrics")
            #expect(metrics?.body.contains(#"invoice_shadow_health{check="broker"} 0"#) == true)

            // When it is back and more events arrive, serve resumes: all recorded, health 200
            try broker.setBroker(1, up: true)
            try await send(events.suffix(300))
            let resumed = ContinuousClock.now + .seconds(90)
            while try ShadowStoreProbe.count(db) < 600, ContinuousClock.now < resumed {
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(try ShadowStoreProbe.count(db) == 600)
            var healthy = false
            for _ in 0..<60 where !healthy {
                healthy = await serve.get("health")?.status == 200
                if !healthy { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(healthy)
            #expect(try await serve.waitForExitAfter(SIGTERM) == 0)
            // And the log has librdkafka's report and the check's failure and recovery
            let log = serve.log
            #expect(log.contains("component=kafka"), "\(log.suffix(2_000))")
            #expect(log.contains("health: broker failing"))
            #expect(log.contains("health: broker passes again"))
        }
    }
}
