import ShadowCore

/// JSON parsed the way the legacy's `json.loads(text, object_pairs_hook=..., parse_constant=...)`
/// sees it, so that the port accepts and rejects the same documents:
/// - integers (no fraction, no exponent) and floats are different types, `true`/`false` are booleans;
/// - a duplicate key, `NaN`/`Infinity`, an integer of more than 4,300 digits, or values nested more
///   than ``maximumDepth`` deep (Python's recursion limit) make the whole document invalid;
/// - `\ud800` without its pair is a valid string that remembers it held a lone surrogate.
///
/// One file, over 400 lines, on purpose: it is one scanner mirroring CPython's `json/scanner.py`
/// and `_json.c` rule for rule, and is checked against them as a whole.
enum PythonJSON {
    case null
    case bool(Bool)
    /// An integer's canonical digits (`-0` is `0`).
    case integer(String)
    case float
    case string(PythonString)
    case array([PythonJSON])
    /// Members in document order; keys are unique.
    case object([Member])

    /// An object's member. A struct rather than a `(key:value:)` tuple: a tuple's copies and
    /// destroys go through the runtime's generic tuple witnesses, a struct's are compiled, and
    /// tearing down each event's tree was a tenth of a render.
    struct Member {
        var key: PythonString
        var value: PythonJSON
    }

    /// Python's `json` raises RecursionError at about this depth of values (measured: 991 nested arrays).
    static let maximumDepth = 991

