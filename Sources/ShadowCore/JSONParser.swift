/// Where and why JSON text could not be parsed.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte offset of the problem.
    public var offset: Int
    /// What was wrong there.
    public var reason: String

    /// `reason at byte offset`.
    public var description: String { "\(reason) at byte \(offset)" }
}

/// The JSON grammar (RFC 8259) over bytes, for ``JSONValue/parse(_:)`` and
/// ``JSONValue/topLevelStrings(_:in:)``.
struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected text after the document") }
        return value
    }

    /// ``JSONValue/topLevelStrings(named:in:)``: the same grammar as ``document()``, nothing kept
    /// but the wanted strings.
    mutating func topLevelStrings(_ names: [String]) throws(JSONParseError) -> [String?] {
        var found = [String?](repeating: nil, count: names.count)
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else {
            try skipValue()
            skipWhitespace()
            guard position == bytes.count else { throw fail("unexpected text after the document") }
            return found
        }
        try nest()
        if try !open(closedBy: UInt8(ascii: "}")) {
            repeat {
                // The key's bytes against the names, unless it has an escape: no String per key.
                let keyStart = position
                var wanted: Int?
                if let range = try skipMemberKey() {
                    wanted = names.firstIndex { $0.utf8.count == range.count && $0.utf8.elementsEqual(bytes[range]) }
                } else {
                    position = keyStart
                    let key = try memberKey()
                    wanted = names.firstIndex(of: key)
                }
                if let index = wanted {
                    skipWhitespace()
                    if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                        found[index] = try string()
                    } else {
                        found[index] = nil
                        try skipValue()
                    }
                } else {
                    try skipValue()
                }
            } while try !closeItem(closedBy: UInt8(ascii: "}"))
        }
        depth -= 1
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected text after the document") }
        return found
    }

    /// Checks one value and moves past it, keeping nothing: the grammar and the errors of
    /// ``value()``, without building strings, dictionaries or arrays (an invoice's `lines` before
    /// its `number`, an event's `order` before its `time_zone`).
    private mutating func skipValue() throws(JSONParseError) {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            try nest()
            defer { depth -= 1 }
            if try open(closedBy: UInt8(ascii: "}")) { return }
            repeat {
                _ = try skipMemberKey()
                try skipValue()
            } while try !closeItem(closedBy: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            try nest()
            defer { depth -= 1 }
            if try open(closedBy: UInt8(ascii: "]")) { return }
            repeat { try skipValue() } while try !closeItem(closedBy: UInt8(ascii: "]"))
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): _ = try literal("true", .bool(true))
        case UInt8(ascii: "f"): _ = try literal("false", .bool(false))
        case UInt8(ascii: "n"): _ = try literal("null", .null)
        default: _ = try numberText()
        }
    }

    /// Moves past a string, checking it as ``string()`` does.
    private mutating func skipString() throws(JSONParseError) {
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return
            }
            if byte < 0x20 { throw fail("control character in a string") }
            position += 1
            if byte == UInt8(ascii: "\\") {
                guard position < bytes.count else { break }
                _ = try escape()
            }
        }
        throw fail("unterminated string")
    }

    private func fail(_ reason: String) -> JSONParseError {
        JSONParseError(offset: position, reason: reason)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func value() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try number()
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count,
            UnsafeBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[position..<position + count])
        else { throw fail("invalid literal") }
        position += count
        return value
    }

    private mutating func nest() throws(JSONParseError) {
        depth += 1
        if depth > 512 { throw fail("nested too deeply") }
    }

    private mutating func object() throws(JSONParseError) -> JSONValue {
        try nest()
        defer { depth -= 1 }
        var members: [String: JSONValue] = [:]
        if try open(closedBy: UInt8(ascii: "}")) { return .object(members) }
        repeat {
            let key = try memberKey()
            members[key] = try value()
        } while try !closeItem(closedBy: UInt8(ascii: "}"))
        return .object(members)
    }

    /// Moves past `{` or `[`; true when the container is empty (and its `closing` byte passed too).
    private mutating func open(closedBy closing: UInt8) throws(JSONParseError) -> Bool {
        position += 1
        skipWhitespace()
        guard position < bytes.count, bytes[position] == closing else { return false }
        position += 1
        return true
    }

    /// Reads a member's key and its `:`, leaving the position at the value.
    private mutating func memberKey() throws(JSONParseError) -> String {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a key") }
        let key = try string()
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        position += 1
        return key
    }

    /// Moves past a member's key and its `:` as ``memberKey()`` does, without making the key:
    /// returns where its bytes are when it has no escape (nil when it has one).
    private mutating func skipMemberKey() throws(JSONParseError) -> Range<Int>? {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a key") }
        let start = position + 1
        try skipString()
        let key = start..<(position - 1)
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        position += 1
        return bytes[key].contains(UInt8(ascii: "\\")) ? nil : key
    }

    /// Moves past the `,` after a member or an element, or the container's `closing` byte (then true).
    private mutating func closeItem(closedBy closing: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input") }
        if bytes[position] == UInt8(ascii: ",") {
            position += 1
            return false
        }
        guard bytes[position] == closing else { throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))'") }
        position += 1
        return true
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        try nest()
        defer { depth -= 1 }
        var values: [JSONValue] = []
        if try open(closedBy: UInt8(ascii: "]")) { return .array(values) }
        repeat { values.append(try value()) } while try !closeItem(closedBy: UInt8(ascii: "]"))
        return .array(values)
    }

    private mutating func number() throws(JSONParseError) -> JSONValue {
        let text = String(decoding: bytes[try numberText()], as: UTF8.self)
        return .number(JSONValue.canonicalNumber(text))
    }

    /// Moves past a number; returns where it was.
    private mutating func numberText() throws(JSONParseError) -> Range<Int> {
        let start = position
        func digits() -> Int {
            let before = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                position += 1
            }
            return position - before
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard digits() > 0 else { throw fail("invalid number") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw fail("invalid number") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits() > 0 else { throw fail("invalid number") }
        }
        return start..<position
    }

    private mutating func string() throws(JSONParseError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flushRun(_ end: Int, into scalars: inout String.UnicodeScalarView) {
            if end > runStart {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
        }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                // The common case, a string without escapes: one decode, no scalar-by-scalar append.
                if scalars.isEmpty { return String(decoding: bytes[runStart..<position], as: UTF8.self) }
                flushRun(position, into: &scalars)
                return String(scalars)
            }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                flushRun(position, into: &scalars)
                position += 1
                guard position < bytes.count else { break }
                scalars.append(try escape())
                runStart = position
                continue
            }
            position += 1
        }
        throw fail("unterminated string")
    }

    /// Reads the escape after a backslash (the position just past it).
    private mutating func escape() throws(JSONParseError) -> Unicode.Scalar {
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code), position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            {
                position += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw fail("unpaired surrogate") }
            return scalar
        default: throw fail("invalid escape")
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count,
            let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { throw fail("invalid \\u escape") }
        position += 4
        return code
    }
}
