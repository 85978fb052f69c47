import Foundation

/// Writes a file through a temporary name and a rename, so a reader never sees half of it.
public enum AtomicFile {
    /// Writes `text` to `path`, replacing what was there.
    /// - Throws: ``AtomicFileError`` naming the path and the reason.
    public static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw AtomicFileError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } catch let error as AtomicFileError {
            // Best effort: the write's own failure is what the caller reports.
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            // Best effort, as above.
            try? FileManager.default.removeItem(atPath: temporary)
            throw AtomicFileError(description: "cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// A file could not be written; the description names it and says why.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    /// What failed, for people.
    public let description: String
}
