/// An exact decimal: `units × 10^-scale`, as Python's `Decimal` holds the contract's amounts.
/// Money never touches `Double`.
struct DecimalAmount: Equatable, Sendable {
    var units: Int128
    var scale: Int

    static let zero = DecimalAmount(units: 0, scale: 0)

    static func power(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// The value at a larger scale (exact).
    func rescaled(to target: Int) -> DecimalAmount {
        target <= scale ? self : DecimalAmount(units: units * Self.power(target - scale), scale: target)
    }

    static func + (left: DecimalAmount, right: DecimalAmount) -> DecimalAmount {
        let scale = max(left.scale, right.scale)
        return DecimalAmount(units: left.rescaled(to: scale).units + right.rescaled(to: scale).units, scale: scale)
    }

    static prefix func - (value: DecimalAmount) -> DecimalAmount {
        DecimalAmount(units: -value.units, scale: value.scale)
    }

    static func * (value: DecimalAmount, factor: Int) -> DecimalAmount {
        DecimalAmount(units: value.units * Int128(factor), scale: value.scale)
    }

    static func < (left: DecimalAmount, right: DecimalAmount) -> Bool {
        let scale = max(left.scale, right.scale)
        return left.rescaled(to: scale).units < right.rescaled(to: scale).units
    }

    /// Python's `str(Decimal)` for the values the contract produces: plain notation, `scale` decimals.
    var text: String {
        // Through the writer's digit loop when the units fit 64 bits and the scale its buffer (every
        // real amount and rate): Int128's description, padding and slicing showed in every render's profile.
        let magnitude = units < 0 ? -units : units
        if magnitude <= Int128(UInt64.max), scale <= 24 {
            var writer = ByteWriter(capacity: 48)
            writer.write(minor: units, digits: scale)
            return writer.string()
        }
        let negative = units < 0
        let digits = String(negative ? -units : units)
        guard scale > 0 else { return (negative ? "-" : "") + digits }
        let padded = digits.count <= scale ? String(repeating: "0", count: scale - digits.count + 1) + digits : digits
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + padded[..<split] + "." + padded[split...]
    }

    /// Parses the contract's decimal text (already checked against `-?(0|[1-9][0-9]*)(\.[0-9]+)?`).
    init?(text: String) {
        var value: Int128 = 0
        var scale = 0
        var negative = false
        var seenPoint = false
        var digits = 0
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where index == 0: negative = true
            case UInt8(ascii: ".") where !seenPoint && digits > 0: seenPoint = true
            case 0x30...0x39:
                value = value * 10 + Int128(byte - 0x30)
                digits += 1
                if seenPoint { scale += 1 }
                if digits > 30 { return nil }
            default: return nil
            }
        }
        guard digits > 0, !seenPoint || scale > 0 else { return nil }
        units = negative ? -value : value
        self.scale = scale
    }

    init(units: Int128, scale: Int) {
        self.units = units
        self.scale = scale
    }
}

/// The decimal module's rounding modes the contract uses.
enum RoundingMode: Sendable {
    /// ROUND_HALF_UP: ties away from zero.
    case halfUp
    /// ROUND_HALF_EVEN: ties to the even neighbour.
    case halfEven
    /// ROUND_DOWN: toward zero (truncate).
    case down

    /// `numerator / denominator` rounded to an integer; `denominator > 0`.
    func round(_ numerator: Int128, _ denominator: Int128) -> Int128 {
        let negative = numerator < 0
        let magnitude = negative ? -numerator : numerator
        var quotient = magnitude / denominator
        let remainder = magnitude % denominator
        switch self {
        case .down: break
        case .halfUp: if remainder * 2 >= denominator { quotient += 1 }
        case .halfEven:
            if remainder * 2 > denominator || (remainder * 2 == denominator && quotient % 2 == 1) { quotient += 1 }
        }
        return negative ? -quotient : quotient
    }
}

/// A tax rate in percent as an exact fraction: 8.875 % is 8875/1000.
struct Rate: Hashable, Sendable, Comparable {
    var numerator: Int128
    var denominator: Int128

    init(_ text: String) {
        let amount = DecimalAmount(text: text)!
        numerator = amount.units
        denominator = DecimalAmount.power(amount.scale)
    }

    init(numerator: Int128, denominator: Int128) {
        self.numerator = numerator
        self.denominator = denominator
    }

    static func == (left: Rate, right: Rate) -> Bool {
        left.numerator * right.denominator == right.numerator * left.denominator
    }

    /// Equal rates (cross-multiplied) hash alike: the fraction in lowest terms, sign on the
    /// numerator. (Hashing a String built per lookup cost a visible share of a render.)
    func hash(into hasher: inout Hasher) {
        var a = numerator < 0 ? -numerator : numerator
        var b = denominator < 0 ? -denominator : denominator
        while b != 0 { (a, b) = (b, a % b) }
        let divisor = a == 0 ? 1 : a
        let negative = (numerator < 0) != (denominator < 0)
        let magnitude = (numerator < 0 ? -numerator : numerator) / divisor
        hasher.combine(negative ? -magnitude : magnitude)
        hasher.combine((denominator < 0 ? -denominator : denominator) / divisor)
    }

    static func < (left: Rate, right: Rate) -> Bool {
        left.numerator * right.denominator < right.numerator * left.denominator
    }

    var half: Rate { Rate(numerator: numerator, denominator: denominator * 2) }

    /// `format(rate.normalize(), "f")`: `19`, `5.5`, `8.875`, `0`, `2.5`.
    var text: String {
        // Find the scale at which the fraction is exact (denominators are 2^a·5^b).
        var scale = 0
        var scaled = numerator
        while scaled * DecimalAmount.power(scale) % denominator != 0 && scale < 12 { scale += 1 }
        scaled = numerator * DecimalAmount.power(scale) / denominator
        var amount = DecimalAmount(units: scaled, scale: scale)
        while amount.scale > 0 && amount.units % 10 == 0 {
            amount = DecimalAmount(units: amount.units / 10, scale: amount.scale - 1)
        }
        return amount.text
    }
}
