#if canImport(Glibc)
    import Glibc
#endif

extension String {
    /// Equal code point for code point (the same UTF-8 bytes), as Python compares `str`s. Swift's
    /// `==` (and `Hashable`, so `Set` and `Dictionary` keys) is canonical equivalence:
    /// `"\u{212A}" == "K"` (KELVIN SIGN), `"caf\u{E9}" == "cafe\u{301}"`. The port compares event
    /// text with this wherever it meets a name, a choice or other event text (or it accepts what the
    /// legacy rejects, such as a currency `"SE\u{212A}"` for SEK), and the comparator compares the two
    /// sides' output with it (or it calls different bytes a match).
    ///
    /// `==` first: strings that are not even canonically equivalent (most comparisons, a key
    /// against the names it is not) are told apart as fast as before. Equivalent ones then have
    /// their bytes compared in place where both keep them contiguous (native and small strings do:
    /// `memcmp`), else through `UTF8View`, whose index-by-index walk cost serve's row writer a
    /// visible share (ExactText's == in the claim and recorded-id tables). Inlinable, so that
    /// callers in other modules get it specialized (unspecialized, and with the bytes compared
    /// before `==`, the port's decoding grew to most of a render: docs/performance-notes.md).
    @inlinable
    public func isSameText(as other: String) -> Bool {
        guard self == other else { return false }
        let count = utf8.count
        guard count == other.utf8.count else { return false }
        let inPlace = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                count == 0 || memcmp(mine.baseAddress!, theirs.baseAddress!, count) == 0
            }
        }
        if let inPlace, let same = inPlace { return same }
        return utf8.elementsEqual(other.utf8)
    }
}

extension Array<String> {
    /// Whether one element is ``Swift/String/isSameText(as:)`` `text`.
    @inlinable
    public func containsText(_ text: String) -> Bool {
        for element in self where element.isSameText(as: text) { return true }
        return false
    }
}

/// A `String` as a `Set` or `Dictionary` key that equals another only with the same code points
/// (``Swift/String/isSameText(as:)``): `String`'s own `Hashable` is canonical equivalence, so
/// two events whose ids are `"caf\u{E9}"` and `"cafe\u{301}"` would share one key (one claim on
/// the id in serve: the second taken for a duplicate of the first), where SQLite and Python tell
/// them apart.
public struct ExactText: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The string, compared code point by code point.
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
