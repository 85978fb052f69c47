import Foundation
import KafkaIO
import TestSupport
import Testing

extension RealProcesses {
    @Suite struct PythonStuckTests {
        @Test func aPythonThreadStuckInCFailsHealthThenServeExitsWithItsOwnStatus() async throws {
            // Given a legacy whose render deadlocks in C (a default pthread mutex locked twice by one
            // thread: no signal and no asynchronous exception reaches it)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stuck-\(UUID())")
            let package = directory.appendingPathComponent("legacy/invoicing")
            try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try """
            import ctypes


            class InvalidEvent(Exception):
                pass


            def render_event(event):
                libc = ctypes.CDLL(None)
                mutex = ctypes.create_string_buffer(64)
                libc.pthread_mutex_init(mutex, None)
                libc.pthread_mutex_lock(mutex)
                libc.pthread_mutex_lock(mutex)

            """.write(to: package.appendingPathComponent("__init__.py"), atomically: true, encoding: .utf8)
            let broker = try EmbeddedKafkaBroker.make()
            try broker.createTopic("money.events", partitions: 1)
            let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
            _ = try await producer.send(topic: "money.events", key: nil, value: try TestSupport.sampleEvent())

            // When serve renders it, with a 1 s deadline and 12 s allowed stuck (room, on a loaded machine, to see the health check fail first)
            let serve = try ServeProcess([
                "--brokers", broker.bootstrapServers, "--legacy", directory.appendingPathComponent("legacy").path,
                "--db", directory.appendingPathComponent("shadow.db").path, "--objects",
                directory.appendingPathComponent("objects").path, "--http", "127.0.0.1:0", "--timeout", "1",
                "--python-stuck-exit", "12", "--group", "stuck",
            ])
            defer { serve.terminateIfRunning() }

            // Then /health names the python check while it is stuck
            var failing = ""
            let deadline = ContinuousClock.now + .seconds(30)
            while failing.isEmpty, serve.process.isRunning, ContinuousClock.now < deadline {
                if let health = await serve.get("health"), health.status == 503 { failing = health.body }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(failing.contains(#""check":"python""#), "\(failing)")
            let metrics = await serve.get("metrics")
            #expect(metrics?.body.contains(#"invoice_shadow_health{check="python"} 0"#) == true)
            // And after the grace period the process exits with status 75, saying why
            #expect(try await serve.waitForExit() == 75)
            // And the event has its row: the render was answered `timeout` at its deadline
            #expect(
                try ShadowStoreProbe.count(
                    directory.appendingPathComponent("shadow.db").path, where: "kind = 'timeout'")
                    == 1)
            let log = serve.log
            #expect(log.contains("exiting with status 75"), "\(log.suffix(2_000))")
        }
    }
}
