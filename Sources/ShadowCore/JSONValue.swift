/// A parsed JSON document that keeps numbers as their text, so nothing is lost to `Double`.
public indirect enum JSONValue: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as canonical decimal text (see ``JSONValue/canonicalNumber(_:)``).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; duplicate keys keep the last value, as most parsers do.
    case object([String: JSONValue])

    /// Equal as documents: strings and numbers by their code points (``Swift/String/isSameText(as:)``:
    /// a synthesized `==` would compare them by canonical equivalence, so a parity check would call
    /// `"Caf\u00e9"` and `"Cafe\u0301"` equal), objects member by member whatever their order.
    /// (Member names are still `Dictionary` keys, matched by canonical equivalence: an invoice's
    /// names are the contract's ASCII ones, where the two rules agree.)
    public static func == (left: JSONValue, right: JSONValue) -> Bool {
        switch (left, right) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)), (.string(let a), .string(let b)): return a.isSameText(as: b)
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
        case (.object(let a), .object(let b)):
            return a.count == b.count
                && a.allSatisfy { key, value in
                    b[key].map { $0 == value } ?? false
                }
        default: return false
        }
    }

    /// Parses UTF-8 JSON text.
    /// - Parameter text: The JSON document.
    /// - Throws: ``JSONParseError`` with the byte offset of the problem.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        return try parser.document()
    }

    /// The string values of `names` among the top-level members of the object `bytes` holds,
    /// without building the document: what `parse` would give for `.object(m)` and
    /// `case .string(let s)? = m[name]` (the last duplicate wins; a member whose value is not a
    /// string is absent). Empty when `bytes` is not valid JSON or not an object. For hot paths that
    /// need a few fields of a large document.
    public static func topLevelStrings(named names: Set<String>, in bytes: [UInt8]) -> [String: String] {
        let wanted = Array(names)
        var found: [String: String] = [:]
        for (name, value) in zip(wanted, topLevelStrings(wanted, in: bytes)) where value != nil { found[name] = value }
        return found
    }

    /// ``topLevelStrings(named:in:)`` by position: the string value of each of `names`, or nil.
    /// No dictionary: for the few fields read of every event.
    public static func topLevelStrings(_ names: [String], in bytes: [UInt8]) -> [String?] {
        var parser = JSONParser(bytes: bytes)
        return (try? parser.topLevelStrings(names)) ?? Array(repeating: nil, count: names.count)
    }

    /// Compact JSON with keys sorted by their UTF-8 bytes and numbers canonical: the form in
    /// which two results are compared.
    public var canonicalText: String {
        var output = ""
        write(into: &output)
        return output
    }

    private func write(into output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let text): output += text
        case .string(let value): JSONValue.writeString(value, into: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { output += "," }
                JSONValue.writeString(key, into: &output)
                output += ":"
                members[key]!.write(into: &output)
            }
            output += "}"
        }
    }

    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped,
    /// everything else as it is (UTF-8, not `\u` escapes).
    /// - Parameters:
    ///   - value: The string.
    ///   - output: Where to append it.
    public static func writeString(_ value: String, into output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// A JSON number's text in one form: no exponent, no leading `+`, no trailing fraction
    /// zeros, no `-0`. `1.50`, `1.5e0` and `15E-1` all become `1.5`.
    public static func canonicalNumber(_ text: String) -> String {
        var mantissa = Substring(text)
        var exponent = 0
        if let e = mantissa.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            let exponentText = mantissa[mantissa.index(after: e)...]
            exponent = Int(exponentText.hasPrefix("+") ? exponentText.dropFirst() : exponentText) ?? 0
            mantissa = mantissa[..<e]
        }
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa = mantissa.dropFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0])
        if parts.count > 1 {
            digits += parts[1]
            exponent -= parts[1].count
        }
        // value = digits × 10^exponent
        digits = String(digits.drop(while: { $0 == "0" }))
        if digits.isEmpty { return "0" }
        while exponent < 0, digits.hasSuffix("0") {
            digits.removeLast()
            exponent += 1
        }
        var result: String
        if exponent >= 0 {
            result = digits + String(repeating: "0", count: exponent)
        } else if -exponent >= digits.count {
            result = "0." + String(repeating: "0", count: -exponent - digits.count) + digits
        } else {
            let split = digits.index(digits.endIndex, offsetBy: exponent)
            result = digits[..<split] + "." + digits[split...]
        }
        return (negative ? "-" : "") + result
    }
}
