import CLibCrypto
import Foundation

/// The secret that keys redaction tokens: 32 random bytes, kept in a file of 64 hex digits. The
/// same key gives the same token for the same value, so one customer's rows stay linked across
/// events, runs and instances that share the key; without the key a token says nothing of the value.
public struct RedactionKey: Sendable, Equatable {
    let bytes: [UInt8]

    /// A key of these bytes (at least 16).
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 16 else { throw RedactionError("a redaction key needs at least 16 bytes") }
        self.bytes = bytes
    }

    /// The key in `path`.
    /// - Throws: ``RedactionError`` naming the file and what is wrong with it.
    public static func load(path: String) throws -> RedactionKey {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RedactionError("cannot read the redaction key \(path): \(error.localizedDescription)")
        }
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard hex.count >= 32, hex.count % 2 == 0, let bytes = Self.bytes(hex: hex) else {
            throw RedactionError(
                "\(path) is not a redaction key: it holds \(hex.count) characters, not 32 or more hex digits")
        }
        return try RedactionKey(bytes: bytes)
    }

    /// The key in `path`, made there first (32 random bytes, readable by its owner only) if the file
    /// does not exist. Two processes starting at once agree: the file is created exclusively, and the
    /// one that loses reads the winner's.
    /// - Returns: The key, and whether it was made now.
    public static func loadOrCreate(path: String) throws -> (key: RedactionKey, created: Bool) {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let text = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            defer { close(descriptor) }
            let written = text.utf8CString.withUnsafeBufferPointer {
                write(descriptor, $0.baseAddress, text.utf8.count)
            }
            guard written == text.utf8.count, fsync(descriptor) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw RedactionError("cannot write the redaction key \(path): \(reason)")
            }
            return (try RedactionKey(bytes: bytes), true)
        }
        guard errno == EEXIST else {
            throw RedactionError("cannot create the redaction key \(path): \(String(cString: strerror(errno)))")
        }
        // Another process may be writing it this instant: a moment for its 65 bytes to land.
        for _ in 0..<50 {
            // A half-written file fails to load: tried again; the last attempt below throws its error.
            if let key = try? load(path: path) { return (key, false) }
            usleep(20_000)
        }
        return (try load(path: path), false)
    }

    /// HMAC-SHA256 of `message` under this key.
    func mac(_ message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        bytes.withUnsafeBufferPointer { key in
            message.withUnsafeBufferPointer { data in
                _ = HMAC(
                    EVP_sha256(), key.baseAddress, Int32(key.count), data.baseAddress, data.count, &output, &length)
            }
        }
        return Array(output.prefix(Int(length)))
    }

    private static func bytes(hex: String) -> [UInt8]? {
        var result: [UInt8] = []
        var high: UInt8?
        for character in hex.utf8 {
            let value: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                result.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return result
    }
}

/// A redaction key that cannot be read or made, or a value that cannot be redacted.
public struct RedactionError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the file.
    public var description: String

    init(_ description: String) { self.description = description }
}