    /// The JSON type name the legacy's messages use.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .float: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    subscript(key: String) -> PythonJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key.value == key && !$0.key.hasLoneSurrogate }?.value
    }

    /// Why a document is not valid JSON for the legacy.
    enum Failure: Error {
        case syntax(String)
        case duplicateKey(String)
        case constant(String)
        case tooDeep
        case integerTooLong
    }

    static func parse(_ bytes: [UInt8]) throws(Failure) -> PythonJSON {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws(Failure) -> PythonJSON {
            skipWhitespace()
            let value = try self.value(depth: 1)
            skipWhitespace()
            guard position == bytes.count else { throw .syntax("Extra data at byte \(position)") }
            return value
        }

        private mutating func skipWhitespace() {
            while position < bytes.count,
                bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D
                    || bytes[position] == 0x09
            {
                position += 1
            }
        }

        private func peek(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            let pointer = literal.utf8Start
            for offset in 0..<count where bytes[position + offset] != pointer[offset] { return false }
            return true
        }

        private mutating func value(depth: Int) throws(Failure) -> PythonJSON {
            if depth > PythonJSON.maximumDepth { throw .tooDeep }
            guard position < bytes.count else { throw .syntax("Expecting value at byte \(position)") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "n") where peek("null"):
                position += 4
                return .null
            case UInt8(ascii: "t") where peek("true"):
                position += 4
                return .bool(true)
            case UInt8(ascii: "f") where peek("false"):
                position += 5
                return .bool(false)
            case UInt8(ascii: "N") where peek("NaN"): throw .constant("NaN")
            case UInt8(ascii: "I") where peek("Infinity"): throw .constant("Infinity")
            case UInt8(ascii: "-") where peek("-Infinity"): throw .constant("-Infinity")
            default: return try number()
            }
        }

        private mutating func object(depth: Int) throws(Failure) -> PythonJSON {
            position += 1
            var members: [Member] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            // The event's objects hold 3 to 17 members: grown from empty, the array was reallocated
            // up to five times.
            members.reserveCapacity(8)
            while true {
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw .syntax("Expecting property name enclosed in double quotes at byte \(position)")
                }
                let key = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                    throw .syntax("Expecting ':' delimiter at byte \(position)")
                }
                position += 1
                skipWhitespace()
                let value = try self.value(depth: depth + 1)
                members.append(Member(key: key, value: value))
                skipWhitespace()
                guard position < bytes.count else { throw .syntax("Expecting ',' delimiter at byte \(position)") }
                if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    break
                }
                guard bytes[position] == UInt8(ascii: ",") else {
                    throw .syntax("Expecting ',' delimiter at byte \(position)")
                }
                position += 1
                skipWhitespace()
            }
            // The legacy's object_pairs_hook runs when an object closes, inner objects first.
            if members.count <= 24 {
                for index in members.indices.dropFirst() {
                    for earlier in 0..<index where members[earlier].key.sameKey(as: members[index].key) {
                        throw .duplicateKey(members[index].key.pythonRepr)
                    }
                }
            } else {
                var seen = Set<[UInt8]>()
                for member in members where !seen.insert(member.key.identity).inserted {
                    throw .duplicateKey(member.key.pythonRepr)
                }
            }
            return .object(members)
        }

        private mutating func array(depth: Int) throws(Failure) -> PythonJSON {
            position += 1
            var values: [PythonJSON] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(values)
            }
            while true {
                skipWhitespace()
                values.append(try value(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw .syntax("Expecting ',' delimiter at byte \(position)") }
                if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(values)
                }
                guard bytes[position] == UInt8(ascii: ",") else {
                    throw .syntax("Expecting ',' delimiter at byte \(position)")
                }
                position += 1
            }
        }

        private mutating func number() throws(Failure) -> PythonJSON {
            let start = position
            func digits() -> Int {
                let before = position
                while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
                return position - before
            }
            let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            guard position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 else {
                throw .syntax("Expecting value at byte \(start)")
            }
            let integerStart = position
            if bytes[position] == UInt8(ascii: "0") { position += 1 } else { _ = digits() }
            let integerEnd = position
            var isFloat = false
            if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "."), bytes[position + 1] >= 0x30,
                bytes[position + 1] <= 0x39
            {
                position += 1
                _ = digits()
                isFloat = true
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                let mark = position
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
                {
                    position += 1
                }
                if digits() == 0 { position = mark } else { isFloat = true }
            }
            if isFloat { return .float }
            let digitText = String(decoding: bytes[integerStart..<integerEnd], as: UTF8.self)
            if digitText.count > 4300 { throw .integerTooLong }
            return .integer(negative && digitText != "0" ? "-" + digitText : digitText)
        }

        private mutating func hex4() throws(Failure) -> UInt32 {
            guard position + 4 <= bytes.count else { throw .syntax("Invalid \\uXXXX escape at byte \(position)") }
            var value: UInt32 = 0
            for byte in bytes[position..<position + 4] {
                value <<= 4
                switch byte {
                case 0x30...0x39: value |= UInt32(byte - 0x30)
                case 0x41...0x46: value |= UInt32(byte - 0x41 + 10)
                case 0x61...0x66: value |= UInt32(byte - 0x61 + 10)
                default: throw .syntax("Invalid \\uXXXX escape at byte \(position)")
                }
            }
            position += 4
            return value
        }

        private mutating func string() throws(Failure) -> PythonString {
            position += 1
            let start = position
            // Fast path: no escape. The bytes are already valid UTF-8 (checked before parsing).
            var bits: UInt8 = 0
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let value = String(decoding: bytes[start..<position], as: UTF8.self)
                    position += 1
                    return PythonString(value: value, isASCII: bits < 0x80)
                }
                bits |= byte
                if byte < 0x20 { throw .syntax("Invalid control character at byte \(position)") }
                if byte == UInt8(ascii: "\\") { break }
                position += 1
            }
            var buffer = Array(bytes[start..<position])
            // Each lone surrogate: where its U+FFFD stands in `buffer`, and its own value.
            var lones: [(at: Int, value: UInt32)] = []
            func append(_ scalar: Unicode.Scalar) {
                buffer.append(contentsOf: UTF8.encode(scalar)!)
            }
            func appendLone(_ value: UInt32) {
                lones.append((buffer.count, value))
                append("\u{FFFD}")
            }
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    let value = String(decoding: buffer, as: UTF8.self)
                    guard !lones.isEmpty else { return PythonString(value: value) }
                    var codePoints: [UInt32] = []
                    var offset = 0
                    var next = 0
                    for scalar in value.unicodeScalars {
                        if next < lones.count, lones[next].at == offset {
                            codePoints.append(lones[next].value)
                            next += 1
                        } else {
                            codePoints.append(scalar.value)
                        }
                        offset += UTF8.width(scalar)
                    }
                    return PythonString(value: value, loneSurrogateCodePoints: codePoints)
                }
                if byte < 0x20 { throw .syntax("Invalid control character at byte \(position)") }
                if byte != UInt8(ascii: "\\") {
                    buffer.append(byte)
                    position += 1
                    continue
                }
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    let code = try hex4()
                    if (0xD800..<0xDC00).contains(code), peek("\\u") {
                        let mark = position
                        position += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            append(Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))!)
                        } else {
                            position = mark
                            appendLone(code)
                        }
                    } else if let scalar = Unicode.Scalar(code) {
                        append(scalar)
                    } else {
                        appendLone(code)
                    }
                default: throw .syntax("Invalid \\escape at byte \(position - 2)")
                }
            }
            throw .syntax("Unterminated string")
        }
    }
}

