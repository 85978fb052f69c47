import Foundation
import TestSupport
import Testing

extension RealProcesses {
    @Suite struct WorkersTests {
        /// The child of `parent` started as worker `index` (0-based), read from /proc as `ps` would.
        static func workerPID(of parent: Int32, index: Int) -> Int32? {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for entry in entries {
                guard let pid = Int32(entry),
                    let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { continue }
                // pid (comm) state ppid ...: the fields after the command's closing parenthesis.
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                guard fields.count > 1, Int32(fields[1]) == parent,
                    let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
                else { continue }
                let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                if let at = arguments.firstIndex(of: "--worker-index"), arguments.count > at + 1,
                    arguments[at + 1] == "\(index)"
                {
                    return pid
                }
            }
            return nil
        }

        @Test func aWorkerKilledBySIGKILLIsStartedAgainAndNothingIsLost() async throws {
            // Given serve --workers 2 on its embedded broker, and 4,000 events
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workers-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let db = directory.appendingPathComponent("shadow.db").path
            let serve = try ServeProcess([
                "--workers", "2", "--db", db, "--objects", directory.appendingPathComponent("objects").path, "--http",
                "127.0.0.1:0",
            ])
            defer { serve.terminateIfRunning() }
            let bootstrap = try #require(serve.bootstrap)
            let ids = try await SharedInstancesTests.produce(bootstrap, seed: 29, count: 4_000)
            #expect(try await SharedInstancesTests.waitForRows(db, 500, timeout: .seconds(120)))

            // When worker 2 is killed (SIGKILL) mid-stream
            let worker = try #require(Self.workerPID(of: serve.process.processIdentifier, index: 1))
            kill(worker, SIGKILL)

            // Then it is started again, and /metrics counts the restart
            var restarted = false
            let deadline = ContinuousClock.now + .seconds(30)
            while !restarted, ContinuousClock.now < deadline {
                if let metrics = await serve.get("/metrics"),
                    metrics.body.contains(#"invoice_shadow_worker_restarts_total{worker="2"} 1"#),
                    let again = Self.workerPID(of: serve.process.processIdentifier, index: 1), again != worker
                {
                    restarted = true
                } else {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(restarted)
            // And every event has its one row
            #expect(try await SharedInstancesTests.waitForRows(db, ids.count, timeout: .seconds(300)))
            let stored = try SharedInstancesTests.eventIDs(db)
            #expect(stored.count == ids.count)
            #expect(Set(stored) == ids)
            // And the totals of /metrics cover every event consumed, and SIGTERM drains both workers
            let metrics = try #require(await serve.get("/metrics"))
            #expect(metrics.body.contains("invoice_shadow_workers_running 2"))
            let workers = [0, 1].compactMap { Self.workerPID(of: serve.process.processIdentifier, index: $0) }
            #expect(workers.count == 2)
            #expect(try await serve.waitForExitAfter(SIGTERM) == 0)
            // (The supervisor exits only after its workers did.)
            for pid in workers { #expect(kill(pid, 0) != 0, "worker \(pid) outlived its supervisor") }
        }
    }
}
