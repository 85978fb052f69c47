import Foundation

/// Replaces the personal fields of a Money event, and every trace of them in what was rendered from
/// it, with deterministic keyed tokens of the same shape.
///
/// The fields: `customer.name`, `customer.email`, `customer.tax_id`, `provider.legal_name`,
/// `provider.tax_id`, `trip.pickup`, `trip.dropoff` and `refund.reason` (free text that may name a
/// person), with every string nested under them. Ids stay: they are pseudonyms the production
/// systems resolve, and a ramp buckets customers by theirs.
///
/// A token keeps the value's shape, character by character, so that a redacted event validates and
/// renders as the original did and a discrepancy keeps its signature: a letter becomes a letter of
/// the same case and script, a digit a digit; everything else (spaces, punctuation, `@`, `<`, `&`,
/// marks, emoji) stays. An email keeps its `@` and its top-level domain; a tax id keeps its
/// two-letter country prefix. Which letter or digit comes from HMAC-SHA256 under the key, of the
/// field's kind and the whole value: the same value gives the same token everywhere the key is the same.
public struct Redactor: Sendable {
    /// How a field's value is tokenized.
    public enum Kind: String, Sendable {
        /// Letters and digits replaced.
        case name
        /// Letters and digits replaced, but the `@`, the dots and the last domain label.
        case email
        /// Digits and letters replaced, but a leading two-letter country prefix.
        case taxID
        /// Letters and digits replaced.
        case address
        /// Letters and digits replaced.
        case text
    }

    /// The personal fields, by their path of object keys.
    public static let fields: [(path: [String], kind: Kind)] = [
        (["customer", "name"], .name), (["customer", "email"], .email), (["customer", "tax_id"], .taxID),
        (["provider", "legal_name"], .name), (["provider", "tax_id"], .taxID), (["trip", "pickup"], .address),
        (["trip", "dropoff"], .address), (["refund", "reason"], .text),
    ]

    /// Values of fewer UTF-8 bytes than this are replaced in the event but not searched for in
    /// rendered text, where a two-letter name would also match unrelated words (a two-character
    /// Chinese or Korean name is six bytes, and is traced).
    public static let shortestTraced = 4

    private let key: RedactionKey

    /// A redactor with `key`.
    public init(key: RedactionKey) {
        self.key = key
    }

    /// `value`'s token.
    public func token(_ value: String, kind: Kind) -> String {
        var stream = TokenStream(key: key, seed: Array("\(kind.rawValue)\u{0}\(value)".utf8))
        switch kind {
        case .email:
            guard let at = value.lastIndex(of: "@") else { return substitute(value, &stream) }
            let domain = value[value.index(after: at)...]
            var labels = domain.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            // The top-level domain says little, and a valid-looking address needs one.
            for index in labels.indices.dropLast() where labels.count > 1 {
                labels[index] = substitute(labels[index], &stream)
            }
            if labels.count == 1 { labels[0] = substitute(labels[0], &stream) }
            return substitute(String(value[..<at]), &stream) + "@" + labels.joined(separator: ".")
        case .taxID:
            let scalars = Array(value.unicodeScalars)
            if scalars.count > 2, scalars.prefix(2).allSatisfy({ ("A"..."Z").contains($0) }) {
                return String(String.UnicodeScalarView(scalars.prefix(2)))
                    + substitute(String(String.UnicodeScalarView(scalars.dropFirst(2))), &stream)
            }
            return substitute(value, &stream)
        case .name, .address, .text:
            return substitute(value, &stream)
        }
    }

    private func substitute(_ value: String, _ stream: inout TokenStream) -> String {
        var output = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            output.append(Self.replacement(for: scalar, &stream))
        }
        return String(output)
    }

    /// A letter or digit of the same kind as `scalar`; anything else unchanged.
    private static func replacement(for scalar: Unicode.Scalar, _ stream: inout TokenStream) -> Unicode.Scalar {
        let value = scalar.value
        func pick(_ range: ClosedRange<UInt32>) -> Unicode.Scalar {
            Unicode.Scalar(range.lowerBound + stream.next(below: range.upperBound - range.lowerBound + 1))!
        }
        func pick(_ letters: [Unicode.Scalar]) -> Unicode.Scalar {
            letters[Int(stream.next(below: UInt32(letters.count)))]
        }
        switch value {
        case 0x30...0x39: return pick(0x30...0x39)
        case 0x41...0x5A: return pick(0x41...0x5A)
        case 0x61...0x7A: return pick(0x61...0x7A)
        case 0x00...0x7F: return scalar
        default: break
        }
        guard scalar.properties.isAlphabetic, !scalar.properties.isEmojiPresentation else {
            return scalar.properties.numericType == .decimal ? pick(0x30...0x39) : scalar
        }
        switch value {
        case 0xC0...0x24F:
            return scalar.properties.isUppercase ? pick(latinUpper) : pick(latinLower)
        case 0x391...0x3A9 where value != 0x3A2: return pick(0x391...0x3A1)
        case 0x3B1...0x3C9: return pick(0x3B1...0x3C9)
        case 0x410...0x42F: return pick(0x410...0x42F)
        case 0x430...0x44F: return pick(0x430...0x44F)
        case 0x915...0x939: return pick(0x915...0x939)
        case 0x3041...0x3096: return pick(0x3041...0x3096)
        case 0x30A1...0x30FA: return pick(0x30A1...0x30FA)
        case 0x4E00...0x9FFF: return pick(0x4E00...0x9FA5)
        case 0xAC00...0xD7A3: return pick(0xAC00...0xD7A3)
        default:
            // A letter of another script, or a mark that counts as alphabetic (a vowel sign): kept
            // when it cannot stand alone, else a Latin letter of its case.
            if scalar.properties.generalCategory != .otherLetter && !scalar.properties.isLowercase
                && !scalar.properties.isUppercase
            {
                return scalar
            }
            return scalar.properties.isUppercase ? pick(0x41...0x5A) : pick(0x61...0x7A)
        }
    }

    private static let latinLower = Array("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ".unicodeScalars)
    private static let latinUpper = Array("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝ".unicodeScalars)
}

/// Keyed pseudo-random numbers for one value: HMAC-SHA256 of the seed and a block counter.
struct TokenStream {
    let key: RedactionKey
    let seed: [UInt8]
    private var block: [UInt8] = []
    private var position = 0
    private var counter: UInt32 = 0

    init(key: RedactionKey, seed: [UInt8]) {
        self.key = key
        self.seed = seed
    }

    /// A number below `bound` (bound > 0), from four bytes of the stream (bias negligible for the
    /// small alphabets here).
    mutating func next(below bound: UInt32) -> UInt32 {
        if position + 4 > block.count {
            block = key.mac(seed + withUnsafeBytes(of: counter.bigEndian, Array.init))
            counter += 1
            position = 0
        }
        let word = block[position..<position + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        position += 4
        return word % bound
    }
}
