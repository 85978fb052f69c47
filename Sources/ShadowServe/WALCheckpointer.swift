import Foundation
import GRDB
import Synchronization

/// Checkpoints a WAL database from a connection and a thread of its own, so that its writer never
/// stops to copy pages back and fsync. SQLite's automatic checkpoint runs inside whichever commit
/// crosses 1,000 WAL pages: measured in `bench`, the object store's batched writes, which the
/// primary path waits for, then took up to 11-22 ms instead of 0.3 ms. Open the database with
/// `PRAGMA wal_autocheckpoint = 0` and start one of these beside it.
///
/// Passive checkpoints never block the writer or readers; the WAL restarts from its beginning once
/// a checkpoint has caught up, so it stays bounded as long as this thread keeps up.
final class WALCheckpointer: Sendable {
    private let stopping = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens a second connection to `path` and checkpoints every `interval` until ``stop()``.
    /// - Throws: The error opening the connection.
    init(path: String, name: String, interval: Duration = .milliseconds(100)) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        let thread = Thread { [self] in
            while !stopping.withLock({ $0 }) {
                Thread.sleep(
                    forTimeInterval: Double(interval.components.attoseconds) / 1e18
                        + Double(interval.components.seconds))
                // A failed checkpoint (busy) is retried at the next tick; the data is safe in the WAL.
                try? connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            }
            try? connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
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
