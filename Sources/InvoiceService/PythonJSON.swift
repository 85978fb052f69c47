import Foundation
import ShadowCore

/// JSON parsed the way the legacy's `json.loads(text, object_pairs_hook=..., parse_constant=...)`
/// sees it, so that the port accepts and rejects the same documents:
/// - integers (no fraction, no exponent) and floats are different types, `true`/`false` are booleans;
/// - a duplicate key, `NaN`/`Infinity`, an integer of more than 4,300 digits, or values nested more
///   than ``maximumDepth`` deep (Python's recursion limit) make the whole document invalid;
/// - `\ud800` without its pair is a valid string that remembers it held a lone surrogate.
///
/// A parsed document is a flat list of nodes over the document's own bytes (``Parsed``), and a
/// value is a node of it: no String is made for a key, and none for a value until it is read. A
/// tree of enums, with an array of members per object and a String per key and value, was most of
/// the decoder's cost to build, walk and tear down (docs/performance-notes.md).
///
/// One file, over 400 lines, on purpose: it is one scanner mirroring CPython's `json/scanner.py`
/// and `_json.c` rule for rule, and is checked against them as a whole.
struct PythonJSON {
    /// The parsed document the value is a node of.
    let document: Document
    /// The value's node in ``Document/nodes``.
    let index: Int

    enum Kind: UInt8 {
        case null, bool, integer, float, string, array, object
    }

    /// One value, in document order (a container before its contents; an object's members as
    /// key then value).
    struct Node {
        var kind: Kind
        /// A string with an escape: its text is in ``Document/strings`` at ``extra``.
        var escaped = false
        /// A string known to be ASCII only.
        var ascii = false
        /// A string's contents (between the quotes), or an integer's digits (without the sign).
        var start: Int32 = 0
        var end: Int32 = 0
        /// The node after this one's contents.
        var next: Int32 = 0
        /// A container's count; an integer: 1 when negative (not `-0`); a bool: 1 when true; an
        /// escaped string: its index in ``Document/strings``.
        var extra: Int32 = 0
    }

    /// A parsed document: its nodes, and the strings that held escapes, decoded.
    struct Parsed {
        let bytes: [UInt8]
        let nodes: [Node]
        let strings: [PythonString]

        /// Calls `body` with the document's root value, valid only within `body`.
        func withRoot<Result>(_ body: (PythonJSON) throws(InvalidEvent) -> Result) throws(InvalidEvent) -> Result {
            try Document.over(bytes, nodes, strings) { (document) throws(InvalidEvent) in
                try body(PythonJSON(document: document, index: 0))
            }
        }
    }

    /// A parsed document seen through pointers into its arrays (``Parsed/withRoot(_:)``): values,
    /// members and iterators copy it with no reference counting, where a class holding the
    /// arrays made the walk's retains and releases cost more than the tree of enums it replaced.
    struct Document {
        let bytes: UnsafeBufferPointer<UInt8>
        let nodes: UnsafeBufferPointer<Node>
        let strings: UnsafeBufferPointer<PythonString>

        /// Calls `body` with a document over the three arrays, valid only within `body`.
        static func over<Result, Failure: Error>(
            _ bytes: [UInt8], _ nodes: [Node], _ strings: [PythonString],
            _ body: (Document) throws(Failure) -> Result
        ) throws(Failure) -> Result {
            try bytes.withUnsafeBufferPointer { (bytes) throws(Failure) in
                try nodes.withUnsafeBufferPointer { (nodes) throws(Failure) in
                    try strings.withUnsafeBufferPointer { (strings) throws(Failure) in
                        try body(Document(bytes: bytes, nodes: nodes, strings: strings))
                    }
                }
            }
        }

        /// Whether the string nodes at `left` and `right` are one key to Python
        /// (``PythonString/sameKey(as:)``): strings without escapes are the same when their bytes are.
        func sameKey(_ left: Int, _ right: Int) -> Bool {
            let (a, b) = (nodes[left], nodes[right])
            guard a.escaped || b.escaped else {
                let length = Int(a.end - a.start)
                guard length == Int(b.end - b.start) else { return false }
                return length == 0
                    || memcmp(bytes.baseAddress! + Int(a.start), bytes.baseAddress! + Int(b.start), length) == 0
            }
            return string(at: left).sameKey(as: string(at: right))
        }

        /// The string node at `index` as Python holds it.
        func string(at index: Int) -> PythonString {
            let node = nodes[index]
            if node.escaped { return strings[Int(node.extra)] }
            let text = String(decoding: bytes[Int(node.start)..<Int(node.end)], as: UTF8.self)
            return PythonString(value: text, isASCII: node.ascii)
        }

