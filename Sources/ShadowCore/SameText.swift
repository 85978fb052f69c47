extension String {
    /// Equal code point for code point (the same UTF-8 bytes), as Python compares `str`s. Swift's
    /// `==` (and `Hashable`, so `Set` and `Dictionary` keys) is canonical equivalence:
    /// `"\u{212A}" == "K"` (KELVIN SIGN), `"caf\u{E9}" == "cafe\u{301}"`. The port compares event
    /// text with this wherever it meets a name, a choice or other event text (or it accepts what the
    /// legacy rejects, such as a currency `"SE\u{212A}"` for SEK), and the comparator compares the two
    /// sides' output with it (or it calls different bytes a match).
    public func isSameText(as other: String) -> Bool {
        let (left, right) = (utf8, other.utf8)
        guard left.count == right.count else { return false }
        return left.withContiguousStorageIfAvailable { a in
            right.withContiguousStorageIfAvailable { b in a.elementsEqual(b) }
        }.flatMap { $0 } ?? left.elementsEqual(right)
    }
}

extension Sequence<String> {
    /// Whether one element is ``Swift/String/isSameText(as:)`` `text`.
    public func containsText(_ text: String) -> Bool { contains { $0.isSameText(as: text) } }
}

/// A `String` as a `Set` or `Dictionary` key that equals another only with the same code points
/// (``Swift/String/isSameText(as:)``): `String`'s own `Hashable` is canonical equivalence, so
/// two events whose ids are `"caf\u{E9}"` and `"cafe\u{301}"` would share one key (one claim on
/// the id in serve: the second taken for a duplicate of the first), where SQLite and Python tell
/// them apart.
public struct ExactText: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The text.
    public var text: String

    /// Wraps `text`.
    public init(_ text: String) { self.text = text }

    /// Wraps a literal.
    public init(stringLiteral text: String) { self.text = text }

    /// The same code points.
    public static func == (left: ExactText, right: ExactText) -> Bool { left.text.isSameText(as: right.text) }

    /// The UTF-8 bytes.
    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The text itself.
    public var description: String { text }
}
