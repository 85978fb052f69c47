import BatchWriting
import Foundation
import GRDB
import ShadowCore

/// ``ObjectStore`` in two files of one directory: the documents in `objects.pack`, an append-only
/// file written once per byte, and their index in `objects.sqlite` (WAL mode). A batch of documents
/// is one `pwrite` at the pack's end and one index transaction; bytes past the last one any row
/// points to (a write whose transaction never committed: a crash between the two) are cut off at
/// the next open. A reader never sees half a document, since the index points only at bytes
/// written before it committed.
///
/// The index has two tables. `publication`: one row per invoice published (its number, and where
/// its JSON and HTML are in the pack, with their hashes); the latest row of a number is what
/// ``invoice(number:)`` returns. `object`: documents stored on their own (``put(_:)``), and every
/// document of the layouts before v4. A rendered invoice's HTML is keyed by its number and its
/// hash, `DE-RIDES-2026-00000042/<16 hex>.html`, and found through `publication`'s number index;
/// a document stored on its own is keyed by its hash alone, `<16 hex>.html`, as before. Either way
/// a read checks the bytes against the hash in their key (and the JSON against the hash its row
/// keeps), so a damaged pack is an error that names it, never a wrong document, and writing a
/// document twice is harmless (a second row or copy, the same bytes).
///
/// Why the HTML of a rendered invoice has no `object` row (v4): `object`'s index is on a hash, so
/// every insert lands on a random page of it, and each page a transaction touches is a WAL frame
/// (two `pwrite`s) and a checkpoint copy, about a third of the object writer's CPU per event.
/// Earlier layouts kept the documents inside SQLite (every byte through the WAL and again into the
/// database file) or one file per document (``DirectoryObjectStore``, two inodes per event); both
/// cost serve a large share of its CPU. The figures are in docs/performance-notes.md.
///
/// Durability: `synchronous = NORMAL` and no fsync per commit: a killed process loses nothing; the
/// checkpointer fsyncs the pack before each checkpoint of the index, so a power cut loses at most
/// the last documents, and a document whose bytes did not survive reads as an error.
public final class PackedObjectStore: ObjectStore {
    private let database: DatabasePool
    private let pack: PackFile
    /// One write for the index, and for the pack unless its bytes are there already.
    private enum Document: Sendable {
        /// A document on its own, in `object`, under its key.
        case object(key: String, bytes: [UInt8])
        /// A published invoice, in `publication`: its JSON, and its HTML (new bytes, or a document
        /// stored before).
        case publication(number: String, json: [UInt8], jsonHash: String, html: HTML)
    }

    /// A publication's HTML.
    private enum HTML: Sendable {
        /// Bytes to append, with ``StableHash/contentHex(_:)`` of them.
        case bytes([UInt8], hash: String)
        /// A document in the pack already, and the hash its key names.
        case stored(at: Int64, length: Int, hash: String)
    }
    /// Documents from many tasks, written a batch per transaction on a thread of its own.
    private let writer: BatchWriter<Document>
    /// Checkpoints off the writer's path (the primary waits for the writer).
    private let checkpointer: WALCheckpointer
    /// How long a submission of several invoices (``storeRendered(_:)``: serve's port-primary
    /// batches) may wait for others to share its transaction; one invoice goes at once.
    private let batchLinger: Duration

