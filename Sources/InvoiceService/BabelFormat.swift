/// Money, percentages, numbers and dates, character for character as Babel 2.10 (CLDR 41, Debian 12's
/// python3-babel) formats them for the supported locales: `format_currency`, `format_percent(...,
/// decimal_quantization=False)`, `format_decimal` and `format_date(..., format="medium")`.
/// Foundation's formatters use another CLDR and disagree (grouping, spaces, `Sep`/`Sept`), so the
/// port carries the few patterns it needs.
struct BabelFormat: Sendable {
    enum DateStyle: Sendable {
        case monthDayCommaYear  // MMM d, y
        case dayMonthYear  // d MMM y
        case dotted  // dd.MM.y
        case slashed  // y/MM/dd
        case dashed  // dd-MMM-y
    }

    /// The decimal separator (one ASCII byte in every supported locale) and the group separator's
    /// UTF-8 bytes, kept as bytes: a dictionary lookup of them per amount would cost every render.
    var decimalByte: UInt8
    var groupBytes: [UInt8]
    /// Lakh grouping (en_IN): 3 digits, then 2 by 2.
    var indianGrouping = false
    /// `¤` stands for the currency symbol.
    var currencyPrefix: String
    var currencySuffix: String
    var negativeCurrencyPrefix: String
    var negativeCurrencySuffix: String
    var percentSuffix: String
    var dateStyle: DateStyle
    var months: [String]

