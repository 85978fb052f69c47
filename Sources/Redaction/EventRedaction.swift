import Foundation
import ShadowCore

/// An event with its personal fields replaced, and the replacements made (to trace them in what was
/// rendered from it).
public struct RedactedEvent: Sendable, Equatable {
    /// The event's bytes: the original's, byte for byte, but the personal strings.
    public var bytes: [UInt8]
    /// Each personal value found and its token, longest first.
    public var replacements: [Replacement]
    /// False when the event was not JSON this could walk: its bytes are then a placeholder naming its
    /// size, not the event (the dead-letter topic keeps the original).
    public var complete: Bool

    /// One value and its token.
    public struct Replacement: Sendable, Equatable {
        /// The value as the event had it.
        public var original: String
        /// Its token.
        public var token: String
    }
}

extension Redactor {
    /// `event` with the personal fields' strings replaced by their tokens and every other byte as it
    /// was (whitespace, key order, number spellings, escapes elsewhere), so that it validates and
    /// renders as the original did. Bytes that are not JSON (or JSON nested deeper than 512 levels)
    /// become a placeholder.
    public func redact(event: [UInt8]) -> RedactedEvent {
        var splicer = EventSplicer(input: event, redactor: self)
        do {
            try splicer.run()
            let replacements = splicer.replacements.sorted { $0.original.utf8.count > $1.original.utf8.count }
            return RedactedEvent(bytes: splicer.output, replacements: replacements, complete: true)
        } catch {
            let placeholder =
                #"{"redacted":"not JSON that redaction can walk (\#(error)); \#(event.count) bytes, not kept"}"#
            return RedactedEvent(bytes: Array(placeholder.utf8), replacements: [], complete: false)
        }
    }

    /// `text` with every trace of the replaced values, as text, as JSON text and as escaped HTML,
    /// replaced by the matching trace of their tokens.
    public func trace(_ text: String, _ replacements: [RedactedEvent.Replacement]) -> String {
        var text = text
        for replacement in replacements where replacement.original.utf8.count >= Self.shortestTraced {
            for (original, token) in Self.spellings(replacement) where text.contains(original) {
                text = text.replacingOccurrences(of: original, with: token)
            }
        }
        return text
    }

    /// `comparison` with every string it carries traced (both invoices, the differences, the HTML
    /// diff, the errors).
    public func trace(_ comparison: Comparison, _ replacements: [RedactedEvent.Replacement]) -> Comparison {
        guard !replacements.isEmpty else { return comparison }
        var comparison = comparison
        func side(_ result: SideResult) -> SideResult {
            var result = result
            switch result.outcome {
            case .rendered(let invoice):
                var traced = invoice
                traced.invoiceJSON = trace(invoice.invoiceJSON, replacements)
                traced.html = trace(invoice.html, replacements)
                result.outcome = .rendered(traced)
            case .failed(let failure):
                result.outcome = .failed(
                    RenderFailure(
                        origin: failure.origin, type: failure.type, message: trace(failure.message, replacements),
                        detail: trace(failure.detail, replacements)))
            case .invalidEvent(let field, let reason):
                result.outcome = .invalidEvent(field: field, reason: trace(reason, replacements))
            case .timedOut: break
            }
            return result
        }
        func differences(_ list: [JSONDifference]) -> [JSONDifference] {
            list.map { difference in
                var difference = difference
                difference.legacy = difference.legacy.map { trace($0, replacements) }
                difference.swift = difference.swift.map { trace($0, replacements) }
                return difference
            }
        }
        comparison.legacy = side(comparison.legacy)
        comparison.swift = comparison.swift.map(side)
        comparison.differences = differences(comparison.differences)
        comparison.ignored = differences(comparison.ignored)
        comparison.htmlDiff = comparison.htmlDiff.map { trace($0, replacements) }
        return comparison
    }

    /// The ways a value shows in rendered text: as it is, escaped in JSON, escaped in HTML (as
    /// Jinja2's markupsafe and the port escape it), and escaped in JSON inside HTML.
    private static func spellings(_ replacement: RedactedEvent.Replacement) -> [(String, String)] {
        var pairs = [(replacement.original, replacement.token)]
        for escape in [jsonEscaped, htmlEscaped, { htmlEscaped(jsonEscaped($0)) }] {
            let pair = (escape(replacement.original), escape(replacement.token))
            if !pairs.contains(where: { $0.0 == pair.0 }) { pairs.append(pair) }
        }
        return pairs
    }

