/// One country of the invoice contract (INVOICING.md's country table), as the legacy's
/// `legacy/invoicing/countries.py` holds it.
///
/// This is the one Swift definition of the contract's countries: the port takes its currencies,
/// locales, zones and rounding from here (and adds the tax-rate rules, which are code), the event
/// generator its currencies, locales and zones, and the store, metrics and web their list of
/// codes. `ContractCountryTests` fails when it and `countries.py` disagree; adding a country is a
/// row here, its rates in the port's `CountryRules`, and its locales' formats and labels (README,
/// "Where a change goes").
public struct ContractCountry: Codable, Sendable, Hashable {
    /// Whether item and charge amounts include tax.
    public enum Prices: String, Codable, Sendable, Hashable {
        case inclusive, exclusive
    }

    /// Where tax is rounded: on each line, or per rate on the totals (then spread over the lines).
    public enum Rounding: String, Codable, Sendable, Hashable {
        case perLine = "line"
        case perRateOnTotals = "rate_total"
    }

    /// How tax amounts are rounded, named as Python's `decimal` module names them.
    public enum RoundingMode: String, Codable, Sendable, Hashable {
        case halfUp = "ROUND_HALF_UP"
        case halfEven = "ROUND_HALF_EVEN"
        case down = "ROUND_DOWN"
    }

    /// ISO 3166 code (`DE`).
    public var code: String
    /// ISO 4217 currency code (`EUR`).
    public var currency: String
    /// Minor-unit digits of the currency (JPY: 0).
    public var digits: Int
    /// The locales an event of this country may ask for; the first is the country's own.
    public var locales: [String]
    /// The IANA time zones an event of this country may be in.
    public var timeZones: [String]
    /// Whether prices include tax.
    public var prices: Prices
    /// Where tax is rounded.
    public var rounding: Rounding
    /// How tax is rounded.
    public var roundingMode: RoundingMode
    /// The tax's name on the invoice.
    public var taxLabel: String
    /// Gross, in minor units, at or below which an invoice to a buyer without a tax id is simplified.
    public var simplifiedThreshold: Int? = nil
    /// The payable amount is rounded to a multiple of this many minor units (CH: 5).
    public var cashIncrement: Int? = nil

    /// JSON keys as `countries.py` names the fields (amounts in minor units).
    enum CodingKeys: String, CodingKey {
        case code, currency, digits, locales, prices, rounding
        case timeZones = "time_zones"
        case roundingMode = "rounding_mode"
        case taxLabel = "tax_label"
        case simplifiedThreshold = "simplified_threshold"
        case cashIncrement = "cash_increment"
    }

    /// The contract's countries, in the contract's order.
    public static let all: [ContractCountry] = [
        ContractCountry(
            code: "US", currency: "USD", digits: 2, locales: ["en_US", "es_US"],
            timeZones: [
                "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
                "America/Anchorage", "Pacific/Honolulu",
            ], prices: .exclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "Sales tax"),
        ContractCountry(
            code: "GB", currency: "GBP", digits: 2, locales: ["en_GB"], timeZones: ["Europe/London"],
            prices: .inclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "VAT",
            simplifiedThreshold: 25_000),
        ContractCountry(
            code: "DE", currency: "EUR", digits: 2, locales: ["de_DE", "en_DE"], timeZones: ["Europe/Berlin"],
            prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp, taxLabel: "USt.",
            simplifiedThreshold: 25_000),
        ContractCountry(
            code: "FR", currency: "EUR", digits: 2, locales: ["fr_FR"], timeZones: ["Europe/Paris"],
            prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp, taxLabel: "TVA"),
        ContractCountry(
            code: "NL", currency: "EUR", digits: 2, locales: ["nl_NL", "en_NL"], timeZones: ["Europe/Amsterdam"],
            prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfEven, taxLabel: "btw"),
        ContractCountry(
            code: "CH", currency: "CHF", digits: 2, locales: ["de_CH", "fr_CH", "en_CH"],
            timeZones: ["Europe/Zurich"], prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp,
            taxLabel: "MWST", cashIncrement: 5),
        ContractCountry(
            code: "SE", currency: "SEK", digits: 2, locales: ["sv_SE", "en_SE"], timeZones: ["Europe/Stockholm"],
            prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp, taxLabel: "Moms"),
        ContractCountry(
            code: "JP", currency: "JPY", digits: 0, locales: ["ja_JP"], timeZones: ["Asia/Tokyo"],
            prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .down, taxLabel: "消費税"),
        ContractCountry(
            code: "IN", currency: "INR", digits: 2, locales: ["en_IN"], timeZones: ["Asia/Kolkata"],
            prices: .exclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "IGST"),
        ContractCountry(
            code: "MX", currency: "MXN", digits: 2, locales: ["es_MX"],
            timeZones: ["America/Mexico_City", "America/Monterrey", "America/Cancun", "America/Tijuana"],
            prices: .inclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "IVA"),
    ]

    /// The codes of ``all``, in the contract's order: the countries a flag can be set for, and the
    /// values of the `country` label in metrics (anything else is `other`).
    public static let codes: [String] = all.map(\.code)

    /// The country with `code`, if the contract has it.
    public static func named(_ code: String) -> ContractCountry? {
        all.first { $0.code == code }
    }

    /// Every locale of every country, each once, in the contract's order.
    public static var allLocales: [String] {
        var seen = Set<String>()
        return all.flatMap(\.locales).filter { seen.insert($0).inserted }
    }
}