    static let englishMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"]
    static let spanishMonths = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"]
    static let frenchMonths = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ]

    static let symbols = [
        "USD": "$", "GBP": "£", "EUR": "€", "CHF": "CHF", "SEK": "kr", "JPY": "￥", "INR": "₹", "MXN": "$",
    ]
    static let currencyDigits = ["JPY": 0]

    static func prefixed(_ prefix: String, suffix: String = "") -> (String, String, String, String) {
        (prefix, suffix, "-" + prefix, suffix)
    }

    static let locales: [String: BabelFormat] = {
        let nbsp = "\u{A0}"
        func make(
            _ decimal: String, _ group: String, _ currency: (String, String, String, String), _ percent: String,
            _ date: DateStyle, _ months: [String] = englishMonths, indian: Bool = false
        ) -> BabelFormat {
            BabelFormat(
                decimalByte: decimal.utf8.first!, groupBytes: Array(group.utf8), indianGrouping: indian,
                currencyPrefix: currency.0,
                currencySuffix: currency.1, negativeCurrencyPrefix: currency.2, negativeCurrencySuffix: currency.3,
                percentSuffix: percent, dateStyle: date, months: months)
        }
        let usMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let suffixed = prefixed("", suffix: nbsp + "¤")
        return [
            "en_US": make(".", ",", prefixed("¤"), "%", .monthDayCommaYear, usMonths),
            "es_US": make(".", ",", prefixed("¤"), nbsp + "%", .dayMonthYear, spanishMonths),
            "en_GB": make(".", ",", prefixed("¤"), "%", .dayMonthYear),
            "de_DE": make(",", ".", suffixed, nbsp + "%", .dotted),
            "en_DE": make(",", ".", suffixed, nbsp + "%", .dayMonthYear),
            "fr_FR": make(",", "\u{202F}", suffixed, nbsp + "%", .dayMonthYear, frenchMonths),
            "nl_NL": make(
                ",", ".", ("¤" + nbsp, "", "¤" + nbsp + "-", ""), "%", .dayMonthYear,
                ["jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."]),
            "en_NL": make(",", ".", ("¤" + nbsp, "", "¤" + nbsp + "-", ""), "%", .dayMonthYear),
            "de_CH": make(".", "’", ("¤" + nbsp, "", "¤-", ""), "%", .dotted),
            "fr_CH": make(",", "\u{202F}", suffixed, "%", .dayMonthYear, frenchMonths),
            "en_CH": make(".", "’", ("¤" + nbsp, "", "¤-", ""), "%", .dayMonthYear),
            "sv_SE": make(
                ",", nbsp, suffixed, nbsp + "%", .dayMonthYear,
                ["jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec."]),
            "en_SE": make(",", nbsp, suffixed, nbsp + "%", .dayMonthYear),
            "ja_JP": make(".", ",", prefixed("¤"), "%", .slashed),
            "en_IN": make(".", ",", prefixed("¤"), "%", .dashed, indian: true),
            "es_MX": make(".", ",", prefixed("¤"), nbsp + "%", .dayMonthYear, spanishMonths),
        ]
    }()

    /// `format_currency(units / 10^digits, currency, locale)`.
    func currency(_ units: Int128, digits: Int, code: String) -> String {
        var writer = ByteWriter(capacity: 32)
        writeCurrency(units, digits: digits, code: code, into: &writer)
        return writer.string()
    }

    /// The symbol `format_currency` writes for `code`.
    static func symbol(of code: String) -> String { symbols[code] ?? code }

    /// The same, written into `writer`.
    func writeCurrency(_ units: Int128, digits: Int, code: String, into writer: inout ByteWriter) {
        writeCurrency(units, digits: digits, symbol: Self.symbol(of: code), into: &writer)
    }

    /// The same, with the currency's ``symbol(of:)`` looked up already.
    func writeCurrency(_ units: Int128, digits: Int, symbol: String, into writer: inout ByteWriter) {
        let (prefix, suffix) =
            units < 0 ? (negativeCurrencyPrefix, negativeCurrencySuffix) : (currencyPrefix, currencySuffix)
        Self.writeAffix(prefix, symbol: symbol, into: &writer)
        writer.write(
            minor: units, digits: digits, decimal: decimalByte, group: groupBytes, indian: indianGrouping, signed: false
        )
        Self.writeAffix(suffix, symbol: symbol, into: &writer)
    }

    /// A currency's prefixes and suffixes in this locale, its symbol in place, as bytes.
    struct CurrencyAffixes {
        var prefix: [UInt8]
        var suffix: [UInt8]
        var negativePrefix: [UInt8]
        var negativeSuffix: [UInt8]
    }

    /// The affixes for `symbol`, made once per document rather than once per amount.
    func currencyAffixes(symbol: String) -> CurrencyAffixes {
        func bytes(_ affix: String) -> [UInt8] {
            var writer = ByteWriter(capacity: 16)
            Self.writeAffix(affix, symbol: symbol, into: &writer)
            return writer.finish()
        }
        return CurrencyAffixes(
            prefix: bytes(currencyPrefix), suffix: bytes(currencySuffix), negativePrefix: bytes(negativeCurrencyPrefix),
            negativeSuffix: bytes(negativeCurrencySuffix))
    }

    /// `writeCurrency(_:digits:symbol:into:)` with the affixes made already.
    func writeCurrency(_ units: Int128, digits: Int, affixes: CurrencyAffixes, into writer: inout ByteWriter) {
        writer.append(units < 0 ? affixes.negativePrefix : affixes.prefix)
        writer.write(
            minor: units, digits: digits, decimal: decimalByte, group: groupBytes, indian: indianGrouping, signed: false
        )
        writer.append(units < 0 ? affixes.negativeSuffix : affixes.suffix)
    }

    /// A pattern's prefix or suffix with `¤` (UTF-8 C2 A4) replaced by `symbol`, byte by byte: a
    /// String built per amount cost a large share of a render.
    private static func writeAffix(_ affix: String, symbol: String, into writer: inout ByteWriter) {
        guard !affix.isEmpty else { return }
        var affix = affix
        affix.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                if bytes[index] == 0xC2, index + 1 < bytes.count, bytes[index + 1] == 0xA4 {
                    writer.write(symbol)
                    index += 2
                } else {
                    writer.append(bytes[index])
                    index += 1
                }
            }
        }
    }

    /// `format_percent(rate / 100, decimal_quantization=False)`.
    func percent(_ rate: Rate) -> String {
        var writer = ByteWriter(capacity: 16)
        writePercent(rate, into: &writer)
        return writer.string()
    }

    /// The same, written into `writer` (digits, separators and the sign: nothing HTML escapes).
    func writePercent(_ rate: Rate, into writer: inout ByteWriter) {
        writeLocalizedDecimal(rate.text, into: &writer)
        writer.write(percentSuffix)
    }

    /// `format_decimal(value)`: grouped, at most three decimals, trailing zeros dropped.
    func number(_ text: String) -> String {
        var writer = ByteWriter(capacity: 16)
        writeNumber(text, into: &writer)
        return writer.string()
    }

    /// The same, written into `writer`.
    func writeNumber(_ text: String, into writer: inout ByteWriter) {
        writeLocalizedDecimal(text, into: &writer)
    }

    /// A plain decimal text (`-?digits(.digits)?`) grouped and with this locale's separators, the
    /// fraction's trailing zeros dropped; byte by byte (string slicing cost a large share of a render).
    private func writeLocalizedDecimal(_ text: String, into writer: inout ByteWriter) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            if bytes.first == UInt8(ascii: "-") {
                writer.append(UInt8(ascii: "-"))
                start = 1
            }
            var point = start
            while point < bytes.count, bytes[point] != UInt8(ascii: ".") { point += 1 }
            // The integer part, a group separator before every group but the first (3 digits; en_IN:
            // the last 3, then 2 by 2).
            let separator = groupBytes
            for index in start..<point {
                let remaining = point - index
                if index > start,
                    indianGrouping ? remaining == 3 || (remaining > 3 && (remaining - 3) % 2 == 0) : remaining % 3 == 0
                {
                    writer.append(separator)
                }
                writer.append(bytes[index])
            }
            guard point < bytes.count else { return }
            var end = bytes.count
            while end > point + 1, bytes[end - 1] == UInt8(ascii: "0") { end -= 1 }
            guard end > point + 1 else { return }
            writer.append(decimalByte)
            for index in (point + 1)..<end { writer.append(bytes[index]) }
        }
    }

    /// `format_date(date, format="medium")`.
    func date(_ date: MoneyEvent.LocalDate) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let month = months[date.month - 1]
        switch dateStyle {
        case .monthDayCommaYear: return "\(month) \(date.day), \(date.year)"
        case .dayMonthYear: return "\(date.day) \(month) \(date.year)"
        case .dotted: return "\(two(date.day)).\(two(date.month)).\(date.year)"
        case .slashed: return "\(date.year)/\(two(date.month))/\(two(date.day))"
        case .dashed: return "\(two(date.day))-\(month)-\(date.year)"
        }
    }
}
