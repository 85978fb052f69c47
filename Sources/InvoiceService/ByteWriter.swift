import Foundation

/// Output built as UTF-8 bytes and turned into bytes or a String once: several times cheaper than
/// string interpolation for the invoice JSON and HTML, which are assembled from many small pieces.
///
/// Its own buffer rather than an `[UInt8]`: a render makes some 250 small writes, and each
/// `Array.append` checked uniqueness and capacity through the array's header (a visible share
/// of the port's CPU per render). Noncopyable, so the buffer has one owner and is freed once.
struct ByteWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    private mutating func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: count + 1) }
        base[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if count + bytes.count > capacity { grow(toHold: count + bytes.count) }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    mutating func write(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func write(_ text: String) {
        // In place (a small string's bytes on the stack): a mutable copy for `withUTF8` cost a
        // retain and a release per write.
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
            var text = text
            text.withUTF8 { append($0) }
        }
    }

    mutating func write(integer value: Int128) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            write(integer: -value)
            return
        }
        if value >= 10 { write(integer: value / 10) }
        append(UInt8(truncatingIfNeeded: value % 10) + 0x30)
    }

    /// Minor units as a decimal string: `1250` at 2 digits is `12.50`; grouped when `group` is set.
    /// `signed: false` writes the magnitude only (a currency pattern places the minus itself).
    mutating func write(
        minor units: Int128, digits: Int, decimal: UInt8 = UInt8(ascii: "."), group: [UInt8] = [], indian: Bool = false,
        signed: Bool = true
    ) {
        let magnitude = units < 0 ? -units : units
        if signed && units < 0 { append(UInt8(ascii: "-")) }
        guard magnitude <= Int128(UInt64.max) else {
            // Beyond any real invoice; the slow exact path.
            writeLarge(minor: magnitude, digits: digits, decimal: decimal)
            return
        }
        var value = UInt64(magnitude)
        // Digits, least significant first, in a fixed buffer: the fraction, then the grouped integer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 80) { buffer in
            var count = 0
            for _ in 0..<digits {
                buffer[count] = UInt8(truncatingIfNeeded: value % 10) + 0x30
                value /= 10
                count += 1
            }
            if digits > 0 {
                buffer[count] = decimal
                count += 1
            }
            var inGroup = 0
            var groupSize = 3
            repeat {
                if !group.isEmpty && inGroup == groupSize {
                    for byte in group.reversed() {
                        buffer[count] = byte
                        count += 1
                    }
                    inGroup = 0
                    if indian { groupSize = 2 }
                }
                buffer[count] = UInt8(truncatingIfNeeded: value % 10) + 0x30
                value /= 10
                count += 1
                inGroup += 1
            } while value > 0
            for index in stride(from: count - 1, through: 0, by: -1) { self.append(buffer[index]) }
        }
    }

    private mutating func writeLarge(minor magnitude: Int128, digits: Int, decimal: UInt8) {
        let text = DecimalAmount(units: magnitude, scale: digits).text
        for byte in text.utf8 { append(byte == UInt8(ascii: ".") ? decimal : byte) }
    }

    /// Text escaped as markupsafe escapes it: `&`, `<`, `>`, `"`, `'`.
    mutating func writeEscaped(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            // Most text has nothing to escape: one copy then.
            if !utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) {
                append(utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "&"): write("&amp;")
                case UInt8(ascii: "<"): write("&lt;")
                case UInt8(ascii: ">"): write("&gt;")
                case UInt8(ascii: "\""): write("&#34;")
                case UInt8(ascii: "'"): write("&#39;")
                default: append(byte)
                }
            }
        }
    }

    /// A JSON string as `json.dumps(value, ensure_ascii=False)` writes it.
    mutating func writeJSONString(_ text: String) {
        append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): write("\\\"")
                case UInt8(ascii: "\\"): write("\\\\")
                case 0x0A: write("\\n")
                case 0x0D: write("\\r")
                case 0x09: write("\\t")
                case 0x08: write("\\b")
                case 0x0C: write("\\f")
                case 0x00..<0x20:
                    write("\\u00")
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    append(hex[Int(byte >> 4)])
                    append(hex[Int(byte & 0x0F)])
                default: append(byte)
                }
            }
        }
        append(UInt8(ascii: "\""))
    }

    /// The bytes written.
    consuming func finish() -> [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The bytes written, as text.
    consuming func string() -> String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }
}