/// A JSON string as Python holds it. Swift strings cannot hold a lone surrogate, so one is kept
/// as U+FFFD in ``value``, with the string's code points as Python has them beside it: the legacy
/// rejects such text wherever it validates it, and names it, compares it and sorts it by its code points.
struct PythonString: Sendable {
    var value: String
    /// Every code point, lone surrogates as themselves, when there is a lone surrogate; nil otherwise.
    var loneSurrogateCodePoints: [UInt32]?
    /// Known to be ASCII only (the parser sets it for a string without escapes whose bytes are all
    /// below 0x80); false says nothing.
    var isASCII: Bool

    init(value: String, loneSurrogateCodePoints: [UInt32]? = nil, isASCII: Bool = false) {
        self.value = value
        self.loneSurrogateCodePoints = loneSurrogateCodePoints
        self.isASCII = isASCII
    }

    var hasLoneSurrogate: Bool { loneSurrogateCodePoints != nil }

    /// Whether this is `name` code point for code point (``Swift/String/isSameText(as:)``, and no
    /// lone surrogate). When this string is known ASCII, `==` and equal UTF-8 lengths say it:
    /// a string canonically equivalent to an ASCII one but not itself ASCII has a scalar of two or
    /// more bytes standing for one ASCII scalar (U+212A KELVIN SIGN for `K`), so it is longer. The
    /// port matches member names and choices with this: comparing the bytes of every match one by
    /// one through `UTF8View` cost a visible share of serve's CPU in swift mode.
    func isText(_ name: String) -> Bool {
        // Lengths first: most calls compare a member name with another field's name, and a
        // mismatch by `==` is an out-of-line call where the counts of two strings are inline.
        if isASCII { return value.utf8.count == name.utf8.count && value == name }
        return !hasLoneSurrogate && value.isSameText(as: name)
    }

    /// Whether this is one of `names` (``isText(_:)``).
    func isOneOf(_ names: [String]) -> Bool {
        for name in names where isText(name) { return true }
        return false
    }

    /// The code points, as Python's `str` holds them.
    var codePoints: [UInt32] { loneSurrogateCodePoints ?? value.unicodeScalars.map(\.value) }

    /// One key per distinct Python string (for duplicate-key detection): its UTF-8 bytes (not a
    /// `String`, whose hashing is canonical equivalence), or with lone surrogates, 0xFF (never in
    /// UTF-8) and every code point's four bytes.
    var identity: [UInt8] {
        guard let codePoints = loneSurrogateCodePoints else { return Array(value.utf8) }
        return [0xFF] + codePoints.flatMap { point in (0..<4).map { UInt8(truncatingIfNeeded: point >> ($0 * 8)) } }
    }

    /// Whether the two are one key for the legacy (``identity`` equal), without building either.
    func sameKey(as other: PythonString) -> Bool {
        // Two ASCII strings: canonical equivalence is the same bytes.
        if isASCII && other.isASCII { return value == other.value }
        return value.isSameText(as: other.value) && loneSurrogateCodePoints == other.loneSurrogateCodePoints
    }

    /// `json.dumps(value)`: ASCII only, like Python's default `ensure_ascii=True` (a lone
    /// surrogate as its own `\udXXX`).
    var pythonRepr: String { PythonText.jsonDumpsASCII(codePoints: codePoints) }

    /// Code point order, as Python's `sorted()` compares strings.
    static func precedes(_ left: PythonString, _ right: PythonString) -> Bool {
        guard left.hasLoneSurrogate || right.hasLoneSurrogate else {
            return PythonText.precedes(left.value, right.value)
        }
        return left.codePoints.lexicographicallyPrecedes(right.codePoints)
    }
}

/// Python's text conventions, where the legacy's messages depend on them.
enum PythonText {
    /// `json.dumps(text)` with `ensure_ascii=True`.
    static func jsonDumpsASCII(_ text: String) -> String {
        jsonDumpsASCII(codePoints: text.unicodeScalars.lazy.map(\.value))
    }

    /// `json.dumps(text)` with `ensure_ascii=True`, from Python's code points (surrogates included).
    static func jsonDumpsASCII(codePoints: some Sequence<UInt32>) -> String {
        var output = "\""
        func hex(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        }
        for value in codePoints {
            switch value {
            case 0x22: output += "\\\""
            case 0x5C: output += "\\\\"
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x08: output += "\\b"
            case 0x0C: output += "\\f"
            case 0x20...0x7E: output.unicodeScalars.append(Unicode.Scalar(UInt8(value)))
            case 0x10000...:
                let offset = value - 0x10000
                output += hex(0xD800 + (offset >> 10)) + hex(0xDC00 + (offset & 0x3FF))
            default: output += hex(value)
            }
        }
        return output + "\""
    }

    /// Code point order, as Python's `sorted()` compares strings.
    static func precedes(_ left: String, _ right: String) -> Bool {
        left.unicodeScalars.lexicographicallyPrecedes(right.unicodeScalars)
    }
}
