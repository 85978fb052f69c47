import EventGenerator
import Foundation
import TestSupport
import Testing

extension RealProcesses {
    /// Personal data through replay, the store, the reports, the dashboard and back to a corpus, with
    /// the real binary, the real interpreter and real SQLite files.
    @Suite struct RedactionEndToEndTests {
        /// A copy of `legacy/` that differs on purpose: DE invoices gain a field, and FR renders fail
        /// with an error that names the customer (as a careless traceback would).
        static func legacyWithPlantedDiscrepancies(in directory: URL) throws -> String {
            try legacyCopy(
                in: directory,
                appending: """

                    import json as _json

                    _render_event = render_event


                    def render_event(data):
                        result = _render_event(data)
                        event = _json.loads(data)
                        if event["country"] == "DE":
                            result["invoice"] = '{"planted":1,' + result["invoice"][1:]
                        if event["country"] == "FR":
                            raise RuntimeError("no account for " + event["customer"]["name"])
                        return result

                    """)
        }

        /// Every personal value of `events` long enough to be traced in rendered text, but those that
        /// are also part of a field that is not personal (the generator gives some products the
        /// hostile names it gives people: "Ben</p><h1>big" is an item too).
        static func personalValues(_ events: [String]) throws -> Set<String> {
            var personal: Set<String> = []
            var other: [String] = []
            func strings(_ value: Any, into list: inout [String]) {
                if let text = value as? String { list.append(text) }
                if let array = value as? [Any] { for item in array { strings(item, into: &list) } }
                if let object = value as? [String: Any] { for item in object.values { strings(item, into: &list) } }
            }
            for event in events {
                guard var object = try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any] else {
                    continue
                }
                var customer = object.removeValue(forKey: "customer") as? [String: Any] ?? [:]
                var provider = object.removeValue(forKey: "provider") as? [String: Any] ?? [:]
                for value in [customer["name"], customer["email"], customer["tax_id"], provider["legal_name"]] {
                    if let text = value as? String, text.utf8.count >= 4 { personal.insert(text) }
                }
                for key in ["name", "email", "tax_id"] { customer[key] = nil }
                for key in ["legal_name", "tax_id"] { provider[key] = nil }
                strings([object, customer, provider] as [Any], into: &other)
            }
            return personal.filter { value in !other.contains { $0.contains(value) } }
        }

        /// The personal values `text` contains.
        static func leaks(_ values: Set<String>, in text: String) -> [String] {
            values.filter { value in
                text.contains(value)
                    || text.contains(
                        value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "'", with: "&#39;"))
            }.sorted()
        }

        @Test func noPersonalValueIsKeptOrShownAndTheRedactedExamplesReproduceEachSignature() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redact-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
            let legacy = try Self.legacyWithPlantedDiscrepancies(in: directory)
            let events = EventGenerator().events(seed: 2_028, count: 400)
            try (events.joined(separator: "\n") + "\n").write(
                toFile: path("events.jsonl"), atomically: true, encoding: .utf8)
            let personal = try Self.personalValues(events)
            #expect(personal.count > 300)

            // When the events are replayed (redaction is on by default) against the differing legacy
            let replay = try TestSupport.run([
                "replay", path("events.jsonl"), "--db", path("shadow.db"), "--reports", path("reports"),
                "--legacy", legacy,
            ])
            #expect(replay.status == 1, "\(replay.error)")
            #expect(replay.error.contains("made a redaction key at \(path("shadow.db")).redaction-key"))
            let signatures = try ShadowStoreProbe.lines(
                path("shadow.db"),
                "SELECT DISTINCT signature_id FROM comparison WHERE kind != 'match' ORDER BY 1")
            #expect(signatures.count >= 4, "\(signatures)")

            // Then no personal value is in the store's files or the reports
            for file in ["shadow.db", "shadow.db-wal"] where FileManager.default.fileExists(atPath: path(file)) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path(file)))
                let leaked = personal.filter { bytes.range(of: Data($0.utf8)) != nil }
                #expect(leaked.isEmpty, "\(file) keeps \(leaked.prefix(5))")
            }
            for report in try FileManager.default.contentsOfDirectory(atPath: path("reports")) {
                let text = try String(contentsOfFile: path("reports/\(report)"), encoding: .utf8)
                #expect(
                    Self.leaks(personal, in: text).isEmpty,
                    "\(report) shows \(Self.leaks(personal, in: text).prefix(5))")
            }

            // Nor on any page or in any answer of the dashboard and its API
            let serve = try ServeProcess([
                "--db", path("shadow.db"), "--objects", path("objects"), "--http", "127.0.0.1:0", "--duration", "60",
            ])
            defer { serve.terminateIfRunning() }
            var pages = ["/", "/flags", "/api/overview", "/api/signatures", "/api/flags"]
            pages += signatures.flatMap { ["/signatures/\($0)", "/api/signatures/\($0)"] }
            for page in pages {
                let answer = try #require(await serve.get(page), "\(page) did not answer")
                #expect(answer.status == 200, "\(page)")
                #expect(
                    Self.leaks(personal, in: answer.body).isEmpty,
                    "\(page) shows \(Self.leaks(personal, in: answer.body).prefix(5))")
            }
            // The signature page says how to pin it
            let first = try #require(await serve.get("/signatures/\(signatures[0])"))
            #expect(first.body.contains("invoice-shadow corpus add --signature \(signatures[0])"))
            // And which build each was seen with: the legacy by its content, the port by its build id
            #expect(
                try ShadowStoreProbe.lines(
                    path("shadow.db"),
                    "SELECT length(b.legacy), length(b.port) FROM build b JOIN run r ON r.build_id = b.id WHERE r.source LIKE 'replay %'"
                ) == [
                    "16|40"
                ])
            #expect(first.body.contains("<tr><th>First seen with</th><td>legacy "))

            // When every signature's redacted examples are added to a corpus and replayed
            for signature in signatures {
                let added = try TestSupport.run([
                    "corpus", "add", "--signature", signature, "--max", "3", "--db", path("shadow.db"), "--output",
                    path("pinned.jsonl"),
                ])
                #expect(added.status == 0, "\(added.error)")
                #expect(
                    added.text.contains(
                        "replay them: invoice-shadow replay \(path("pinned.jsonl")) --signature \(signature)"))
            }
            let again = try TestSupport.run([
                "replay", path("pinned.jsonl"), "--db", path("again.db"), "--reports", path("again-reports"),
                "--legacy", legacy,
            ])
            #expect(again.status == 1)
            // Then each signature is reproduced
            let reproduced = try ShadowStoreProbe.lines(
                path("again.db"),
                "SELECT DISTINCT signature_id FROM comparison WHERE kind != 'match' ORDER BY 1")
            #expect(reproduced == signatures)
            // And replay --signature replays one signature's events only
            let one = try TestSupport.run([
                "replay", path("pinned.jsonl"), "--signature", signatures[0], "--db", path("one.db"), "--reports",
                path("one-reports"), "--legacy", legacy,
            ])
            #expect(one.status == 1)
            #expect(
                try ShadowStoreProbe.lines(path("one.db"), "SELECT DISTINCT signature_id FROM comparison") == [
                    signatures[0]
                ])
            let index = try String(contentsOfFile: path("pinned.jsonl.signatures.json"), encoding: .utf8)
            #expect(signatures.allSatisfy { index.contains("\"\($0)\"") })
        }
    }
}
