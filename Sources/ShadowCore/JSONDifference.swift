/// One place where two JSON documents differ.
public struct JSONDifference: Equatable, Sendable, Codable {
    /// RFC 6901 JSON pointer to the place, such as `/lines/0/tax`.
    public var path: String
    /// The legacy side's value as canonical JSON, or nil when it has nothing there.
    public var legacy: String?
    /// The Swift side's value as canonical JSON, or nil when it has nothing there.
    public var swift: String?

    /// Creates a difference.
    /// - Parameters:
    ///   - path: The JSON pointer.
    ///   - legacy: The legacy value, canonical JSON.
    ///   - swift: The Swift value, canonical JSON.
    public init(path: String, legacy: String?, swift: String?) {
        self.path = path
        self.legacy = legacy
        self.swift = swift
    }

    /// Every place where `legacy` and `swift` differ, leaf by leaf, in path order.
    /// Objects are compared key by key; arrays index by index (a longer array's extra
    /// elements are differences with nothing on the other side); anything else by canonical text.
    /// - Parameters:
    ///   - legacy: The legacy document.
    ///   - swift: The Swift document.
    public static func between(_ legacy: JSONValue, _ swift: JSONValue) -> [JSONDifference] {
        var differences: [JSONDifference] = []
        collect(legacy, swift, path: "", into: &differences)
        return differences
    }

    private static func collect(
        _ legacy: JSONValue?, _ swift: JSONValue?, path: String, into output: inout [JSONDifference]
    ) {
        switch (legacy, swift) {
        case (.object(let left)?, .object(let right)?):
            for key in Set(left.keys).union(right.keys).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                collect(left[key], right[key], path: path + "/" + JSONPointer.escape(key), into: &output)
            }
        case (.array(let left)?, .array(let right)?):
            for index in 0..<max(left.count, right.count) {
                collect(
                    index < left.count ? left[index] : nil, index < right.count ? right[index] : nil,
                    path: path + "/\(index)", into: &output)
            }
        default:
            let left = legacy?.canonicalText
            let right = swift?.canonicalText
            // Code point by code point: `!=` on Strings is canonical equivalence (see isSameText).
            let same: Bool
            switch (left, right) {
            case (let left?, let right?): same = left.isSameText(as: right)
            case (nil, nil): same = true
            default: same = false
            }
            if !same { output.append(JSONDifference(path: path, legacy: left, swift: right)) }
        }
    }
}

/// RFC 6901 JSON pointers.
public enum JSONPointer {
    /// A reference token with `~` and `/` escaped.
    /// - Parameter token: An object key or array index.
    public static func escape(_ token: String) -> String {
        var result = ""
        for character in token {
            switch character {
            case "~": result += "~0"
            case "/": result += "~1"
            default: result.append(character)
            }
        }
        return result
    }

    /// The pointer with every array index replaced by `*`: `/lines/3/tax` → `/lines/*/tax`, and
    /// likewise for field paths: `order.items[3].name` → `order.items[*].name`.
    /// Used for signatures, so one bug on different lines is one signature.
    /// - Parameter pointer: A JSON pointer or a field path.
    public static func generalized(_ pointer: String) -> String {
        let tokens = pointer.split(separator: "/", omittingEmptySubsequences: false).map { token in
            !token.isEmpty && token.allSatisfy(\.isASCIIDigit) ? "*" : String(token)
        }
        var result = ""
        let text = tokens.joined(separator: "/")
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "[", let close = text[index...].firstIndex(of: "]"),
                close > text.index(after: index), text[text.index(after: index)..<close].allSatisfy(\.isASCIIDigit)
            {
                result += "[*]"
                index = text.index(after: close)
            } else {
                result.append(text[index])
                index = text.index(after: index)
            }
        }
        return result
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