    /// As Python's `json.dumps` writes a string's inside (`\b` and `\f` by name, unlike
    /// `JSONValue.writeString`): the legacy's invoices, and the port's, which match them.
    private static func jsonEscaped(_ text: String) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20: output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// As markupsafe writes it (`&#34;`, `&#39;`), which Jinja2 and the port use in invoices; not
    /// ShadowReports' escaper, which writes our own pages.
    private static func htmlEscaped(_ text: String) -> String {
        var output = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&#34;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(character)
            }
        }
        return output
    }
}

/// Walks an event's JSON once, copying it to `output` byte for byte but for the strings under a
/// personal field, which it decodes, tokenizes and writes back as JSON strings. Accepts what
/// Python's `json` module accepts (NaN, Infinity, duplicate keys), since the legacy reads the same bytes.
struct EventSplicer {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    let input: [UInt8]
    let redactor: Redactor
    var output: [UInt8] = []
    var replacements: [RedactedEvent.Replacement] = []
    private var index = 0

    init(input: [UInt8], redactor: Redactor) {
        self.input = input
        self.redactor = redactor
        output.reserveCapacity(input.count + 16)
    }

    mutating func run() throws {
        try value(path: [], kind: nil, depth: 0)
        whitespace()
        guard index == input.count else { throw Malformed(description: "bytes after the JSON value") }
    }

