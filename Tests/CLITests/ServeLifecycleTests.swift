import Foundation
import TestSupport
import Testing

extension RealProcesses {
    @Suite struct ServeLifecycleTests {
        /// The dynamic loader's note about this non-PIE executable (debug builds), written before main
        /// runs: not serve's, and not a log line.
        static func isLoaderNote(_ line: String) -> Bool {
            line.hasPrefix("warning: direct reference to protected function")
        }

        @Test func sigintStopsServeCleanlyAndEveryLogLineIsOneJSONObject() async throws {
            // Given serve --demo logging JSON
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-stop-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let db = directory.appendingPathComponent("shadow.db").path
            let serve = try ServeProcess([
                "--demo", "--log-format", "json", "--db", db, "--objects",
                directory.appendingPathComponent("objects").path,
                "--http", "127.0.0.1:0",
            ])
            defer { serve.terminateIfRunning() }
            // When events have been recorded for a while, it gets SIGINT, as from Ctrl-C
            let deadline = ContinuousClock.now + .seconds(60)
            while try ShadowStoreProbe.count(db) < 50, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
            }
            let status = try await serve.waitForExitAfter(SIGINT)

            // Then it exits 0, having recorded what it consumed
            #expect(status == 0)
            #expect(try ShadowStoreProbe.count(db) >= 50)
            // And every line it logged is one JSON object with time, level, label, message and
            // metadata, none of them an error
            let lines = serve.log.split(separator: "\n")
                .map(String.init).filter { !Self.isLoaderNote($0) }
            #expect(lines.count >= 4)
            var messages: [String] = []
            for line in lines {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
                #expect(Set(object.keys) == ["time", "level", "label", "message", "metadata"], "\(line)")
                #expect(!["error", "critical"].contains(object["level"] as? String), "\(line)")
                messages.append(object["message"] as? String ?? "")
            }
            #expect(messages.contains { $0.hasPrefix("SIGINT: stopping after the events in flight") })
            #expect(messages.last?.hasPrefix("done: ") == true)
        }
    }
}
