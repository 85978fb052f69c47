import EventGenerator
import Foundation
import KafkaIO
import Synchronization
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct BrokerDownTests {
    static func get(_ url: String) async -> (status: Int, body: String)? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

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
        let process = Process()
        process.executableURL = TestSupport.executable
        process.arguments = [
            "serve", "--brokers", broker.bootstrapServers, "--db", db, "--objects",
            directory.appendingPathComponent("objects").path, "--http", "127.0.0.1:0", "--group", "down",
        ]
        process.currentDirectoryURL = TestSupport.repositoryRoot
        let (stdout, stderr) = (Pipe(), Pipe())
        process.standardOutput = stdout
        process.standardError = stderr
        let errorText = Mutex(Data())
        let reader = Thread { errorText.withLock { $0 = stderr.fileHandleForReading.readDataToEndOfFile() } }
        try process.run()
        reader.start()
        defer { if process.isRunning { process.terminate() } }
        var address = ""
        for _ in 0..<200 where address.isEmpty {
            let chunk = String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self)
            if let line = chunk.split(separator: "\n").first(where: { $0.hasPrefix("http: ") }) {
                address = String(line.dropFirst("http: ".count))
            }
        }
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
            if failing == nil, let health = await Self.get(address + "health"), health.status == 503 {
                failing = health
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        // Then health said so, naming the broker, and the gauge too
        #expect(failing?.body.contains(#""check":"broker""#) == true, "\(failing?.body ?? "never 503")")
        let metrics = await Self.get(address + "metrics")
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
            healthy = await Self.get(address + "health")?.status == 200
            if !healthy { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(healthy)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        while !reader.isFinished { try await Task.sleep(for: .milliseconds(10)) }
        #expect(process.terminationStatus == 0)
        // And the log has librdkafka's report and the check's failure and recovery
        let log = String(decoding: errorText.withLock { $0 }, as: UTF8.self)
        #expect(log.contains("component=kafka"), "\(log.suffix(2_000))")
        #expect(log.contains("health: broker failing"))
        #expect(log.contains("health: broker passes again"))
    }
}
