import EventGenerator
import Foundation
import KafkaIO
import ShadowCore
import TestSupport
import Testing

extension RealProcesses {
    /// Two `serve --instance` processes with stores of their own, sharing only a standalone broker
    /// process: one harness.
    @Suite(.serialized) struct SharedInstancesTests {
        static let token = "shared-instances-token-0123456789"

        /// A directory with a tokens file, removed at the end.
        final class Workspace {
            let directory: URL
            let tokens: String

            init() throws {
                directory = FileManager.default.temporaryDirectory.appendingPathComponent("shared-\(UUID())")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                tokens = directory.appendingPathComponent("tokens").path
                try Data("alice \(SharedInstancesTests.token)\n".utf8).write(to: URL(fileURLWithPath: tokens))
            }

            func db(_ instance: String) -> String { directory.appendingPathComponent("\(instance).db").path }

            /// serve --instance `instance` with a store and an object store of its own.
            func serve(_ instance: String, broker: BrokerProcess, http: Bool = true) throws -> ServeProcess {
                try ServeProcess(
                    [
                        "--brokers", broker.bootstrap, "--instance", instance, "--db", db(instance), "--objects",
                        directory.appendingPathComponent("\(instance)-objects").path, "--tokens", tokens,
                        // Latency is not judged: in a debug build, with two instances on two shared
                        // cores, Swift's p99 measures the machine, not the port.
                        // Parity 99.7%: about 900 clean comparisons bound it at 95%, so a country's
                        // ~1,200 pass only together, never the ~600 of one instance.
                        "--group", "shared", "--no-gate-latency", "--gate-parity", "99.7",
                    ] + (http ? ["--http", "127.0.0.1:0"] : ["--no-http"]))
            }

            deinit { try? FileManager.default.removeItem(at: directory) }
        }

        /// Generated events sent keyed (as Money events are), and the ids the store will key them by.
        static func produce(_ bootstrap: String, seed: UInt64, count: Int) async throws -> Set<String> {
            let producer = try KafkaProducer.make(bootstrapServers: bootstrap)
            defer { producer.close() }
            let events = EventGenerator().events(seed: seed, count: count).map { Array($0.utf8) }
            let messages = events.enumerated().map { index, event in
                OutgoingMessage(topic: "money.events", key: Array("\(seed)-\(index)".utf8), value: event)
            }
            for report in await producer.sendAll(messages) { _ = try report.get() }
            return Set(events.map { EventFacts.read($0).eventID })
        }

        /// Waits until `db` holds `count` rows; returns whether it did before `timeout`.
        static func waitForRows(_ db: String, _ count: Int, timeout: Duration) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while try ShadowStoreProbe.count(db) < count {
                guard ContinuousClock.now < deadline else { return false }
                try await Task.sleep(for: .milliseconds(500))
            }
            return true
        }

        /// The event ids a store holds.
        static func eventIDs(_ db: String) throws -> [String] {
            try ShadowStoreProbe.lines(db, "SELECT event_id FROM comparison")
        }

