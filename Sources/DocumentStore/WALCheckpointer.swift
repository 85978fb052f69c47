import CThreadTuning
import Foundation
import GRDB
import Synchronization

/// Checkpoints a WAL database from a connection and a thread of its own, so that its writer never
/// stops to copy pages back and fsync. SQLite's automatic checkpoint runs inside whichever commit
/// crosses 1,000 WAL pages, and the primary path waits for the object store's batched writes:
/// such a commit takes tens of times longer than the others. Open the database with
/// `PRAGMA wal_autocheckpoint = 0` and start one of these beside it.
///
/// Passive checkpoints never block the writer or readers. But SQLite restarts the WAL from its
/// beginning only when a write transaction begins with every frame already copied back, which a
/// writer that never pauses does not give it: the WAL then grows without end, and every frame
/// goes to newly allocated blocks, which ext4 zero-fills. So once the WAL holds more than
/// `restartFrames` frames, a `RESTART` checkpoint follows the passive one: it holds the writer only
/// while it copies the few frames written since, and the WAL's blocks are reused from then on.
final class WALCheckpointer: Sendable {
    private let stopping = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens a second connection to `path` and checkpoints every `interval` until ``stop()``.
    /// - Parameters:
    ///   - path: The database file, in WAL mode with `wal_autocheckpoint = 0`.
    ///   - name: The thread's name.
    ///   - interval: Between passive checkpoints. Default 100 ms.
    ///   - restartFrames: WAL frames above which the log is restarted. Default 4,096 (16 MB of 4 KB pages).
    ///   - beforeCheckpoint: Runs before each checkpoint, on the thread: what must be durable before
    ///     the database's pages are (``PackedObjectStore`` syncs its pack file, which the index points into).
    ///     A throw skips that checkpoint; the next tick tries again.
    /// - Throws: The error opening the connection.
    init(
        path: String, name: String, interval: Duration = .milliseconds(100), restartFrames: Int = 4_096,
        beforeCheckpoint: @escaping @Sendable () throws -> Void = {}
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        let thread = Thread { [self] in
            _ = thread_tuning_set_name(String(name.prefix(15)))
            while !stopping.withLock({ $0 }) {
                Thread.sleep(
                    forTimeInterval: Double(interval.components.attoseconds) / 1e18
                        + Double(interval.components.seconds))
                // A failed checkpoint (busy) is retried at the next tick; the data is safe in the WAL.
                guard (try? beforeCheckpoint()) != nil else { continue }
                try? connection.writeWithoutTransaction { db in
                    // Columns: busy, frames in the WAL, frames copied back.
                    let frames = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")?[1] as Int? ?? 0
                    if frames > restartFrames { try db.execute(sql: "PRAGMA wal_checkpoint(RESTART)") }
                }
            }
            if (try? beforeCheckpoint()) != nil {
                try? connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread after one last checkpoint; returns when it has stopped.
    func stop() {
        let first = stopping.withLock { stopping -> Bool in
            defer { stopping = true }
            return !stopping
        }
        if first { finished.wait() }
    }
}
