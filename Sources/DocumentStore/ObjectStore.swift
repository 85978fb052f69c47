import Foundation
import ShadowCore

#if canImport(Glibc)
    import Glibc
#endif

/// Rendered HTML documents in a directory tree, content-addressed (`ab/abcdef….html` by a hash of
/// the bytes) and written atomically (a temporary file, then a rename), so a reader never sees half
/// a document and writing the same document twice is harmless. The interface leaves room for an
/// S3-compatible store.
public protocol ObjectStore: Sendable {
    /// Stores `bytes` and returns its key.
    func put(_ bytes: [UInt8]) throws -> String
    /// The bytes stored under `key`, if any.
    func get(_ key: String) throws -> [UInt8]?
    /// Indexes a published invoice by its number: its JSON, and the key of its HTML.
    func putInvoice(number: String, json: [UInt8], htmlKey: String) throws
    /// The invoice published under `number` (the latest when republished), if any.
    func invoice(number: String) throws -> StoredInvoice?
    /// Stores a rendered invoice's HTML and indexes the invoice by its number; returns the HTML's key.
    func putRendered(number: String, json: [UInt8], html: [UInt8]) throws -> String
    /// ``putRendered(number:json:html:)`` without blocking the calling task's thread.
    func storeRendered(number: String, json: [UInt8], html: [UInt8]) async throws -> String
    /// ``storeRendered(number:json:html:)`` for many invoices, in one transaction where the store
    /// can; returns the HTML keys, in order.
    func storeRendered(_ documents: [RenderedDocument]) async throws -> [String]
}

/// A rendered invoice on its way to the object store.
public struct RenderedDocument: Sendable {
    /// The invoice number (the index key).
    public var number: String
    /// The invoice JSON.
    public var json: [UInt8]
    /// The HTML document.
    public var html: [UInt8]

    /// A rendered invoice to store under `number`.
    public init(number: String, json: [UInt8], html: [UInt8]) {
        self.number = number
        self.json = json
        self.html = html
    }
}

extension ObjectStore {
    /// ``put(_:)``, then ``putInvoice(number:json:htmlKey:)``.
    public func putRendered(number: String, json: [UInt8], html: [UInt8]) throws -> String {
        let key = try put(html)
        try putInvoice(number: number, json: json, htmlKey: key)
        return key
    }

    /// ``putRendered(number:json:html:)`` in the calling task.
    public func storeRendered(number: String, json: [UInt8], html: [UInt8]) async throws -> String {
        try putRendered(number: number, json: json, html: html)
    }

    /// ``storeRendered(number:json:html:)`` for each, in order.
    public func storeRendered(_ documents: [RenderedDocument]) async throws -> [String] {
        var keys: [String] = []
        for document in documents {
            keys.append(try await storeRendered(number: document.number, json: document.json, html: document.html))
        }
        return keys
    }
}

/// A published invoice as the object store keeps it.
public struct StoredInvoice: Sendable, Equatable {
    /// The invoice JSON, as published on `invoices.rendered`.
    public var json: [UInt8]
    /// The customer's HTML document.
    public var html: [UInt8]

    /// An invoice as it was published: its JSON and its HTML document.
    public init(json: [UInt8], html: [UInt8]) {
        self.json = json
        self.html = html
    }
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
        let key = StableHash.fnv1aHex(bytes) + ".html"
        let directory = root.appendingPathComponent(String(key.prefix(2)))
        let target = directory.appendingPathComponent(key)
        if FileManager.default.fileExists(atPath: target.path) { return key }
        try Self.write(bytes, to: target)
        return key
    }

    /// Writes `invoices/<hex of the number>`: the HTML's key on the first line, then the invoice
    /// JSON. The number is hex-encoded so that no invoice number can name a path outside the directory.
    public func putInvoice(number: String, json: [UInt8], htmlKey: String) throws {
        try Self.write(
            Array(htmlKey.utf8) + [0x0A] + json,
            to: root.appendingPathComponent("invoices").appendingPathComponent(Self.fileName(number)))
    }

    /// The invoice indexed under `number`.
    public func invoice(number: String) throws -> StoredInvoice? {
        let path = root.appendingPathComponent("invoices").appendingPathComponent(Self.fileName(number)).path
        guard let contents = FileManager.default.contents(atPath: path), let newline = contents.firstIndex(of: 0x0A),
            let html = try get(String(decoding: contents[..<newline], as: UTF8.self))
        else { return nil }
        return StoredInvoice(json: Array(contents[(newline + 1)...]), html: html)
    }

    private static func fileName(_ number: String) -> String {
        let bytes = Array(number.utf8)
        // Long "numbers" (hostile input) are hashed to keep file names short.
        if bytes.count > 100 { return "h" + StableHash.fnv1aHex(bytes) }
        return "n" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Atomically: a temporary file in the same directory, then a rename. Without fsync: a killed
    /// process loses nothing it wrote (the kernel has it); a power cut may lose the last documents,
    /// which the store's rows and Kafka's redelivery then re-create. (Foundation's `Data.write`
    /// fsyncs every file, which made three fsyncs per event the bottleneck of serve.)
    private static func write(_ bytes: [UInt8], to target: URL) throws {
        let directory = target.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp").path
        var descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 && errno == ENOENT {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { throw ObjectStoreError(path: temporary, errno: errno) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let code = errno
                close(descriptor)
                unlink(temporary)
                throw ObjectStoreError(path: temporary, errno: code)
            }
            written += result
        }
        close(descriptor)
        guard rename(temporary, target.path) == 0 else {
            let code = errno
            unlink(temporary)
            throw ObjectStoreError(path: target.path, errno: code)
        }
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

/// A document that could not be written or read, naming the file and the system's reason.
public struct ObjectStoreError: Error, CustomStringConvertible, Sendable {
    /// The file or directory that failed.
    public var path: String
    /// What failed there (the system's message, or what did not match).
    public var message: String
    /// What failed: `write` or `read`.
    public var action: String

    init(path: String, message: String, action: String = "write") {
        self.path = path
        self.message = message
        self.action = action
    }

    init(path: String, errno: Int32, action: String = "write") {
        self.init(path: path, message: String(cString: strerror(errno)), action: action)
    }

    /// `cannot write PATH: reason` (or `cannot read`).
    public var description: String { "cannot \(action) \(path): \(message)" }
}
