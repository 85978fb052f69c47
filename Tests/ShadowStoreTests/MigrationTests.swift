import Foundation
import GRDB
import ShadowCore
import Testing

@testable import ShadowStore

@Suite struct MigrationTests {
    @Test func idsMadeFromBytesAreRenamedFromShaToFnv1aWithTheirDiscrepancies() throws {
        // Given a store file at schema v4 holding a sha: id with a discrepancy, and a real id
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("v4-\(UUID()).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v4: a recorded-again comparison drops its old discrepancy")
        let hash = "00ff00ff00ff00ff"
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (id, source, started_ms) VALUES (1, 'test', 0);
                    INSERT INTO signature (id, country, business_line, kind, paths)
                        VALUES ('s1', 'XX', 'eats', 'invalid_event', '[]');
                    """)
            for id in ["sha:\(hash)", "sha:kept-as-it-is"] {
                try db.execute(
                    sql: """
                        INSERT INTO comparison (event_id, run_id, country, business_line, event_type, kind,
                            signature_id, recorded_ms, primary_side)
                        VALUES (?, 1, 'XX', 'eats', '?', 'invalid_event', 's1', 0, 'legacy')
                        """, arguments: [id])
                try db.execute(
                    sql:
                        "INSERT INTO discrepancy (event_id, event, differences, ignored, html_diff) VALUES (?, x'00', '[]', '[]', '')",
                    arguments: [id])
            }
        }
        try queue.close()

        // When the store opens it (and migrates)
        let store = try ShadowStore.open(path: path)

        // Then the hash id is named for what it is, its discrepancy follows it, and an event's own
        // id that merely starts with sha: is left alone
        let ids = try store.read { db in
            try String.fetchAll(db, sql: "SELECT event_id FROM comparison ORDER BY event_id")
        }
        #expect(ids == ["fnv1a:\(hash)", "sha:kept-as-it-is"])
        let details = try store.read { db in
            try String.fetchAll(db, sql: "SELECT event_id FROM discrepancy ORDER BY event_id")
        }
        #expect(details == ["fnv1a:\(hash)", "sha:kept-as-it-is"])
    }
}
