import EventGenerator
import Foundation
import KafkaIO
import ShadowCore
import TestSupport
import Testing

extension RealProcesses {
    /// A ramp plan carried out by a real serve, on a real broker and a real interpreter whose legacy
    /// has a planted regression.
    @Suite struct RampPlanServeTests {
        /// A copy of `legacy/` whose invoices gain a field for any event that mentions "Regress": a
        /// legacy fixture that differs, for the events a test chooses.
        static func legacyWithPlantedRegression(in directory: URL) throws -> String {
            try legacyCopy(
                in: directory,
                appending: """

                    _render_event = render_event


                    def render_event(data):
                        result = _render_event(data)
                        if b"Regress" in data:
                            result["invoice"] = '{"planted":1,' + result["invoice"][1:]
                        return result

                    """)
        }

        /// `count` generated DE events; with `regress`, each names its customer "Regress …".
        static func germanEvents(seed: UInt64, count: Int, regress: Bool = false) -> [[UInt8]] {
            var events: [[UInt8]] = []
            var batch: UInt64 = 0
            while events.count < count {
                for event in EventGenerator().events(seed: seed &* 1000 &+ batch, count: 500)
                where EventFacts.read(Array(event.utf8)).country == "DE" && events.count < count {
                    let text =
                        regress
                        ? event.replacingOccurrences(of: #""name":""#, with: #""name":"Regress "#) : event
                    events.append(Array(text.utf8))
                }
                batch += 1
            }
            return events
        }

        static func produce(_ events: [[UInt8]], to bootstrap: String) async throws {
            let producer = try KafkaProducer.make(bootstrapServers: bootstrap)
            defer { producer.close() }
            let messages = events.enumerated().map { index, event in
                OutgoingMessage(topic: "money.events", key: Array("k\(index)".utf8), value: event)
            }
            for report in await producer.sendAll(messages) { _ = try report.get() }
        }

        @Test func aPlanAdvancesOnEvidenceWaitsWhileInconclusiveAndRevertsOnARegression() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let db = directory.appendingPathComponent("shadow.db").path
            let legacy = try Self.legacyWithPlantedRegression(in: directory)
            func flag() throws -> String {
                try ShadowStoreProbe.lines(db, "SELECT state || ' ' || percentage FROM flag WHERE country = 'DE'")
                    .first ?? "shadow 100.0"
            }
            func rows() throws -> Int { try ShadowStoreProbe.count(db, where: "country = 'DE'") }

            // Given a plan for DE made at the command line: live 10%, live 50%, then swift, 1 s holds
            let made = try TestSupport.run([
                "flags", "plan", "DE", "--to", "swift", "--steps", "10,50", "--hold", "1s", "--db", db,
                "--actor", "release-manager",
            ])
            #expect(made.status == 0, "\(made.error)")
            #expect(made.text.contains("DE: plan running, next live 10%"))

            // And serve on a standalone broker with a gate of 100 comparisons at 98% (about 133 clean
            // ones bound parity there at 95%), notifying a local listener
            let broker = try BrokerProcess(partitions: 4)
            defer { broker.stop() }
            let listener = try NotificationListener()
            defer { listener.stop() }
            let serve = try ServeProcess([
                "--brokers", broker.bootstrap, "--db", db, "--objects",
                directory.appendingPathComponent("objects").path,
                "--legacy", legacy, "--http", "127.0.0.1:0", "--notify", "http://127.0.0.1:\(listener.port)/",
                "--gate-comparisons", "100", "--gate-parity", "98", "--no-gate-latency",
            ])
            defer { serve.terminateIfRunning() }

            // When 60 DE events are compared, the plan waits: the evidence is inconclusive
            try await Self.produce(Self.germanEvents(seed: 1, count: 60), to: broker.bootstrap)
            #expect(try await TestSupport.eventually { try rows() == 60 })
            #expect(
                try await TestSupport.eventually(.seconds(10)) {
                    try ShadowStoreProbe.lines(db, "SELECT note FROM ramp_plan").first?.hasPrefix(
                        "waiting for live 10%: inconclusive") == true
                })
            #expect(try flag() == "shadow 100.0")

            // When 100 more arrive (160 clean), it takes its first step
            try await Self.produce(Self.germanEvents(seed: 2, count: 100), to: broker.bootstrap)
            #expect(try await TestSupport.eventually { try flag() == "live 10.0" }, "\(serve.log.suffix(2000))")

            // And the next one on that step's own 140 comparisons, after its hold
            #expect(try await TestSupport.eventually { try rows() == 160 })
            try await Self.produce(Self.germanEvents(seed: 3, count: 140), to: broker.bootstrap)
            #expect(try await TestSupport.eventually { try flag() == "live 50.0" }, "\(serve.log.suffix(2000))")

            // When the legacy starts to differ (the planted regression) while Swift serves half of DE
            #expect(try await TestSupport.eventually { try rows() == 300 })
            try await Self.produce(Self.germanEvents(seed: 4, count: 40, regress: true), to: broker.bootstrap)

            // Then the sequential test reverts DE to shadow, and the plan is interrupted
            #expect(try await TestSupport.eventually { try flag() == "shadow 100.0" }, "\(serve.log.suffix(2000))")
            #expect(
                try await TestSupport.eventually(.seconds(10)) {
                    try ShadowStoreProbe.lines(db, "SELECT status FROM ramp_plan") == ["interrupted"]
                })
            let audit = try ShadowStoreProbe.lines(
                db, "SELECT actor || ': ' || to_state || ' ' || to_percentage FROM flag_audit ORDER BY id")
            #expect(
                audit == [
                    "invoice-shadow: live 10.0", "invoice-shadow: live 50.0", "invoice-shadow: shadow 100.0",
                ])
            #expect(try ShadowStoreProbe.count(db, where: "kind = 'mismatch'") >= 6)

            // And the listener was told of each automatic change, in order
            #expect(try await TestSupport.eventually(.seconds(30)) { listener.bodies.value.withLock { $0.count } >= 3 })
            let notified = try listener.bodies.value.withLock { $0 }.map { body in
                try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            }
            #expect(notified.map { $0["event"] as? String } == ["flag_changed", "flag_changed", "flag_changed"])
            #expect(notified.map { $0["to_percentage"] as? Double } == [10, 50, 100])
            #expect(notified.last?["to"] as? String == "shadow")
            #expect((notified.last?["reason"] as? String)?.hasPrefix("automatic revert") == true)
            #expect(try await serve.waitForExitAfter(SIGTERM) == 0)
        }
    }
}