    /// Opens (creating) `directory/objects.sqlite` and `directory/objects.pack`, migrating a store
    /// written by an earlier layout (its documents move into the pack).
    /// - Parameters:
    ///   - directory: The store's directory.
    ///   - batchLinger: How long a submission of several invoices may wait for more to share its
    ///     transaction (and their sends to share the producer's requests). Default 10 ms: invoices
    ///     then go out in larger bursts, which costs the producer's broker thread less per event.
    ///     One invoice at a time (legacy-primary events, whose latency counts) never waits.
    /// - Throws: ``ObjectStoreError`` naming the file that cannot be opened, or a pack shorter than
    ///   its index records.
    public init(directory: String, batchLinger: Duration = .milliseconds(10)) throws {
        self.batchLinger = batchLinger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        let path = base.appendingPathComponent("objects.sqlite").path
        let pack = try PackFile(path: base.appendingPathComponent("objects.pack").path)
        self.pack = pack
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0")
        }
        do {
            let database = try DatabasePool(path: path, configuration: configuration)
            self.database = database
            try Self.migrator(pack: pack).migrate(database)
            // Under the write lock (GRDB's write transactions are IMMEDIATE), as every append is:
            // another process appending to the same store is then never between its pack write and
            // its commit, so only bytes no index will ever point to are cut.
            try database.write { db in
                let indexed = try Self.referencedEnd(db)
                let size = try pack.size()
                if size > indexed {
                    try pack.truncate(to: indexed)
                } else if size < indexed {
                    throw ObjectStoreError(
                        path: pack.path,
                        message: "it holds \(size) bytes but its index (\(path)) records \(indexed): the pack was "
                            + "cut short or replaced. Move both files aside to start an empty store", action: "open")
                }
            }
            // Inline when idle: the primary path waits for this write; at a few hundred events a
            // second the writer thread would be asleep for every one of them.
            writer = BatchWriter(
                name: "object-writer", maximumBatch: 1_024, writesInlineWhenIdle: true, spin: .microseconds(300)
            ) { batch in
                try database.write { db in try Self.append(batch, to: pack, db) }
            }
            checkpointer = try WALCheckpointer(path: path, name: "object-ckpt") { try pack.synchronize() }
        } catch let error as ObjectStoreError {
            throw error
        } catch {
            throw ObjectStoreError(path: path, message: "\(error)", action: "open")
        }
    }

    /// Stores `bytes`; returns its key, `<hash>.html` (the same key for the same bytes).
    public func put(_ bytes: [UInt8]) throws -> String {
        let key = Self.hash(bytes) + ".html"
        try write([.object(key: key, bytes: bytes)])
        return key
    }

    /// The bytes stored under `key`: a rendered invoice's HTML (`<number>/<hash>.html`) or a
    /// document stored on its own (`<hash>.html`).
    /// - Throws: ``ObjectStoreError`` when the pack's bytes there do not match the key's hash.
    public func get(_ key: String) throws -> [UInt8]? {
        try database.read { db in
            guard let place = try Self.place(of: key, db) else { return nil }
            return try readHTML(place)
        }
    }

    /// Where the document `key` names is, and the hash it must have; nil when no index row has it.
    private static func place(of key: String, _ db: Database) throws -> (at: Int64, length: Int, hash: String)? {
        guard key.hasSuffix(".html") else { return nil }
        if let slash = key.lastIndex(of: "/") {
            let number = String(key[..<slash])
            let hash = String(key[key.index(after: slash)...].dropLast(5))
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT html_at, html_length FROM publication WHERE number = ? AND html_hash = ?
                            ORDER BY id DESC LIMIT 1
                            """), arguments: [number, hash])
            else { return nil }
            return (row[0], row[1], hash)
        }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT at, length FROM object WHERE key = ?"), arguments: [key])
        else { return nil }
        return (row[0], row[1], String(key.dropLast(5)))
    }

    /// Indexes an invoice by its number (the latest publication wins), with the HTML stored under
    /// `htmlKey` (a key from ``put(_:)`` or an earlier publication).
    /// - Throws: ``ObjectStoreError`` when no document has that key.
    public func putInvoice(number: String, json: [UInt8], htmlKey: String) throws {
        guard let place = try database.read({ db in try Self.place(of: htmlKey, db) }) else {
            throw ObjectStoreError(
                path: pack.path, message: "no document has the key \(htmlKey) (invoice \(number))", action: "index")
        }
        try write([
            .publication(
                number: number, json: json, jsonHash: Self.hash(json),
                html: .stored(at: place.at, length: place.length, hash: place.hash))
        ])
    }

    /// The HTML and the index in one transaction.
    public func putRendered(number: String, json: [UInt8], html: [UInt8]) throws -> String {
        let (document, key) = Self.publication(RenderedDocument(number: number, json: json, html: html))
        try write([document])
        return key
    }

    /// The HTML and the index, written with whatever other documents arrive meanwhile in one
    /// transaction on the store's writer thread (or by the caller, when the writer is idle);
    /// returns when they are written.
    public func storeRendered(number: String, json: [UInt8], html: [UInt8]) async throws -> String {
        try await storeRendered([RenderedDocument(number: number, json: json, html: html)])[0]
    }

    /// Many invoices, written together (with whatever else arrives meanwhile, for up to
    /// `batchLinger`) in one transaction; returns when they are written.
    public func storeRendered(_ documents: [RenderedDocument]) async throws -> [String] {
        // The hashes here, on the caller's thread, not on the one writer thread.
        let pending = documents.map(Self.publication)
        try await writer.submit(contentsOf: pending.map(\.document), linger: documents.count > 1 ? batchLinger : nil)
        return pending.map(\.key)
    }

    /// Appends in a transaction of the caller's (the synchronous paths; batches go through `writer`).
    private func write(_ documents: [Document]) throws {
        try database.write { db in try Self.append(documents, to: pack, db) }
    }

    /// ``StableHash/contentHex(_:)``: what keys and publication rows name documents by. (Stores of
    /// the v1 and v2 layouts keyed documents by FNV-1a, as ``DirectoryObjectStore`` still names
    /// files; their keys stay valid, and ``matches(_:hash:)`` accepts either.)
    private static func hash(_ bytes: [UInt8]) -> String {
        StableHash.contentHex(bytes)
    }

    /// Whether `bytes` hash to `hash`, by either rule.
    private static func matches(_ bytes: [UInt8], hash: String) -> Bool {
        hash == self.hash(bytes) || hash == StableHash.fnv1aHex(bytes)
    }

    /// A rendered invoice's publication, and its HTML's key.
    private static func publication(_ rendered: RenderedDocument) -> (document: Document, key: String) {
        let htmlHash = hash(rendered.html)
        return (
            .publication(
                number: rendered.number, json: rendered.json, jsonHash: hash(rendered.json),
                html: .bytes(rendered.html, hash: htmlHash)),
            rendered.number + "/" + htmlHash + ".html"
        )
    }

    deinit {
        writer.close()
        checkpointer.stop()
    }

    /// The invoice published under `number` (its latest publication).
    /// - Throws: ``ObjectStoreError`` when the pack's bytes do not match their index.
    public func invoice(number: String) throws -> StoredInvoice? {
        try database.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT json_at, json_length, json_hash, html_at, html_length, html_hash
                            FROM publication WHERE number = ? ORDER BY id DESC LIMIT 1
                            """), arguments: [number])
            else { return nil }
            let json = try pack.read(at: row["json_at"], length: row["json_length"])
            guard Self.matches(json, hash: row["json_hash"]) else {
                throw damaged("invoice \(number)'s JSON", at: row["json_at"])
            }
            return StoredInvoice(
                json: json, html: try readHTML((row["html_at"], row["html_length"], row["html_hash"])))
        }
    }

    private func readHTML(_ place: (at: Int64, length: Int, hash: String)) throws -> [UInt8] {
        let bytes = try pack.read(at: place.at, length: place.length)
        guard Self.matches(bytes, hash: place.hash) else {
            throw damaged("the document \(place.hash).html", at: place.at)
        }
        return bytes
    }

    private func damaged(_ what: String, at offset: Int64) -> ObjectStoreError {
        ObjectStoreError(
            path: pack.path, message: "\(what) at byte \(offset) does not match its hash: the pack is damaged",
            action: "read")
    }

    /// Appends the documents' bytes at the pack's end (one write), then indexes them, in the
    /// caller's transaction: if it rolls back, the bytes written are referenced by no row, and the
    /// next append goes after them (the next open cuts them off, if they are last). The transaction
    /// must be IMMEDIATE (GRDB's `write` is): the file's size is read, the bytes written and the
    /// commit made under SQLite's write lock, which also serializes two processes sharing the store.
    /// (Until v5 the index kept the pack's length in a row, read and updated by every append: with
    /// one transaction per event in shadow mode, a statement and a WAL page each time.)
    private static func append(_ documents: [Document], to pack: PackFile, _ db: Database) throws {
        let start = try pack.size()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(
            documents.reduce(0) { total, document in
                switch document {
                case .object(_, let content): total + content.count
                case .publication(_, let json, _, .bytes(let html, _)): total + html.count + json.count
                case .publication(_, let json, _, .stored): total + json.count
                }
            })
        // Where each document's new bytes begin (a publication's HTML, if new, then its JSON).
        var places: [Int64] = []
        places.reserveCapacity(documents.count)
        for document in documents {
            places.append(start + Int64(bytes.count))
            switch document {
            case .object(_, let content):
                bytes.append(contentsOf: content)
            case .publication(_, let json, _, let html):
                if case .bytes(let content, _) = html { bytes.append(contentsOf: content) }
                bytes.append(contentsOf: json)
            }
        }
        try pack.write(bytes, at: start)
        for (document, at) in zip(documents, places) {
            switch document {
            case .object(let key, let content):
                try db.cachedStatement(
                    sql: "INSERT INTO object (key, at, length) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING"
                ).execute(arguments: [key, at, content.count])
            case .publication(let number, let json, let jsonHash, let html):
                // New HTML comes first in the bytes written, then the JSON.
                let (htmlAt, htmlLength, htmlHash, jsonAt): (Int64, Int, String, Int64)
                switch html {
                case .bytes(let content, let hash):
                    (htmlAt, htmlLength, htmlHash, jsonAt) = (at, content.count, hash, at + Int64(content.count))
                case .stored(let storedAt, let length, let hash):
                    (htmlAt, htmlLength, htmlHash, jsonAt) = (storedAt, length, hash, at)
                }
                try db.cachedStatement(
                    sql: """
                        INSERT INTO publication (number, json_at, json_length, json_hash, html_at, html_length, html_hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    number, jsonAt, json.count, jsonHash, htmlAt, htmlLength, htmlHash,
                ])
            }
        }
    }

    /// Where the last byte any index row points to ends: the pack's committed length (read at
    /// open, under the write lock; it reads every row once).
    private static func referencedEnd(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db,
            sql: """
                SELECT MAX(end) FROM (
                    SELECT MAX(json_at + json_length) AS end FROM publication
                    UNION ALL SELECT MAX(html_at + html_length) FROM publication
                    UNION ALL SELECT MAX(at + length) FROM object)
                """) ?? 0
    }
}