        /// Whether the string node at `index` is `name` code point for code point
        /// (``PythonString/isText(_:)``): an unescaped string's bytes are its code points' UTF-8.
        func string(at index: Int, isText name: String) -> Bool {
            let node = nodes[index]
            if node.escaped { return strings[Int(node.extra)].isText(name) }
            let count = Int(node.end - node.start)
            guard name.utf8.count == count else { return false }
            let start = Int(node.start)
            return name.utf8.withContiguousStorageIfAvailable { name in
                count == 0 || memcmp(bytes.baseAddress! + start, name.baseAddress!, count) == 0
            } ?? name.utf8.elementsEqual(bytes[start..<start + count])
        }
    }

    /// Python's `json` raises RecursionError at about this depth of values (measured: 991 nested arrays).
    static let maximumDepth = 991

    var kind: Kind { document.nodes[index].kind }

    /// The JSON type name the legacy's messages use.
    var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .float: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    var isNull: Bool { kind == .null }

    /// An integer's canonical digits (`-0` is `0`); nil for any other value.
    var integerDigits: String? {
        let node = document.nodes[index]
        guard node.kind == .integer else { return nil }
        let digits = String(decoding: document.bytes[Int(node.start)..<Int(node.end)], as: UTF8.self)
        return node.extra == 1 ? "-" + digits : digits
    }

    /// A string as Python holds it; nil for any other value.
    var string: PythonString? { kind == .string ? document.string(at: index) : nil }

    /// An array's elements; nil for any other value.
    var elements: [PythonJSON]? {
        let node = document.nodes[index]
        guard node.kind == .array else { return nil }
        var values: [PythonJSON] = []
        values.reserveCapacity(Int(node.extra))
        var element = index + 1
        for _ in 0..<node.extra {
            values.append(PythonJSON(document: document, index: element))
            element = Int(document.nodes[element].next)
        }
        return values
    }

    /// An object's members in document order, as the key's node and the value; nil for any other
    /// value. Keys are unique.
    var members: Members? {
        let node = document.nodes[index]
        guard node.kind == .object else { return nil }
        return Members(document: document, first: index + 1, count: Int(node.extra))
    }

    /// An object's members, walked in place.
    struct Members: Sequence {
        let document: Document
        let first: Int
        let count: Int

        struct Iterator: IteratorProtocol {
            let document: Document
            var key: Int
            var remaining: Int

            mutating func next() -> (key: Int, value: PythonJSON)? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                let member = (key, PythonJSON(document: document, index: key + 1))
                key = Int(document.nodes[key + 1].next)
                return member
            }
        }

        func makeIterator() -> Iterator { Iterator(document: document, key: first, remaining: count) }

