import Foundation
import GRDB
import ShadowCore

extension PackedObjectStore {
    /// v1 was the first layout (WITHOUT ROWID tables, kept so that files written by it migrate);
    /// v2 moves to rowid tables: faster inserts and a smaller file, since a WITHOUT ROWID table
    /// keeps whole rows in its key B-tree.
    /// v3 moves the documents out of SQLite into the pack; v4 indexes publications, whose HTML
    /// needs no `object` row (see the type's comment).
    static func migrator(pack: PackFile) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS object (key TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS invoice (
                        number TEXT PRIMARY KEY, json BLOB NOT NULL, html_key TEXT NOT NULL) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2: rowid tables") { db in
            try db.execute(
                sql: """
                    CREATE TABLE object_v2 (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, bytes BLOB NOT NULL);
                    INSERT INTO object_v2 (key, bytes) SELECT key, bytes FROM object;
                    DROP TABLE object;
                    ALTER TABLE object_v2 RENAME TO object;
                    CREATE TABLE invoice_v2 (
                        id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, json BLOB NOT NULL, html_key TEXT NOT NULL);
                    INSERT INTO invoice_v2 (number, json, html_key) SELECT number, json, html_key FROM invoice;
                    DROP TABLE invoice;
                    ALTER TABLE invoice_v2 RENAME TO invoice;
                    """)
        }
        migrator.registerMigration("v3: documents in the pack file") { db in
            try db.execute(
                sql: """
                    ALTER TABLE object RENAME TO object_v2;
                    ALTER TABLE invoice RENAME TO invoice_v2;
                    CREATE TABLE pack (id INTEGER PRIMARY KEY CHECK (id = 1), length INTEGER NOT NULL);
                    CREATE TABLE object (
                        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, at INTEGER NOT NULL, length INTEGER NOT NULL);
                    CREATE TABLE invoice (
                        id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, json_at INTEGER NOT NULL,
                        json_length INTEGER NOT NULL, json_hash TEXT NOT NULL, html_key TEXT NOT NULL);
                    INSERT INTO pack (id, length) VALUES (1, 0);
                    """)
            // A pack left by a migration that did not commit is rewritten from the start. (The
            // writes here are this migration's own, in the v3 tables: a migration must not change
            // with the code that writes the current layout.)
            try pack.truncate(to: 0)
            var length: Int64 = 0
            func move(_ bytes: [UInt8]) throws -> Int64 {
                try pack.write(bytes, at: length)
                defer { length += Int64(bytes.count) }
                return length
            }
            let objects = try Row.fetchCursor(db, sql: "SELECT key, bytes FROM object_v2 ORDER BY id")
            while let row = try objects.next() {
                let bytes = Array(row["bytes"] as Data)
                try db.execute(
                    sql: "INSERT INTO object (key, at, length) VALUES (?, ?, ?)",
                    arguments: [row["key"], try move(bytes), bytes.count])
            }
            let invoices = try Row.fetchCursor(db, sql: "SELECT number, json, html_key FROM invoice_v2 ORDER BY id")
            while let row = try invoices.next() {
                let json = Array(row["json"] as Data)
                try db.execute(
                    sql: """
                        INSERT INTO invoice (number, json_at, json_length, json_hash, html_key) VALUES (?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        row["number"], try move(json), json.count, StableHash.contentHex(json), row["html_key"],
                    ])
            }
            try db.execute(sql: "UPDATE pack SET length = ? WHERE id = 1", arguments: [length])
            try db.execute(sql: "DROP TABLE object_v2; DROP TABLE invoice_v2")
        }
        migrator.registerMigration("v4: publications") { db in
            // Each invoice's latest publication, with its HTML's place (the documents stay in `object`).
            try db.execute(
                sql: """
                    CREATE TABLE publication (
                        id INTEGER PRIMARY KEY, number TEXT NOT NULL, json_at INTEGER NOT NULL,
                        json_length INTEGER NOT NULL, json_hash TEXT NOT NULL, html_at INTEGER NOT NULL,
                        html_length INTEGER NOT NULL, html_hash TEXT NOT NULL);
                    INSERT INTO publication (number, json_at, json_length, json_hash, html_at, html_length, html_hash)
                        SELECT i.number, i.json_at, i.json_length, i.json_hash, o.at, o.length,
                            substr(o.key, 1, length(o.key) - 5)
                        FROM invoice i JOIN object o ON o.key = i.html_key ORDER BY i.id;
                    DROP TABLE invoice;
                    CREATE INDEX publication_number ON publication(number);
                    """)
        }
        migrator.registerMigration("v5: the pack's length is where its last referenced byte ends") { db in
            try db.execute(sql: "DROP TABLE pack")
        }
        return migrator
    }
}
