import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An append-only data file: documents are written once, at the end, and read back by offset and
/// length. Who owns which bytes is the index's business (``PackedObjectStore`` keeps it in SQLite);
/// bytes past the end the index records are a write the index never committed, and ``truncate(to:)``
/// drops them.
///
/// No locking of its own: appends come from one writer at a time (the index's write transaction
/// serializes them), and reads (`pread`) are safe beside an append because nobody reads bytes the
/// index does not yet point to.
final class PackFile: Sendable {
    let path: String
    private let descriptor: Int32
    /// Bytes from the start whose page-cache pages ``synchronize()`` has released.
    private let released = Mutex<Int64>(0)
    /// The page size, for ``synchronize()``'s whole pages (read once, not at every sync).
    private static let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))

    /// Opens (creating) the file at `path`.
    /// - Throws: ``ObjectStoreError`` naming the file.
    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ObjectStoreError(path: path, errno: errno) }
    }

    deinit { close(descriptor) }

    /// The file's size in bytes.
    func size() throws -> Int64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ObjectStoreError(path: path, errno: errno) }
        return Int64(status.st_size)
    }

    /// Writes `bytes` at `offset` (all of them, or throws).
    func write(_ bytes: [UInt8], at offset: Int64) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(
                    descriptor, buffer.baseAddress! + written, buffer.count - written, off_t(offset) + off_t(written))
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw ObjectStoreError(path: path, errno: result < 0 ? errno : EIO) }
            written += result
        }
    }

    /// `length` bytes from `offset`.
    /// - Throws: ``ObjectStoreError`` when the file ends before them (a pack cut short).
    func read(at offset: Int64, length: Int) throws -> [UInt8] {
        guard length > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, length - done, off_t(offset) + off_t(done))
            }
            if result < 0 && errno == EINTR { continue }
            guard result >= 0 else { throw ObjectStoreError(path: path, errno: errno, action: "read") }
            guard result > 0 else {
                throw ObjectStoreError(
                    path: path,
                    message: "the file ends at \(offset + Int64(done)) bytes, inside a document its index "
                        + "records at \(offset)..<\(offset + Int64(length))", action: "read")
            }
            done += result
        }
        return bytes
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: Int64) throws {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw ObjectStoreError(path: path, errno: errno) }
        released.withLock { $0 = min($0, length) }
    }

    /// Makes what was written durable (`fdatasync`), then gives the kernel back the page-cache pages
    /// of the whole pages it made durable. A pack is written once and read rarely (a report, a
    /// replay), so its pages serve nobody once on disk; released, they are what the next appends'
    /// pages are allocated from, while a growing file otherwise takes pages the machine has not
    /// touched yet, whose first use costs far more on a VM that hands free pages back to its host
    /// (docs/performance-notes.md).
    func synchronize() throws {
        let durable = try size()
        guard fdatasync(descriptor) == 0 else { throw ObjectStoreError(path: path, errno: errno) }
        // Whole pages only: the last, partial one takes the next append, which would read it back.
        let end = durable - durable % Self.pageSize
        released.withLock { start in
            guard end > start else { return }
            // Advice: a failure (none is expected for a regular file) leaves the pages cached.
            _ = posix_fadvise(descriptor, off_t(start), off_t(end - start), POSIX_FADV_DONTNEED)
            start = end
        }
    }
}