        /// The value of the member named `name` (``PythonString/isText(_:)``).
        func value(named name: String) -> PythonJSON? {
            for member in self where document.string(at: member.key, isText: name) { return member.value }
            return nil
        }
    }

    /// Why a document is not valid JSON for the legacy.
    enum Failure: Error {
        case syntax(String)
        case duplicateKey(String)
        case constant(String)
        case tooDeep
        case integerTooLong
    }

    static func parse(_ bytes: [UInt8]) throws(Failure) -> Parsed {
        var parser = Parser(bytes: bytes)
        try parser.document()
        return Parsed(bytes: bytes, nodes: parser.nodes, strings: parser.strings)
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        var nodes: [Node] = []
        var strings: [PythonString] = []

        init(bytes: [UInt8]) {
            self.bytes = bytes
            // About one node per 12 bytes of an event.
            nodes.reserveCapacity(bytes.count / 8 + 8)
        }

        mutating func document() throws(Failure) {
            skipWhitespace()
            try self.value(depth: 1)
            skipWhitespace()
            guard position == bytes.count else { throw .syntax("Extra data at byte \(position)") }
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

        /// A node with nothing inside it.
        private mutating func leaf(_ kind: Kind, extra: Int32 = 0) {
            nodes.append(Node(kind: kind, next: Int32(nodes.count + 1), extra: extra))
        }

        private mutating func value(depth: Int) throws(Failure) {
            if depth > PythonJSON.maximumDepth { throw .tooDeep }
            guard position < bytes.count else { throw .syntax("Expecting value at byte \(position)") }
            switch bytes[position] {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "n") where peek("null"):
                position += 4
                leaf(.null)
            case UInt8(ascii: "t") where peek("true"):
                position += 4
                leaf(.bool, extra: 1)
            case UInt8(ascii: "f") where peek("false"):
                position += 5
                leaf(.bool)
            case UInt8(ascii: "N") where peek("NaN"): throw .constant("NaN")
            case UInt8(ascii: "I") where peek("Infinity"): throw .constant("Infinity")
            case UInt8(ascii: "-") where peek("-Infinity"): throw .constant("-Infinity")
            default: try number()
            }
        }

        private mutating func object(depth: Int) throws(Failure) {
            let me = nodes.count
            nodes.append(Node(kind: .object))
            position += 1
            var count: Int32 = 0
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
            } else {
                while true {
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                        throw .syntax("Expecting property name enclosed in double quotes at byte \(position)")
                    }
                    try string()
                    skipWhitespace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                        throw .syntax("Expecting ':' delimiter at byte \(position)")
                    }
                    position += 1
                    skipWhitespace()
                    try self.value(depth: depth + 1)
                    count += 1
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
            }
            nodes[me].extra = count
            nodes[me].next = Int32(nodes.count)
            try checkKeys(object: me, count: Int(count))
        }

        /// The legacy's object_pairs_hook runs when an object closes, inner objects first: a
        /// duplicate key is reported then.
        private func checkKeys(object: Int, count: Int) throws(Failure) {
            guard count > 1 else { return }
            try withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { (keys) throws(Failure) in
                var key = object + 1
                for index in 0..<count {
                    keys[index] = key
                    key = Int(nodes[key + 1].next)
                }
                try checkKeys(UnsafeBufferPointer(keys))
            }
        }

        private func checkKeys(_ keys: UnsafeBufferPointer<Int>) throws(Failure) {
            try Document.over(bytes, nodes, strings) { (document) throws(Failure) in
                if keys.count <= 24 {
                    for index in keys.indices.dropFirst() {
                        for earlier in 0..<index where document.sameKey(keys[earlier], keys[index]) {
                            throw .duplicateKey(document.string(at: keys[index]).pythonRepr)
                        }
                    }
                } else {
                    var seen = Set<[UInt8]>()
                    for key in keys where !seen.insert(document.string(at: key).identity).inserted {
                        throw .duplicateKey(document.string(at: key).pythonRepr)
                    }
                }
            }
        }

        private mutating func array(depth: Int) throws(Failure) {
            let me = nodes.count
            nodes.append(Node(kind: .array))
            position += 1
            var count: Int32 = 0
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
            } else {
                while true {
                    skipWhitespace()
                    try value(depth: depth + 1)
                    count += 1
                    skipWhitespace()
                    guard position < bytes.count else { throw .syntax("Expecting ',' delimiter at byte \(position)") }
                    if bytes[position] == UInt8(ascii: "]") {
                        position += 1
                        break
                    }
                    guard bytes[position] == UInt8(ascii: ",") else {
                        throw .syntax("Expecting ',' delimiter at byte \(position)")
                    }
                    position += 1
                }
            }
            nodes[me].extra = count
            nodes[me].next = Int32(nodes.count)
        }

        private mutating func number() throws(Failure) {
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
            if isFloat {
                leaf(.float)
                return
            }
            if integerEnd - integerStart > 4300 { throw .integerTooLong }
            // `-0` is `0`: its only digit is a lone zero.
            let isZero = integerEnd - integerStart == 1 && bytes[integerStart] == UInt8(ascii: "0")
            var node = Node(kind: .integer, start: Int32(integerStart), end: Int32(integerEnd))
            node.next = Int32(nodes.count + 1)
            node.extra = negative && !isZero ? 1 : 0
            nodes.append(node)
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

        /// A string's node: its bytes in place when it has no escape (the bytes are valid UTF-8,
        /// checked before parsing), else its text decoded into ``strings``.
        private mutating func string() throws(Failure) {
            let opening = position
            position += 1
            let start = position
            var bits: UInt8 = 0
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    var node = Node(kind: .string, ascii: bits < 0x80, start: Int32(start), end: Int32(position))
                    node.next = Int32(nodes.count + 1)
                    nodes.append(node)
                    position += 1
                    return
                }
                bits |= byte
                if byte < 0x20 { throw .syntax("Invalid control character at byte \(position)") }
                if byte == UInt8(ascii: "\\") { break }
                position += 1
            }
            position = opening
            let text = try escapedString()
            var node = Node(kind: .string, escaped: true)
            node.next = Int32(nodes.count + 1)
            node.extra = Int32(strings.count)
            strings.append(text)
            nodes.append(node)
        }

        /// A string with an escape, decoded (or an unterminated one's error).
        private mutating func escapedString() throws(Failure) -> PythonString {
            position += 1
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte < 0x20 { throw .syntax("Invalid control character at byte \(position)") }
                if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { break }
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
