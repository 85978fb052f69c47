import Foundation
import ShadowCore

/// Rendered HTML documents in a directory tree, content-addressed (`ab/abcdef….html` by a hash of
/// the bytes) and written atomically (a temporary file, then a rename), so a reader never sees half
/// a document and writing the same document twice is harmless. The interface leaves room for an
/// S3-compatible store.
public protocol ObjectStore: Sendable {
    /// Stores `bytes` and returns its key.
    func put(_ bytes: [UInt8]) throws -> String
    /// The bytes stored under `key`, if any.
    func get(_ key: String) throws -> [UInt8]?
}

/// ``ObjectStore`` on a local directory.
public struct DirectoryObjectStore: ObjectStore {
    /// The root directory.
    public let root: URL

    /// Uses (and creates) `root`.
    public init(root: String) throws {
        self.root = URL(fileURLWithPath: root)
        try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
    }

    /// Stores `bytes`; the key is 16 hex digits of a stable 64-bit hash (FNV-1a) plus `.html`.
    public func put(_ bytes: [UInt8]) throws -> String {
        let key = StableHash.hex(bytes) + ".html"
        let directory = root.appendingPathComponent(String(key.prefix(2)))
        let target = directory.appendingPathComponent(key)
        if FileManager.default.fileExists(atPath: target.path) { return key }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(key).\(UUID().uuidString).tmp")
        try Data(bytes).write(to: temporary)
        guard rename(temporary.path, target.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown)
        }
        return key
    }

    /// The bytes stored under `key`.
    public func get(_ key: String) throws -> [UInt8]? {
        guard key.allSatisfy({ $0.isHexDigit || $0 == "." || $0.isLetter }), !key.contains("/") else { return nil }
        return FileManager.default.contents(
            atPath: root.appendingPathComponent(String(key.prefix(2))).appendingPathComponent(key).path
        )
        .map(Array.init)
    }
}