        /// Per country, the comparisons a dashboard's `/api/overview` shows.
        static func dashboardCounts(_ serve: ServeProcess) async throws -> [String: Int] {
            let overview = try #require(await serve.get("/api/overview"))
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(overview.body.utf8)) as? [String: Any])
            let dashboard = try #require(object["dashboard"] as? [String: Any])
            let countries = try #require(dashboard["countries"] as? [[String: Any]])
            var counts: [String: Int] = [:]
            for row in countries { counts[row["country"] as? String ?? "?"] = row["comparisons"] as? Int ?? -1 }
            return counts
        }

        @Test func twoInstancesSeeAllEvidenceAndTheSameFlags() async throws {
            // Given a standalone broker and two instances, each with its own store and object store
            let broker = try BrokerProcess()
            defer { broker.stop() }
            let workspace = try Workspace()
            let a = try workspace.serve("a", broker: broker)
            defer { a.terminateIfRunning() }
            let b = try workspace.serve("b", broker: broker)
            defer { b.terminateIfRunning() }
            #expect(!a.address.isEmpty && !b.address.isEmpty)

            // Before there is evidence, the gate refuses a move to live
            let early = try #require(
                await a.put("/api/flags/DE", json: #"{"state": "live", "reason": "too early"}"#, token: Self.token))
            #expect(early.status == 409)

            // When 12,000 events arrive (about 1,200 for each of the 10 countries)
            let ids = try await Self.produce(broker.bootstrap, seed: 26, count: 12_000)

            // Then each store holds exactly one row for every event, compared by either instance
            for instance in ["a", "b"] {
                let db = workspace.db(instance)
                #expect(try await Self.waitForRows(db, ids.count, timeout: .seconds(300)))
                let stored = try Self.eventIDs(db)
                #expect(stored.count == ids.count)
                #expect(Set(stored) == ids)
                #expect(try ShadowStoreProbe.count(db, where: "instance = 'a'") > 0)
                #expect(try ShadowStoreProbe.count(db, where: "instance = 'b'") > 0)
            }
            // And both dashboards show the same counts per country
            let countsA = try await Self.dashboardCounts(a)
            #expect(countsA.values.reduce(0, +) > 11_000)
            #expect(countsA == (try await Self.dashboardCounts(b)))

            // And the gate passes on evidence neither instance has alone: a country with at least 1,000
            // comparisons, fewer than the 899 that bound parity at 99.7% from each instance
            let db = workspace.db("a")
            let country = try #require(
                ContractCountry.codes.first { code in
                    let mine = (try? ShadowStoreProbe.count(db, where: "country = '\(code)' AND instance = 'a'")) ?? 0
                    let theirs = (try? ShadowStoreProbe.count(db, where: "country = '\(code)' AND instance = 'b'")) ?? 0
                    return mine < 899 && theirs < 899 && mine + theirs >= 1_000
                })
            let started = ContinuousClock.now
            let set = try #require(
                await a.put(
                    "/api/flags/\(country)", json: #"{"state": "live", "reason": "parity on both instances"}"#,
                    token: Self.token))
            #expect(set.status == 200, "\(set.body)")

            // And instance B serves with the flag within two seconds, and its history shows the change
            var seenByB: Duration?
            while seenByB == nil, ContinuousClock.now - started < .seconds(10) {
                if let flag = await b.get("/api/flags/\(country)"), flag.body.contains(#""flag":"live""#) {
                    seenByB = ContinuousClock.now - started
                } else {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let elapsed = try #require(seenByB)
            #expect(elapsed < .seconds(2), "B applied the flag after \(elapsed)")
            let history = try TestSupport.run(["flags", "history", country, "--db", workspace.db("b")])
            let text = String(decoding: history.output, as: UTF8.self)
            #expect(text.contains("\(country)  shadow → live  by alice: parity on both instances"), "\(text)")

            // And an instance that was not running then has the flag before it serves an event
            let c = try workspace.serve("c", broker: broker, http: false)
            defer { c.terminateIfRunning() }
            let cStarted = ContinuousClock.now
            while !c.log.contains("flags read from shadow.flags"), c.process.isRunning,
                ContinuousClock.now - cStarted < .seconds(60)
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(c.log.contains("flags read from shadow.flags (1 changes applied)"), "\(c.log)")
            #expect(
                try ShadowStoreProbe.lines(workspace.db("c"), "SELECT state FROM flag WHERE country = '\(country)'")
                    == ["live"])

            #expect(try await a.waitForExitAfter(SIGTERM) == 0)
            #expect(try await b.waitForExitAfter(SIGTERM) == 0)
            #expect(try await c.waitForExitAfter(SIGTERM) == 0)
        }

        @Test func anInstanceKilledMidStreamLosesNothingAndDuplicatesNoRow() async throws {
            // Given two instances sharing a standalone broker, consuming 6,000 events
            let broker = try BrokerProcess()
            defer { broker.stop() }
            let workspace = try Workspace()
            let a = try workspace.serve("a", broker: broker, http: false)
            defer { a.terminateIfRunning() }
            let b = try workspace.serve("b", broker: broker, http: false)
            defer { b.terminateIfRunning() }
            let ids = try await Self.produce(broker.bootstrap, seed: 27, count: 6_000)

            // When A is killed (SIGKILL) once 1,000 events are in its store
            #expect(try await Self.waitForRows(workspace.db("a"), 1_000, timeout: .seconds(120)))
            a.signal(SIGKILL)
            _ = try await a.waitForExit()

            // Then B takes A's partitions and its store gets every event, once
            #expect(try await Self.waitForRows(workspace.db("b"), ids.count, timeout: .seconds(300)))
            let storedB = try Self.eventIDs(workspace.db("b"))
            #expect(storedB.count == ids.count)
            #expect(Set(storedB) == ids)

            // And A, started again, reads what it missed into its own store: every event, once
            let again = try workspace.serve("a", broker: broker, http: false)
            defer { again.terminateIfRunning() }
            #expect(try await Self.waitForRows(workspace.db("a"), ids.count, timeout: .seconds(120)))
            let storedA = try Self.eventIDs(workspace.db("a"))
            #expect(storedA.count == ids.count)
            #expect(Set(storedA) == ids)
            #expect(try await again.waitForExitAfter(SIGTERM) == 0)
            #expect(try await b.waitForExitAfter(SIGTERM) == 0)
        }
    }
}
