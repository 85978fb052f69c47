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
