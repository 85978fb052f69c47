import GRDB

/// The store's schema, as append-only migrations. Never edit a shipped migration: add one.
///
/// Tables (query them with `sqlite3 shadow.db`):
///
/// `run`: one per `replay` or `serve` process.
/// | column | meaning |
/// |---|---|
/// | `id` | run number |
/// | `started_ms`, `finished_ms` | Unix milliseconds; `finished_ms` NULL while running or after a crash |
/// | `source` | what was replayed (`replay Tests/Corpus/events.jsonl`) or `serve` |
/// | `ignore_rules` | JSON array of the ignore rules in force (`[{"path": ..., "reason": ...}]`) |
/// | `noise_check` | 1 when the legacy ran twice per event to detect noise |
///
/// `comparison`: exactly one row per event, keyed by `event_id` (a later run of the same event replaces it).
/// | column | meaning |
/// |---|---|
/// | `event_id` | the event's `event_id`, or `fnv1a:<16 hex>` (the FNV-1a hash of its bytes) when it has none |
/// | `run_id` | the run that recorded it last |
/// | `country`, `business_line`, `event_type` | from the event (`??` when unreadable) |
/// | `kind` | `match`, `mismatch`, `legacy_error`, `swift_error`, `both_error_same`, `both_error_different`, `invalid_event`, `timeout`, `skipped` |
/// | `signature_id` | → `signature.id` |
/// | `primary_side` | `legacy` or `swift`: which implementation served |
/// | `legacy_us`, `swift_us` | each side's own render time in microseconds; NULL when that side did not run |
/// | `noise_paths` | JSON array of paths that differed between two legacy runs; `[]` otherwise |
/// | `recorded_ms` | Unix milliseconds |
/// | `event_hash` | FNV-1a of the event's bytes (16 hex digits): a later event reusing the id with other bytes is a duplicate |
/// | `instance` | the `serve --instance` that compared it (NULL for replay, and for serve without one) |
///
/// `signature`: what groups one bug's rows. `id` (16 hex digits), `country`, `business_line`,
/// `kind`, `paths` (JSON array, generalized: `/lines/*/tax`).
///
/// `discrepancy`: details for every comparison that is not a `match`, keyed by `event_id` (a
/// trigger drops it when its comparison is recorded again).
/// `event` (the bytes), `differences` and `ignored` (JSON arrays of `{path, legacy, swift}`, values
/// as canonical JSON), `html_diff` (text, `-` legacy / `+` Swift), and per side `*_invoice`,
/// `*_html` and `*_error` (JSON: `{"origin", "type", "message", "detail"}` or
/// `{"invalid_field", "reason"}`, or `{"timeout": true}`).
///
/// `lost_events`: offsets of the input topic that were never consumed (the broker dropped them
/// from the log before serve read them: retention, or the embedded broker's size cap). `topic`,
/// `partition`, `first_offset`, `last_offset` (inclusive), `detected_ms`.
///
/// `flag`: the cutover flag per country (`legacy`, `shadow`, `live`, `swift`); a country without a
/// row is `shadow`. `country`, `state`, `changed_ms`, `percentage` (with `live`: the share of the
/// country's customers Swift serves; 100 otherwise).
///
/// `flag_audit`: every change, manual or automatic. `id`, `country`, `from_state`, `to_state`,
/// `actor` (who: a user, a token's owner, or `invoice-shadow` for an automatic revert), `reason`,
/// `forced` (1 when the evidence gate was overridden), `evidence` (JSON snapshot the gate used:
/// `comparisons`, `parity`, `legacy_p99_ms`, `swift_p99_ms`, `window_hours`), `changed_ms`,
/// `instance` (the instance that made the change, when flags travel through Kafka),
/// `request_id` (the change's id on the flags topic), `from_percentage` and `to_percentage`.
///
/// `ramp_plan`: one per country at most: `steps` (JSON array of live percentages), `target` (`live`
/// or `swift`), `hold_ms` (the least time on a step), `status` (`running`, `paused`, `finished`,
/// `cancelled`, `interrupted`), `step` (steps applied so far), `actor`, `created_ms`, `updated_ms`,
/// `note` (what it waits for, or why it stopped), `request_id` (the last plan command applied, for
/// its proposer to find out what became of it).
///
/// `build`: a pair of versions the harness ran with, `legacy` (a content hash of the legacy
/// package) and `port` (the binary's build id), and when this store first saw it (`first_ms`);
/// `run.build_id` and `comparison.build_id` name the pair a run and a comparison were made with (a
/// comparison read from another instance keeps that instance's); `signature.first_build_id` and
/// `last_build_id` the pairs it was first and last seen with.
///
/// `daily_count`: comparisons folded by retention, per UTC `day` (YYYY-MM-DD), `country`,
/// `signature_id` and `kind`; `comparison.kept` marks the examples retention keeps whatever their age.
///
/// `topic_offset`: how far this store has applied a Kafka topic it materializes (the comparisons and
/// flags topics of several instances): `topic`, `partition`, `next_offset`, written in the same
/// transaction as the rows a message made, so that each message is applied exactly once.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, comparisons, signatures, discrepancies") { db in
            try db.execute(
                sql: """
                    CREATE TABLE run (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        started_ms INTEGER NOT NULL,
                        finished_ms INTEGER,
                        source TEXT NOT NULL,
                        ignore_rules TEXT NOT NULL DEFAULT '[]',
                        noise_check INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE signature (
                        id TEXT PRIMARY KEY,
                        country TEXT NOT NULL,
                        business_line TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        paths TEXT NOT NULL
                    );
                    CREATE TABLE comparison (
                        event_id TEXT PRIMARY KEY,
                        run_id INTEGER NOT NULL REFERENCES run(id),
                        country TEXT NOT NULL,
                        business_line TEXT NOT NULL,
                        event_type TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        signature_id TEXT NOT NULL REFERENCES signature(id),
                        primary_side TEXT NOT NULL,
                        legacy_us INTEGER,
                        swift_us INTEGER,
                        noise_paths TEXT NOT NULL DEFAULT '[]',
                        recorded_ms INTEGER NOT NULL
                    );
                    CREATE INDEX comparison_run ON comparison(run_id, kind);
                    CREATE INDEX comparison_country_time ON comparison(country, recorded_ms);
                    CREATE INDEX comparison_signature ON comparison(signature_id);
                    CREATE TABLE discrepancy (
                        event_id TEXT PRIMARY KEY REFERENCES comparison(event_id) ON DELETE CASCADE,
                        event BLOB NOT NULL,
                        differences TEXT NOT NULL,
                        ignored TEXT NOT NULL,
                        html_diff TEXT NOT NULL,
                        legacy_invoice TEXT,
                        legacy_html TEXT,
                        legacy_error TEXT,
                        swift_invoice TEXT,
                        swift_html TEXT,
                        swift_error TEXT
                    );
                    """)
        }
        migrator.registerMigration("v2: cutover flags and their audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE flag (
                        country TEXT PRIMARY KEY,
                        state TEXT NOT NULL,
                        changed_ms INTEGER NOT NULL
                    );
                    CREATE TABLE flag_audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        country TEXT NOT NULL,
                        from_state TEXT NOT NULL,
                        to_state TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        forced INTEGER NOT NULL DEFAULT 0,
                        evidence TEXT NOT NULL,
                        changed_ms INTEGER NOT NULL
                    );
                    CREATE INDEX flag_audit_country ON flag_audit(country, id);
                    """)
        }
        migrator.registerMigration("v3: the hash of each recorded event") { db in
            try db.execute(sql: "ALTER TABLE comparison ADD COLUMN event_hash TEXT")
        }
        migrator.registerMigration("v4: a recorded-again comparison drops its old discrepancy") { db in
            // The discrepancy a comparison had goes when it is recorded again (a new one, if any, is
            // written after). A first recording has none to drop: record(_:runID:) no longer runs a
            // DELETE for every row (one statement of three per row in serve).
            try db.execute(
                sql: """
                    CREATE TRIGGER comparison_recorded_again AFTER UPDATE ON comparison BEGIN
                        DELETE FROM discrepancy WHERE event_id = NEW.event_id;
                    END
                    """)
        }
        migrator.registerMigration("v5: ids made from an event's bytes are named fnv1a:, the hash they are") { db in
            // comparison first: its recorded-again trigger deletes the discrepancy under the new
            // id, which exists only once discrepancy is renamed after it. (GRDB checks foreign keys
            // at the end of the migration, when both tables agree again.)
            for table in ["comparison", "discrepancy"] {
                try db.execute(
                    sql: """
                        UPDATE \(table) SET event_id = 'fnv1a:' || substr(event_id, 5)
                        WHERE event_id LIKE 'sha:%' AND length(event_id) = 20
                        """)
            }
        }
        migrator.registerMigration("v6: events lost before they were consumed") { db in
            try db.execute(
                sql: """
                    CREATE TABLE lost_events (
                        id INTEGER PRIMARY KEY,
                        topic TEXT NOT NULL,
                        partition INTEGER NOT NULL,
                        first_offset INTEGER NOT NULL,
                        last_offset INTEGER NOT NULL,
                        detected_ms INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v7: evidence and flags shared by instances through Kafka") { db in
            try db.execute(
                sql: """
                    ALTER TABLE comparison ADD COLUMN instance TEXT;
                    ALTER TABLE flag_audit ADD COLUMN instance TEXT;
                    ALTER TABLE flag_audit ADD COLUMN request_id TEXT;
                    CREATE TABLE topic_offset (
                        topic TEXT NOT NULL,
                        partition INTEGER NOT NULL,
                        next_offset INTEGER NOT NULL,
                        PRIMARY KEY (topic, partition)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v8: percentage ramps") { db in
            try db.execute(
                sql: """
                    ALTER TABLE flag ADD COLUMN percentage REAL NOT NULL DEFAULT 100;
                    ALTER TABLE flag_audit ADD COLUMN from_percentage REAL NOT NULL DEFAULT 100;
                    ALTER TABLE flag_audit ADD COLUMN to_percentage REAL NOT NULL DEFAULT 100;
                    """)
        }
        migrator.registerMigration("v9: ramp plans") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ramp_plan (
                        country TEXT PRIMARY KEY,
                        steps TEXT NOT NULL,
                        target TEXT NOT NULL,
                        hold_ms INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        step INTEGER NOT NULL DEFAULT 0,
                        actor TEXT NOT NULL,
                        created_ms INTEGER NOT NULL,
                        updated_ms INTEGER NOT NULL,
                        note TEXT NOT NULL DEFAULT ''
                    );
                    """)
        }
        migrator.registerMigration("v10: plan commands between instances") { db in
            try db.execute(sql: "ALTER TABLE ramp_plan ADD COLUMN request_id TEXT")
        }
        migrator.registerMigration("v11: the versions of both implementations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE build (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        legacy TEXT NOT NULL,
                        port TEXT NOT NULL,
                        first_ms INTEGER NOT NULL,
                        UNIQUE (legacy, port)
                    );
                    ALTER TABLE run ADD COLUMN build_id INTEGER REFERENCES build(id);
                    ALTER TABLE comparison ADD COLUMN build_id INTEGER REFERENCES build(id);
                    ALTER TABLE signature ADD COLUMN first_build_id INTEGER REFERENCES build(id);
                    ALTER TABLE signature ADD COLUMN last_build_id INTEGER REFERENCES build(id);
                    """)
        }
        migrator.registerMigration("v12: retention") { db in
            try db.execute(
                sql: """
                    ALTER TABLE comparison ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE daily_count (
                        day TEXT NOT NULL,
                        country TEXT NOT NULL,
                        signature_id TEXT NOT NULL REFERENCES signature(id),
                        kind TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (day, country, signature_id, kind)
                    ) WITHOUT ROWID;
                    -- Only an event recorded again loses its old discrepancy, not a row retention keeps.
                    DROP TRIGGER comparison_recorded_again;
                    CREATE TRIGGER comparison_recorded_again AFTER UPDATE OF recorded_ms ON comparison BEGIN
                        DELETE FROM discrepancy WHERE event_id = NEW.event_id;
                    END;
                    """)
        }
        migrator.registerMigration("v13: the examples retention keeps, indexed") { db in
            // Retention counts a signature's kept examples for each signature it meets; through
            // comparison_signature that read every row of the signature (tens of thousands), most of
            // a retention step. Kept rows are a handful per signature, so their index is tiny.
            try db.execute(sql: "CREATE INDEX comparison_kept ON comparison(signature_id) WHERE kept = 1")
        }
        return migrator
    }
}
