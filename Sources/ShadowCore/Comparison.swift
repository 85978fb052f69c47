/// What the harness knows of an event before either side renders it.
public struct EventFacts: Equatable, Sendable {
    /// The event's `event_id`, or `fnv1a:<FNV-1a hash of the bytes>` when it has none.
    public var eventID: String
    /// `country`, or `??` when the event does not say.
    public var country: String
    /// `business_line`, or `??`.
    public var businessLine: String
    /// `event_type`, or `??`.
    public var eventType: String

    /// Creates facts.
    /// - Parameters:
    ///   - eventID: The key the store uses.
    ///   - country: The country.
    ///   - businessLine: The business line.
    ///   - eventType: The event type.
    public init(eventID: String, country: String, businessLine: String, eventType: String) {
        self.eventID = eventID
        self.country = country
        self.businessLine = businessLine
        self.eventType = eventType
    }

    private static let fieldNames = ["event_id", "country", "business_line", "event_type"]

    /// Reads the facts from raw event bytes, whatever state they are in. Never fails: bytes that
    /// are not a JSON object give `??` fields and a key derived from the bytes, so even garbage
    /// gets exactly one row.
    /// - Parameter event: The event bytes.
    public static func read(_ event: [UInt8]) -> EventFacts {
        let values = JSONValue.topLevelStrings(Self.fieldNames, in: event)
        func field(_ index: Int) -> String? {
            // At most 4 bytes a scalar: 100 bytes or fewer need no count.
            if let value = values[index], !value.isEmpty, value.utf8.count <= 100 || value.unicodeScalars.count <= 100 {
                return value
            }
            return nil
        }
        return EventFacts(
            eventID: field(0) ?? "fnv1a:" + StableHash.fnv1aHex(event),
            country: field(1) ?? "??",
            businessLine: field(2) ?? "??",
            eventType: field(3) ?? "??")
    }
}

/// A discrepancy's signature: what groups the many rows one bug causes.
public struct Signature: Hashable, Sendable, Codable {
    /// The event's country code, as the event gives it (`??` when unreadable).
    public var country: String
    /// The business line.
    public var businessLine: String
    /// How the two sides compared.
    public var kind: DiscrepancyKind
    /// The differing places, generalized (`/lines/*/tax`), sorted; for failures, what failed
    /// (`legacy:python:KeyError`, `swift:swift:not_implemented`, `invalid:customer.name`).
    public var paths: [String]

    /// Creates a signature.
    /// - Parameters:
    ///   - country: The country.
    ///   - businessLine: The business line.
    ///   - kind: The kind.
    ///   - paths: What differed or failed, sorted.
    public init(country: String, businessLine: String, kind: DiscrepancyKind, paths: [String]) {
        self.country = country
        self.businessLine = businessLine
        self.kind = kind
        self.paths = paths
    }

    /// The signature as one line: `DE|eats|mismatch|/lines/*/tax,/totals/tax`.
    public var text: String { "\(country)|\(businessLine)|\(kind.rawValue)|\(paths.joined(separator: ","))" }

    /// A short stable identifier: 16 hex digits of a 64-bit FNV-1a hash of ``text``.
    public var id: String { StableHash.fnv1aHex(Array(text.utf8)) }
}

/// The result of comparing the two sides on one event.
public struct Comparison: Sendable, Equatable {
    /// The event's id, country, business line and type, read without validating it.
    public var facts: EventFacts
    /// How the two sides compared (match, mismatch, an error on one side, ...).
    public var kind: DiscrepancyKind
    /// The group of comparisons this one belongs to: country, line, kind and differing paths.
    public var signature: Signature
    /// The legacy side.
    public var legacy: SideResult
    /// The Swift side; nil when it did not run (skipped).
    public var swift: SideResult?
    /// Invoice JSON differences that count.
    public var differences: [JSONDifference]
    /// Differences dropped by an ignore rule.
    public var ignored: [JSONDifference]
    /// Paths that differed between two legacy runs of this event: noise, not counted.
    public var noisePaths: [String]
    /// The HTML line diff (`-` legacy, `+` Swift); empty when the documents are equal or ignored.
    public var htmlDiff: [String]

    /// A comparison as the comparator made it, or as a store reads one back.
    public init(
        facts: EventFacts, kind: DiscrepancyKind, signature: Signature, legacy: SideResult, swift: SideResult?,
        differences: [JSONDifference], ignored: [JSONDifference], noisePaths: [String], htmlDiff: [String]
    ) {
        self.facts = facts
        self.kind = kind
        self.signature = signature
        self.legacy = legacy
        self.swift = swift
        self.differences = differences
        self.ignored = ignored
        self.noisePaths = noisePaths
        self.htmlDiff = htmlDiff
    }
}

/// A 64-bit FNV-1a hash: stable across runs and platforms (unlike `Hasher`), for keys and ids.
public enum StableHash {
    /// The hash of `bytes` as 16 lowercase hex digits.
    /// - Parameter bytes: Any bytes.
    public static func fnv1aHex(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hex(hash)
    }

    /// A 64-bit hash of `bytes` taken 8 bytes at a step, as 16 lowercase hex digits: for content
    /// keys of documents (the object store's), where FNV-1a's byte-at-a-time multiply chain is a
    /// visible share of serve's CPU in swift mode. Not FNV: ids and hashes already stored (event hashes,
    /// signature ids, `fnv1a:` ids) stay ``fnv1aHex(_:)``.
    ///
    /// Each step is a bijection of the state for a given word (an xor, an odd multiply, an
    /// xor-shift), and the length goes in first, so two inputs of one length that differ in one
    /// 8-byte word never collide. Stable across runs and platforms (words read little-endian).
    public static func contentHex(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(bytes.count)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                hash = (hash ^ word) &* 0xff51_afd7_ed55_8ccd
                hash ^= hash >> 32
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < raw.count {
                tail |= UInt64(raw[offset]) << shift
                shift += 8
                offset += 1
            }
            hash = (hash ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hex(hash)
    }

    /// 16 lowercase hex digits, written straight into the string's storage (sixteen bytes is one
    /// more than a small string holds: `String(radix:)` padded by concatenation made three).
    private static func hex(_ hash: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for index in 0..<16 {
                let nibble = Int((hash >> UInt64(60 - 4 * index)) & 0xF)
                buffer[index] = digits.utf8Start[nibble]
            }
            return 16
        }
    }
}
