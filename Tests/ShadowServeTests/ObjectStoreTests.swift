import Foundation
import GRDB
import ShadowServe
import Testing

@Suite struct SQLiteObjectStoreTests {
    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("objects-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func renderedInvoicesRoundTripAndTheLatestPublicationWins() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteObjectStore(directory: directory.path)
        let first = try await store.storeRendered(
            number: "DE-1", json: Array(#"{"number":"DE-1","v":1}"#.utf8), html: Array("<p>one</p>".utf8))
        let second = try await store.storeRendered(
            number: "DE-1", json: Array(#"{"number":"DE-1","v":2}"#.utf8), html: Array("<p>two</p>".utf8))
        #expect(first != second)
        let stored = try #require(try store.invoice(number: "DE-1"))
        #expect(String(decoding: stored.json, as: UTF8.self) == #"{"number":"DE-1","v":2}"#)
        #expect(String(decoding: stored.html, as: UTF8.self) == "<p>two</p>")
        // Content-addressed: the first document is still there under its own key, once.
        #expect(try store.get(first) == Array("<p>one</p>".utf8))
        #expect(try store.put(Array("<p>one</p>".utf8)) == first)
        #expect(try store.invoice(number: "DE-2") == nil)
    }

    @Test func aFileWrittenInTheFirstLayoutIsMigratedWithItsDocuments() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The first layout, as serve wrote it before rowid tables.
        let path = directory.appendingPathComponent("objects.sqlite").path
        do {
            let old = try DatabaseQueue(path: path)
            try old.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE object (key TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
                        CREATE TABLE invoice (
                            number TEXT PRIMARY KEY, json BLOB NOT NULL, html_key TEXT NOT NULL) WITHOUT ROWID;
                        INSERT INTO object VALUES ('k1.html', X'3C703E6F6C643C2F703E');
                        INSERT INTO invoice VALUES ('FR-7', X'7B7D', 'k1.html');
                        """)
            }
        }
        let store = try SQLiteObjectStore(directory: directory.path)
        let stored = try #require(try store.invoice(number: "FR-7"))
        #expect(String(decoding: stored.html, as: UTF8.self) == "<p>old</p>")
        #expect(String(decoding: stored.json, as: UTF8.self) == "{}")
        let check = try DatabaseQueue(path: path)
        let withoutRowID = try check.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%'")
        }
        #expect(withoutRowID == 0)
    }

    @Test func theWALStaysBoundedUnderWritesThatNeverPause() async throws {
        // Given a store written to by 32 tasks at once, back to back, with ~100 MB of WAL frames in all
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteObjectStore(directory: directory.path)
        let filler = [UInt8](repeating: UInt8(ascii: "x"), count: 4_000)
        // When 8,000 documents go in
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<32 {
                group.addTask {
                    for index in 0..<250 {
                        let number = "DE-\(writer)-\(index)"
                        _ = try await store.storeRendered(
                            number: number, json: Array(#"{"number":"\#(number)"}"#.utf8),
                            html: Array("<p>\(number)</p>".utf8) + filler)
                    }
                }
            }
            try await group.waitForAll()
        }
        // Then the WAL was restarted along the way (its file never shrinks, so its size is the most
        // it ever held): without restarts it holds every frame, over 100 MB.
        let wal = directory.appendingPathComponent("objects.sqlite-wal").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int)
        #expect(size < 60_000_000, "objects.sqlite-wal grew to \(size) bytes")
        #expect(try store.invoice(number: "DE-31-249") != nil)
    }
}