    private mutating func whitespace() {
        while index < input.count, [0x20, 0x09, 0x0A, 0x0D].contains(input[index]) {
            output.append(input[index])
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws {
        whitespace()
        guard index < input.count, input[index] == byte else {
            throw Malformed(description: "expected \(Character(Unicode.Scalar(byte))) at byte \(index)")
        }
        output.append(byte)
        index += 1
    }

    private mutating func value(path: [String], kind: Redactor.Kind?, depth: Int) throws {
        guard depth < 512 else { throw Malformed(description: "nested deeper than 512 levels") }
        whitespace()
        guard index < input.count else { throw Malformed(description: "the value ends early") }
        switch input[index] {
        case UInt8(ascii: "{"):
            output.append(input[index])
            index += 1
            whitespace()
            if index < input.count, input[index] == UInt8(ascii: "}") {
                output.append(input[index])
                index += 1
                return
            }
            while true {
                whitespace()
                // Keys are copied as they were (string() writes them), whatever they are.
                let key = try string()
                try expect(UInt8(ascii: ":"))
                let childPath = kind == nil ? path + [key] : path
                let childKind = kind ?? Redactor.fields.first { $0.path == childPath }?.kind
                try value(path: childPath, kind: childKind, depth: depth + 1)
                whitespace()
                guard index < input.count else { throw Malformed(description: "an object ends early") }
                let byte = input[index]
                output.append(byte)
                index += 1
                if byte == UInt8(ascii: "}") { return }
                guard byte == UInt8(ascii: ",") else {
                    throw Malformed(description: "expected , or } at byte \(index - 1)")
                }
            }
        case UInt8(ascii: "["):
            output.append(input[index])
            index += 1
            whitespace()
            if index < input.count, input[index] == UInt8(ascii: "]") {
                output.append(input[index])
                index += 1
                return
            }
            while true {
                try value(path: path, kind: kind, depth: depth + 1)
                whitespace()
                guard index < input.count else { throw Malformed(description: "an array ends early") }
                let byte = input[index]
                output.append(byte)
                index += 1
                if byte == UInt8(ascii: "]") { return }
                guard byte == UInt8(ascii: ",") else {
                    throw Malformed(description: "expected , or ] at byte \(index - 1)")
                }
            }
        case UInt8(ascii: "\""):
            if let kind {
                try personal(kind)
            } else {
                _ = try string()
            }
        default:
            // A number, true, false, null, NaN, Infinity: copied to the next delimiter.
            let start = index
            while index < input.count, ![0x2C, 0x7D, 0x5D, 0x20, 0x09, 0x0A, 0x0D].contains(input[index]) {
                index += 1
            }
            guard index > start else { throw Malformed(description: "no value at byte \(start)") }
            output.append(contentsOf: input[start..<index])
        }
    }

    /// Copies a string as it is; returns its text (lone surrogates as U+FFFD: it names a key only).
    private mutating func string() throws -> String {
        let start = index
        let pieces = try decodeString()
        output.append(contentsOf: input[start..<index])
        var text = String.UnicodeScalarView()
        for piece in pieces {
            if case .scalar(let scalar) = piece { text.append(scalar) } else { text.append("\u{FFFD}") }
        }
        return String(text)
    }

    /// Writes a personal string's token in place of it; an escape of a lone surrogate stays as it
    /// was (the event is invalid either way, and stays so).
    private mutating func personal(_ kind: Redactor.Kind) throws {
        let pieces = try decodeString()
        var runs: [[Unicode.Scalar]] = [[]]
        for piece in pieces {
            switch piece {
            case .scalar(let scalar): runs[runs.count - 1].append(scalar)
            case .loneSurrogate: runs.append([])
            }
        }
        var tokens: [String] = []
        for run in runs {
            let original = String(String.UnicodeScalarView(run))
            let token = original.isEmpty ? "" : redactor.token(original, kind: kind)
            if !original.isEmpty, !replacements.contains(where: { $0.original == original }) {
                replacements.append(RedactedEvent.Replacement(original: original, token: token))
            }
            tokens.append(token)
        }
        output.append(UInt8(ascii: "\""))
        var runIndex = 0
        output.append(contentsOf: Self.encoded(tokens[0]))
        for piece in pieces {
            if case .loneSurrogate(let escape) = piece {
                runIndex += 1
                output.append(contentsOf: escape)
                output.append(contentsOf: Self.encoded(tokens[runIndex]))
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    enum Piece {
        case scalar(Unicode.Scalar)
        /// A `\uD8xx` escape with no partner, as its six bytes.
        case loneSurrogate([UInt8])
    }

    /// Reads a string literal at `index` (which is at its opening quote) to past its closing quote.
    private mutating func decodeString() throws -> [Piece] {
        guard index < input.count, input[index] == UInt8(ascii: "\"") else {
            throw Malformed(description: "expected a string at byte \(index)")
        }
        index += 1
        var pieces: [Piece] = []
        var raw: [UInt8] = []
        func flush() throws {
            guard !raw.isEmpty else { return }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw Malformed(description: "a string that is not UTF-8")
            }
            pieces += text.unicodeScalars.map(Piece.scalar)
            raw.removeAll(keepingCapacity: true)
        }
        while true {
            guard index < input.count else { throw Malformed(description: "a string ends early") }
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                try flush()
                return pieces
            }
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                index += 1
                continue
            }
            try flush()
            guard index + 1 < input.count else { throw Malformed(description: "a string ends early") }
            let escape = input[index + 1]
            index += 2
            let simple: [UInt8: Unicode.Scalar] = [
                UInt8(ascii: "\""): "\"", UInt8(ascii: "\\"): "\\", UInt8(ascii: "/"): "/", UInt8(ascii: "b"): "\u{08}",
                UInt8(ascii: "f"): "\u{0C}", UInt8(ascii: "n"): "\n", UInt8(ascii: "r"): "\r", UInt8(ascii: "t"): "\t",
            ]
            if let scalar = simple[escape] {
                pieces.append(.scalar(scalar))
                continue
            }
            guard escape == UInt8(ascii: "u"), let unit = hex4(at: index) else {
                throw Malformed(description: "a bad escape at byte \(index - 2)")
            }
            index += 4
            if (0xD800...0xDBFF).contains(unit), index + 1 < input.count, input[index] == UInt8(ascii: "\\"),
                input[index + 1] == UInt8(ascii: "u"), let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low)
            {
                index += 6
                pieces.append(.scalar(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!))
            } else if let scalar = Unicode.Scalar(unit) {
                pieces.append(.scalar(scalar))
            } else {
                pieces.append(.loneSurrogate(Array(input[(index - 6)..<index])))
            }
        }
    }

    private func hex4(at position: Int) -> UInt32? {
        guard position + 4 <= input.count else { return nil }
        var value: UInt32 = 0
        for byte in input[position..<position + 4] {
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }

    /// A string's JSON text, without its quotes: quotes, backslashes and control characters escaped.
    private static func encoded(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += Array("\\\"".utf8)
            case "\\": output += Array("\\\\".utf8)
            case _ where scalar.value < 0x20: output += Array(String(format: "\\u%04x", scalar.value).utf8)
            default: output += Array(String(scalar).utf8)
            }
        }
        return output
    }
}
