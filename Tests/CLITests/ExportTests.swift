import Foundation
import TestSupport
import Testing

@Suite struct ExportTests {
    @Test func comparisonsAndDailyCountsGoOutAsCSVAndJSONLines() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        // Given a store with 60 replayed corpus events
        let corpus = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Tests/Corpus/events.jsonl"), encoding: .utf8)
        try (corpus.split(separator: "\n").prefix(60).joined(separator: "\n") + "\n").write(
            toFile: path("events.jsonl"), atomically: true, encoding: .utf8)
        let replay = try TestSupport.run([
            "replay", path("events.jsonl"), "--db", path("shadow.db"), "--reports", path("reports"),
        ])
        #expect(replay.status == 0, "\(replay.error)")

        // When the comparisons are exported as CSV
        let csv = try TestSupport.run(["export", "--since", "1d", "--format", "csv", "--db", path("shadow.db")])
        #expect(csv.status == 0, "\(csv.error)")
        let lines = csv.text.split(separator: "\n")
        // Then a header and one row per event, each with every column
        #expect(
            lines.first
                == "event_id,recorded_at,country,business_line,event_type,kind,at_parity,signature_id,signature,primary_side,legacy_us,swift_us,instance,legacy_version,port_version"
        )
        #expect(lines.count == 61)
        #expect(csv.error.contains("exported 60 comparisons to standard output"))

        // And as JSON lines, with the versions the run recorded
        let jsonl = try TestSupport.run([
            "export", "--since", "1970-01-01", "--format", "jsonl", "--db", path("shadow.db"), "--output",
            path("c.jsonl"),
        ])
        #expect(jsonl.status == 0, "\(jsonl.error)")
        let rows = try String(contentsOfFile: path("c.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(rows.count == 60)
        #expect(rows.allSatisfy { ($0["port_version"] as? String)?.count == 40 && $0["at_parity"] as? Bool == true })

        // And the daily counts add up to the events
        let daily = try TestSupport.run([
            "export", "--what", "daily", "--since", "7d", "--format", "jsonl", "--db", path("shadow.db"),
        ])
        let days = try daily.text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(days.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 60)

        // A time that is not one is refused by name
        let bad = try TestSupport.run(["export", "--since", "yesterday", "--db", path("shadow.db")])
        #expect(bad.status != 0 && bad.error.contains("--since takes a date"))
    }
}
