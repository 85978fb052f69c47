import Foundation
import GRDB
import ShadowCore

/// The SQLite store: comparisons, discrepancies, signatures, runs. Migrated on open; WAL for a
/// file, a private in-memory database for tests. See ``Schema`` for the tables.
public final class ShadowStore: Sendable {
    private let writer: any DatabaseWriter
    /// The database file (`:memory:` for an in-memory store), for messages that name it.
    public let path: String

    private init(writer: any DatabaseWriter, path: String) throws {
        self.writer = writer
        self.path = path
        try Schema.migrator.migrate(writer)
    }

    /// Opens (creating it and its directory if needed) the database file at `path`, in WAL mode, and migrates it.
    /// - Parameter path: The database file.
    /// - Throws: An error naming the file when it cannot be opened or migrated.
    public static func open(path: String) throws -> ShadowStore {
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                // Incremental vacuum, so that retention can give deleted pages back to the file
                // system; it takes effect in a new file only (before its first table), and is a
                // no-op on a store made before (its freed pages are reused, the file does not shrink).
                if !db.configuration.readonly { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
                // A checkpoint every 8,000 WAL pages (32 MB) rather than SQLite's 1,000: the index
                // on event_id takes its inserts on random pages, so a page is dirtied by several
                // transactions between two checkpoints and copied back once (the row writer's
                // checkpoints run inside its commits; docs/performance-notes.md).
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 8000")
                // The writer's page cache at 16 MB rather than SQLite's 2 MB, so the event_id
                // index's leaves (random, ~45 bytes a row: 200,000 events' fit) are read from
                // memory, not the file (docs/performance-notes.md). It is full long before the
                // 100,000 events at which `bench` first reads resident memory, so it adds nothing to
                // the growth from there.
                if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -16384") }
            }
            return try ShadowStore(writer: DatabasePool(path: path, configuration: configuration), path: path)
        } catch {
            throw ShadowStoreError(.cannotOpen, "cannot open the store at \(path): \(error)")
        }
    }

    /// A private in-memory database, migrated.
    public static func inMemory() throws -> ShadowStore {
        try ShadowStore(writer: DatabaseQueue(), path: ":memory:")
    }

    // MARK: - Runs

    /// Records the start of a run and returns its number.
    /// - Parameters:
    ///   - source: What is replayed, or `serve`.
    ///   - ignoreRules: The rules in force.
    ///   - noiseCheck: Whether the legacy runs twice per event.
    ///   - startedAt: When the run started.
    public func startRun(
        source: String, ignoreRules: IgnoreRules, noiseCheck: Bool, startedAt: Date, versions: Versions? = nil
    ) throws -> Int64 {
        let rules = String(decoding: try JSONEncoder().encode(ignoreRules.rules), as: UTF8.self)
        return try writer.write { db in
            let build = try versions.map { try Self.buildID($0, db, seen: startedAt) }
            try db.execute(
                sql: "INSERT INTO run (started_ms, source, ignore_rules, noise_check, build_id) VALUES (?, ?, ?, ?, ?)",
                arguments: [milliseconds(startedAt), source, rules, noiseCheck ? 1 : 0, build])
            return db.lastInsertedRowID
        }
    }

    /// The versions of both implementations a run or a comparison was made with.
    public struct Versions: Codable, Sendable, Hashable {
        /// The legacy package's: a content hash of its files.
        public var legacy: String
        /// The port's: the binary's build id.
        public var port: String

        /// Versions.
        public init(legacy: String, port: String) {
            self.legacy = legacy
            self.port = port
        }

        /// `legacy 3f2a9c1e07b4 · port 4d00ea42abf7`.
        public var description: String { "legacy \(legacy.prefix(12)) · port \(port.prefix(12))" }
    }

    /// The id of a pair of versions, made the first time it is seen (at `seen`).
    static func buildID(_ versions: Versions, _ db: Database, seen: Date) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO build (legacy, port, first_ms) VALUES (?, ?, ?) ON CONFLICT(legacy, port) DO NOTHING",
            arguments: [versions.legacy, versions.port, milliseconds(seen)])
        return try Int64.fetchOne(
            db, sql: "SELECT id FROM build WHERE legacy = ? AND port = ?", arguments: [versions.legacy, versions.port])!
    }

    /// Records the end of a run.
    public func finishRun(_ id: Int64, finishedAt: Date) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE run SET finished_ms = ? WHERE id = ?", arguments: [milliseconds(finishedAt), id])
        }
    }

    /// The most recent run's number, if any.
    public func latestRunID() throws -> Int64? {
        try writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM run") }
    }

    // MARK: - Comparisons

    /// One comparison as it is recorded.
    public struct Record: Sendable {
        /// The comparison to record: facts, kind, signature, both sides' outcomes and latencies.
        public var comparison: Comparison
        /// The event bytes, kept for every discrepancy so it can be reproduced.
        public var event: [UInt8]
        /// Which implementation served.
        public var primary: Implementation
        /// When it was recorded.
        public var recordedAt: Date
        /// ``StableHash/fnv1aHex(_:)`` of ``event``, when the caller has it already.
        public var eventHash: String?
        /// The `serve --instance` that compared it, if one was named.
        public var instance: String?
        /// The versions it was compared with, when they are not its run's (a comparison read from
        /// another instance).
        public var versions: Versions?

        /// Creates a record.
        /// - Parameters:
        ///   - comparison: The comparison.
        ///   - event: The event bytes.
        ///   - primary: Which implementation served.
        ///   - recordedAt: When it was recorded.
        ///   - eventHash: `StableHash.fnv1aHex(event)` if already computed (serve computes it for its
        ///     duplicate check); computed when recorded otherwise.
        ///   - instance: The instance that compared it.
        public init(
            comparison: Comparison, event: [UInt8], primary: Implementation, recordedAt: Date, eventHash: String? = nil,
            instance: String? = nil
        ) {
            self.comparison = comparison
            self.event = event
            self.primary = primary
            self.recordedAt = recordedAt
            self.eventHash = eventHash
            self.instance = instance
        }

        /// Whether ``ShadowStore/record(_:runID:)`` writes a `discrepancy` row for it (the event,
        /// both outcomes, the differences). Parity has nothing to show, nor has one side only (legacy
        /// or swift mode, or a skipped shadow) that rendered: its invoice is in the object store and
        /// on Kafka. A one-sided failure keeps its row, with the error.
        public var keepsDiscrepancy: Bool {
            !(comparison.kind == .match || (comparison.kind == .skipped && comparison.legacy.outcome.isRendered))
        }

        /// This record without the bytes ``ShadowStore/record(_:runID:)`` would not write: for a row
        /// without a discrepancy, the rendered invoices (their outcomes stay `rendered`, empty) and
        /// the event (its hash computed first if missing). Serve's rows wait for their batch on
        /// another thread, which copied each record's every reference and freed the invoices'
        /// buffers, allocated on the thread that rendered them: retains, releases and frees were a
        /// large share of serve's row writer in swift mode.
        public func withoutUnwrittenBytes() -> Record {
            guard !keepsDiscrepancy else { return self }
            var slim = self
            slim.eventHash = eventHash ?? StableHash.fnv1aHex(event)
            slim.event = []
            func emptied(_ side: SideResult) -> SideResult {
                guard case .rendered = side.outcome else { return side }
                var side = side
                side.outcome = .rendered(RenderedInvoice(invoiceJSONBytes: [], htmlBytes: []))
                return side
            }
            slim.comparison.legacy = emptied(comparison.legacy)
            slim.comparison.swift = comparison.swift.map(emptied)
            return slim
        }
    }

    /// Records a batch in one transaction. Recording an event again replaces its row: one row per event.
    /// - Parameters:
    ///   - records: The comparisons.
    ///   - runID: The run recording them.
    public func record(_ records: [Record], runID: Int64) throws {
        guard !records.isEmpty else { return }
        try writer.write { db in try Self.write(records, runID: runID, db) }
    }

    /// Writes `records` in the caller's transaction.
    static func write(_ records: [Record], runID: Int64, _ db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json<T: Encodable>(_ value: T) throws -> String {
            String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        do {
            // Cached: at a thousand small batches a second (shadow mode), preparing four statements
            // per batch was most of the row writer's CPU (sqlite3Parser at the top of its profile).
            let upsertSignature = try db.cachedStatement(
                sql: """
                    INSERT INTO signature (id, country, business_line, kind, paths, first_build_id, last_build_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET last_build_id = coalesce(excluded.last_build_id, last_build_id),
                        first_build_id = coalesce(first_build_id, excluded.first_build_id)
                    """)
            let upsertComparison = try RawStatement(
                db.cachedStatement(
                    sql: """
                        INSERT INTO comparison (event_id, run_id, country, business_line, event_type, kind, signature_id,
                            primary_side, legacy_us, swift_us, noise_paths, recorded_ms, event_hash, instance, build_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(event_id) DO UPDATE SET run_id = excluded.run_id, country = excluded.country,
                            business_line = excluded.business_line, event_type = excluded.event_type, kind = excluded.kind,
                            signature_id = excluded.signature_id, primary_side = excluded.primary_side,
                            legacy_us = excluded.legacy_us, swift_us = excluded.swift_us,
                            noise_paths = excluded.noise_paths, recorded_ms = excluded.recorded_ms,
                            event_hash = excluded.event_hash, instance = excluded.instance,
                            build_id = excluded.build_id
                        """), in: db)
            // The run's versions, and those of comparisons read from other instances, resolved once.
            // Cached like the statements above: serve writes hundreds of batches a second.
            let runBuild = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT build_id FROM run WHERE id = ?"), arguments: [runID])
            var builds: [Versions: Int64] = [:]
            let replaceDiscrepancy = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO discrepancy (event_id, event, differences, ignored, html_diff,
                        legacy_invoice, legacy_html, legacy_error, swift_invoice, swift_html, swift_error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            // A batch holds few signatures (in serve, mostly one match signature per country and line).
            var signaturesWritten = Set<String>()
            // Each record is read in place (the parameter is borrowed): a copy of a record, or of
            // its comparison, retained every reference it holds and released them again.
            func upsert(_ record: Record) throws {
                let signatureID = record.comparison.signature.id  // a hash of its text: once per row
                var build = runBuild
                if let versions = record.versions {
                    let known = try builds[versions] ?? Self.buildID(versions, db, seen: record.recordedAt)
                    builds[versions] = known
                    build = known
                }
                if signaturesWritten.insert(signatureID).inserted {
                    try upsertSignature.execute(arguments: [
                        signatureID, record.comparison.signature.country, record.comparison.signature.businessLine,
                        record.comparison.signature.kind.rawValue, Self.jsonArray(record.comparison.signature.paths),
                        build, build,
                    ])
                }
                // A one-sided comparison (the shadow did not run) carries its only result in `legacy`;
                // in `swift` mode that result is Swift's and is recorded in Swift's columns.
                let swiftOnly = record.comparison.swift == nil && record.primary == .swift
                let legacyLatency = swiftOnly ? nil : record.comparison.legacy.latency
                let swiftLatency = swiftOnly ? record.comparison.legacy.latency : record.comparison.swift?.latency
                upsertComparison.bind(1, record.comparison.facts.eventID)
                upsertComparison.bind(2, runID)
                upsertComparison.bind(3, record.comparison.facts.country)
                upsertComparison.bind(4, record.comparison.facts.businessLine)
                upsertComparison.bind(5, record.comparison.facts.eventType)
                upsertComparison.bind(6, record.comparison.kind.rawValue)
                upsertComparison.bind(7, signatureID)
                upsertComparison.bind(8, record.primary.rawValue)
                upsertComparison.bind(9, legacyLatency.flatMap { microseconds($0, ran: true) })
                upsertComparison.bind(10, swiftLatency.flatMap { microseconds($0, ran: true) })
                upsertComparison.bind(11, Self.jsonArray(record.comparison.noisePaths))
                upsertComparison.bind(12, milliseconds(record.recordedAt))
                upsertComparison.bind(13, record.eventHash ?? StableHash.fnv1aHex(record.event))
                upsertComparison.bind(14, record.instance)
                upsertComparison.bind(15, build)
                try upsertComparison.execute()
                // (An old discrepancy of the event went with the upsert: Schema's v4 trigger.)
                if record.keepsDiscrepancy {
                    let comparison = record.comparison
                    let (legacySide, swiftSide) =
                        swiftOnly ? (nil, comparison.legacy) : (Optional(comparison.legacy), comparison.swift)
                    let none: (invoice: String?, html: String?, error: String?) = (nil, nil, nil)
                    let legacy = legacySide.map { Self.columns($0.outcome) } ?? none
                    let swift = swiftSide.map { Self.columns($0.outcome) } ?? none
                    try replaceDiscrepancy.execute(arguments: [
                        comparison.facts.eventID, Data(record.event), try json(comparison.differences),
                        try json(comparison.ignored), comparison.htmlDiff.joined(separator: "\n"),
                        legacy.invoice, legacy.html, legacy.error, swift.invoice, swift.html, swift.error,
                    ])
                }
            }
            for index in records.indices { try upsert(records[index]) }
        }
    }

    /// A JSON array of strings (paths) in ShadowCore's canonical form: two `JSONEncoder` runs per
    /// row were a measurable share of serve's row writer. Decodes to the same array as
    /// `JSONEncoder`'s text.
    static func jsonArray(_ strings: [String]) -> String {
        // Most rows have no noise paths: nothing to build.
        strings.isEmpty ? "[]" : JSONValue.array(strings.map(JSONValue.string)).canonicalText
    }

    private static func columns(_ outcome: RenderOutcome) -> (invoice: String?, html: String?, error: String?) {
        func text(_ object: [String: String]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        switch outcome {
        case .rendered(let invoice): return (invoice.invoiceJSON, invoice.html, nil)
        case .invalidEvent(let field, let reason): return (nil, nil, text(["invalid_field": field, "reason": reason]))
        case .failed(let failure):
            return (
                nil, nil,
                text([
                    "origin": failure.origin, "type": failure.type, "message": failure.message,
                    "detail": failure.detail,
                ])
            )
        case .timedOut: return (nil, nil, #"{"timeout":true}"#)
        }
    }

    /// The hash (``StableHash``) of the event recorded under `eventID`, if one is.
    public func recordedEventHash(eventID: String) throws -> String? {
        // One SELECT is atomic on its own: no transaction around it (half the cost of `read`, which
        // is paid once per event on serve's hot path).
        try writer.unsafeReentrantRead { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT event_hash FROM comparison WHERE event_id = ?"), arguments: [eventID])
        }
    }

    /// ``recordedEventHash(eventID:)`` for many ids in one SELECT: the ids already recorded, with
    /// their event hashes (ids not recorded are absent).
    public func recordedEventHashes(eventIDs: [String]) throws -> [ExactText: String] {
        guard eventIDs.count > 1 else {
            // One id: the cached statement.
            guard let id = eventIDs.first, let hash = try recordedEventHash(eventID: id) else { return [:] }
            return [ExactText(id): hash]
        }
        // Keyed by code points, as SQLite compares the ids (String keys would merge canonically
        // equivalent ones).
        var found: [ExactText: String] = [:]
        // SQLite allows 32,766 parameters a statement; 500 at a time. Prepared per call, not cached:
        // every batch size would be a statement of its own in the cache.
        for start in stride(from: 0, to: eventIDs.count, by: 500) {
            let ids = Array(eventIDs[start..<min(start + 500, eventIDs.count)])
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            try writer.unsafeReentrantRead { db in
                let rows = try Row.fetchCursor(
                    db.makeStatement(
                        sql: "SELECT event_id, event_hash FROM comparison WHERE event_id IN (\(placeholders))"),
                    arguments: StatementArguments(ids))
                while let row = try rows.next() { found[ExactText(row[0])] = row[1] }
            }
        }
        return found
    }

    /// Event ids of the comparison rows after row `after` (rows in the order they were first
    /// recorded; a row recorded again keeps its place), from the next `limit` row numbers: for
    /// reading every id once, a chunk at a time, and then only those recorded since.
    /// - Parameters:
    ///   - row: The last row read before.
    ///   - limit: How many row numbers to read at most.
    ///   - skippingRun: Rows last recorded by this run are passed over by SQLite, their ids not
    ///     returned (the caller has them).
    /// - Returns: The ids, the last row number read (`row` when there are none) and whether there
    ///   are rows after it.
    public func eventIDs(after row: Int64, limit: Int, skippingRun: Int64? = nil) throws -> (
        ids: [String], last: Int64, more: Bool
    ) {
        try writer.unsafeReentrantRead { db in
            // Rows are numbered in the order they commit (one writer at a time), so every row up
            // to the largest number seen here is there to read in the second statement.
            let end = try Self.largestComparisonRow(db)
            guard end > row else { return ([], row, false) }
            let last = min(end, row + Int64(limit))
            // This run's own rows are skipped inside SQLite (in serve they are most rows) rather
            // than read back through a cursor to be dropped.
            let ids = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT event_id FROM comparison WHERE rowid > ? AND rowid <= ? AND run_id IS NOT ?
                        ORDER BY rowid
                        """), arguments: [row, last, skippingRun])
            return (ids, last, last < end)
        }
    }

    /// The number of comparison rows, or a little more, read cheaply where `COUNT(*)` reads a whole
    /// index: the span of row numbers from the oldest row retention has not kept as an example to
    /// the newest, plus the examples. (The largest row number alone counts every row ever
    /// recorded: under retention, months of rows long deleted.)
    public func comparisonRowsEstimate() throws -> Int {
        try writer.unsafeReentrantRead { db in
            let examples =
                try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM comparison WHERE kept = 1")) ?? 0
            // In row order the examples come first among old rows and are few, so this stops soon.
            guard
                let first = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT rowid FROM comparison WHERE kept = 0 ORDER BY rowid LIMIT 1"))
            else { return examples }
            return Int(try Self.largestComparisonRow(db) - first + 1) + examples
        }
    }

    /// The largest comparison row number (0 for none).
    private static func largestComparisonRow(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(rowid) FROM comparison")) ?? 0
    }

    /// Comparisons recorded, in one run or in all.
    public func comparisonCount(runID: Int64? = nil) throws -> Int {
        try writer.read { db in
            if let runID {
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM comparison WHERE run_id = ?", arguments: [runID])
                    ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM comparison") ?? 0
        }
    }

    /// The mean render time of one side (`legacy` or `swift`) over every row that has it, µs (0 for none):
    /// for benchmarks.
    package func meanLatencyMicroseconds(side: String) throws -> Double {
        let column = side == "legacy" ? "legacy_us" : "swift_us"
        return try writer.read { db in try Double.fetchOne(db, sql: "SELECT AVG(\(column)) FROM comparison") ?? 0 }
    }

    /// Caps the database at `pages` pages (SQLite's `max_page_count`; 0 or less lifts the cap): a
    /// full disk, for fault tests.
    package func limitPages(_ pages: Int) throws {
        try writer.write { db in
            try db.execute(sql: "PRAGMA max_page_count = \(pages > 0 ? pages : 4_294_967_294)")
        }
    }

    /// Runs `body` with read access, for tools and tests that query the schema directly.
    package func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    /// Runs `body` in one write transaction.
    func writeTransaction<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try writer.write(body)
    }

    /// Runs `body` in one write transaction, suspending rather than blocking while the writer is busy.
    func writeTransaction<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await writer.write(body)
    }
}

func milliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded())
}

func microseconds(_ duration: Duration, ran: Bool) -> Int64? {
    guard ran else { return nil }
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
}
