import EventGenerator
import Foundation
import KafkaIO
import TestSupport
import Testing

extension RealProcesses {
    /// A real serve process whose store and object store live on a small tmpfs that fills up, then
    /// grows: the operator's "disk full" (needs root to mount, as CI and these machines run).
    @Suite(.serialized) struct DiskFullTests {
        /// Whether this machine lets the test mount a tmpfs (root with CAP_SYS_ADMIN, as these machines
        /// and their CI run). Where it cannot, the test is reported skipped; StoreFullTests shows the
        /// same behaviour in-process with SQLite's max_page_count.
        static let canMount: Bool = {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mount-probe-\(UUID())").path
            guard
                (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil
            else { return false }
            defer { try? FileManager.default.removeItem(atPath: directory) }
            guard (try? mount(directory, megabytes: 1)) != nil else { return false }
            unmount(directory)
            return true
        }()

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
        @Test(.enabled(if: canMount, "mounting a tmpfs needs root"))
        func aFullDiskPausesServeWhichResumesByItselfWhenItGrows() async throws {
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
            for report in await producer.sendAll(
                events.map { OutgoingMessage(topic: "money.events", key: nil, value: $0) })
            {
                _ = try report.get()
            }

            // When serve consumes them onto it
            let serve = try ServeProcess([
                "--brokers", broker.bootstrapServers, "--db", "\(directory)/shadow.db", "--objects",
                "\(directory)/objects", "--http", "127.0.0.1:0", "--group", "disk-full",
            ])
            defer { serve.terminateIfRunning() }
            #expect(serve.address.hasPrefix("http://127.0.0.1:"))

            // Then it fills the disk: /health answers 503 naming the store or the object store
            var failing = ""
            let deadline = ContinuousClock.now + .seconds(90)
            while failing.isEmpty, ContinuousClock.now < deadline {
                if let health = await serve.get("health"), health.status == 503 { failing = health.body }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(failing.contains(#""check":"store""#) || failing.contains(#""check":"object_store""#), "\(failing)")
            let metrics = await serve.get("metrics")
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
                healthy = await serve.get("health")?.status == 200
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(healthy)
            #expect(try await serve.waitForExitAfter(SIGTERM) == 0)
            // And the log named the file and the reason when it happened
            let log = serve.log
            #expect(log.contains("full"), "\(log.suffix(2_000))")
            #expect(log.contains("\(directory)/"))
        }
    }
}
