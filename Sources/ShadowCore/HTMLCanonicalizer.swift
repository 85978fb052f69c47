/// HTML in a canonical whitespace form, and a line diff of two documents.
public enum HTMLCanonicalizer {
    /// Collapses every run of ASCII whitespace to one space, drops whitespace between tags,
    /// and puts each tag on a line of its own, so documents that differ only in layout are equal
    /// and a diff shows the element that changed. Text inside elements keeps every non-ASCII
    /// character (a no-break space is content, not layout).
    /// - Parameter html: An HTML document.
    public static func canonical(_ html: String) -> String {
        // Byte by byte: every byte it looks at is ASCII, and UTF-8 never puts an ASCII byte inside
        // a multi-byte character. (Scalar by scalar into a String.UnicodeScalarView it was ~100 µs
        // for a 3 KB invoice, twice per comparison: the largest share of serve's shadow work.)
        var html = html
        return html.withUTF8 { input in
            var output: [UInt8] = []
            output.reserveCapacity(input.count + input.count / 8)
            var pendingSpace = false
            for byte in input {
                switch byte {
                case 0x20, 0x0A, 0x09, 0x0D, 0x0C:
                    pendingSpace = true
                    continue
                case UInt8(ascii: "<"):
                    if !output.isEmpty { output.append(0x0A) }
                default:
                    if pendingSpace, let last = output.last, last != UInt8(ascii: ">"), last != 0x0A {
                        output.append(0x20)
                    }
                }
                pendingSpace = false
                output.append(byte)
            }
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// A line diff of two canonical documents: the lines only one side has, in order, with
    /// `-` for legacy and `+` for Swift, and up to `context` unchanged lines around each change.
    /// - Parameters:
    ///   - legacy: The legacy document, canonical.
    ///   - swift: The Swift document, canonical.
    ///   - context: Unchanged lines shown around each change.
    public static func lineDiff(_ legacy: String, _ swift: String, context: Int = 1) -> [String] {
        let left = legacy.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let right = swift.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Trim the common head and tail, then an LCS table over what is left (small in practice).
        var head = 0
        // Lines compared code point by code point (String == would take canonically equivalent lines for one).
        while head < left.count, head < right.count, left[head].isSameText(as: right[head]) { head += 1 }
        var tail = 0
        while tail < left.count - head, tail < right.count - head,
            left[left.count - 1 - tail].isSameText(as: right[right.count - 1 - tail])
        {
            tail += 1
        }
        let a = Array(left[head..<(left.count - tail)])
        let b = Array(right[head..<(right.count - tail)])
        if a.isEmpty && b.isEmpty { return [] }
        guard a.count * b.count <= 4_000_000 else {
            return a.map { "- " + $0 } + b.map { "+ " + $0 }
        }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] =
                    a[i].isSameText(as: b[j]) ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var lines: [String] = []
        for line in left[max(0, head - context)..<head] { lines.append("  " + line) }
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i].isSameText(as: b[j]) {
                lines.append("  " + a[i])
                i += 1
                j += 1
            } else if j < b.count, i == a.count || table[i][j + 1] >= table[i + 1][j] {
                lines.append("+ " + b[j])
                j += 1
            } else {
                lines.append("- " + a[i])
                i += 1
            }
        }
        let tailStart = left.count - tail
        for line in left[tailStart..<min(left.count, tailStart + context)] { lines.append("  " + line) }
        return lines
    }
}
