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

    var decimal: String
    var group: String
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
                decimal: decimal, group: group, indianGrouping: indian, currencyPrefix: currency.0,
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

    /// Groups the digits of a non-negative integer.
    func grouped(_ digits: String) -> String {
        var groups: [Substring] = []
        var rest = Substring(digits)
        var size = 3
        while rest.count > size {
            groups.insert(rest.suffix(size), at: 0)
            rest = rest.dropLast(size)
            if indianGrouping { size = 2 }
        }
        groups.insert(rest, at: 0)
        return groups.joined(separator: group)
    }

    /// `format_currency(units / 10^digits, currency, locale)`.
    func currency(_ units: Int128, digits: Int, code: String) -> String {
        var writer = ByteWriter(capacity: 32)
        writeCurrency(units, digits: digits, code: code, into: &writer)
        return writer.string
    }

    /// The same, written into `writer`.
    func writeCurrency(_ units: Int128, digits: Int, code: String, into writer: inout ByteWriter) {
        let symbol = Self.symbols[code] ?? code
        let (prefix, suffix) =
            units < 0 ? (negativeCurrencyPrefix, negativeCurrencySuffix) : (currencyPrefix, currencySuffix)
        if !prefix.isEmpty { writer.write(prefix.replacingSymbol(symbol)) }
        writer.write(
            minor: units, digits: digits, decimal: decimalByte, group: groupBytes, indian: indianGrouping, signed: false
        )
        if !suffix.isEmpty { writer.write(suffix.replacingSymbol(symbol)) }
    }

    private var decimalByte: UInt8 { decimal.utf8.first! }
    private var groupBytes: [UInt8] { Self.groupBytesByLocale[group] ?? Array(group.utf8) }
    private static let groupBytesByLocale: [String: [UInt8]] = Dictionary(
        uniqueKeysWithValues: [",", ".", "\u{202F}", "\u{A0}", "’"].map { ($0, Array($0.utf8)) })

    /// `format_percent(rate / 100, decimal_quantization=False)`.
    func percent(_ rate: Rate) -> String {
        localizedDecimal(rate.text) + percentSuffix
    }

    /// `format_decimal(value)`: grouped, at most three decimals, trailing zeros dropped.
    func number(_ text: String) -> String {
        localizedDecimal(text)
    }

    private func localizedDecimal(_ text: String) -> String {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        var result = grouped(String(parts[0]))
        if parts.count > 1 {
            var fraction = String(parts[1])
            while fraction.hasSuffix("0") { fraction.removeLast() }
            if !fraction.isEmpty { result += decimal + fraction }
        }
        return (negative ? "-" : "") + result
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

extension String {
    fileprivate func replacingSymbol(_ symbol: String) -> String {
        var result = ""
        for character in self {
            if character == "¤" { result += symbol } else { result.append(character) }
        }
        return result
    }
}
