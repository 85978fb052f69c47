import EventGenerator
import Foundation
import KafkaIO
import Synchronization
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real serve process whose store and object store live on a small tmpfs that fills up, then
/// grows: the operator's "disk full" (needs root to mount, as CI and these machines run).
@Suite(.serialized) struct DiskFullTests {
    static func mount(_ directory: String, megabytes: Int, remount: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/mount")
        process.arguments =
            ["-t", "tmpfs", "-o", (remount ? "remount," : "") + "size=\(megabytes)m", "tmpfs", directory]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }

    static func unmount(_ directory: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/umount")
        process.arguments = ["-l", directory]
        try? process.run()
        process.waitUntilExit()
    }

    /// GET `url`: the status and the body.
    static func get(_ url: String) async -> (status: Int, body: String)? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func aFullDiskPausesServeWhichResumesByItselfWhenItGrows() async throws {
        // Given a 3 MB filesystem for the store and the object store, and a broker with 2,000 events
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("disk-full-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.mount(directory, megabytes: 3)
        defer {
            Self.unmount(directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("money.events", partitions: 4)
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        let events = EventGenerator().events(seed: 44, count: 2_000).map { Array($0.utf8) }
        for report in await producer.sendAll(events.map { OutgoingMessage(topic: "money.events", key: nil, value: $0) })
        {
            _ = try report.get()
        }

        // When serve consumes them onto it
        let process = Process()
        process.executableURL = TestSupport.executable
        process.arguments = [
            "serve", "--brokers", broker.bootstrapServers, "--db", "\(directory)/shadow.db", "--objects",
            "\(directory)/objects", "--http", "127.0.0.1:0", "--group", "disk-full",
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
        #expect(address.hasPrefix("http://127.0.0.1:"))

        // Then it fills the disk: /health answers 503 naming the store or the object store
        var failing = ""
        let deadline = ContinuousClock.now + .seconds(90)
        while failing.isEmpty, ContinuousClock.now < deadline {
            if let health = await Self.get(address + "health"), health.status == 503 { failing = health.body }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(failing.contains(#""check":"store""#) || failing.contains(#""check":"object_store""#), "\(failing)")
        let metrics = await Self.get(address + "metrics")
        #expect(metrics?.body.contains("invoice_shadow_retries_total{target=") == true)
        let rowsWhenFull = try ShadowStoreProbe.count("\(directory)/shadow.db")
        #expect(rowsWhenFull < 2_000)

        // When the filesystem grows, serve resumes by itself: every event recorded, health 200
        try Self.mount(directory, megabytes: 256, remount: true)
        let resumed = ContinuousClock.now + .seconds(120)
        while try ShadowStoreProbe.count("\(directory)/shadow.db") < 2_000, ContinuousClock.now < resumed {
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(try ShadowStoreProbe.count("\(directory)/shadow.db") == 2_000)
        var healthy = false
        for _ in 0..<50 where !healthy {
            healthy = await Self.get(address + "health")?.status == 200
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(healthy)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        while !reader.isFinished { try await Task.sleep(for: .milliseconds(10)) }
        #expect(process.terminationStatus == 0)
        // And the log named the file and the reason when it happened
        let log = String(decoding: errorText.withLock { $0 }, as: UTF8.self)
        #expect(log.contains("full"), "\(log.suffix(2_000))")
        #expect(log.contains("\(directory)/"))
    }
}
