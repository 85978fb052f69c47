/// The country table of INVOICING.md, as the legacy's `countries.py` holds it.
struct CountryRules: Sendable {
    enum Prices: Sendable { case inclusive, exclusive }
    enum Rounding: Sendable { case perLine, perRateOnTotals }
    /// Where a line comes from, as the rate functions see it.
    enum Source: Sendable, Equatable {
        case charge(String)
        case item(String)
    }

    var code: String
    var currency: String
    var digits: Int
    var locales: [String]
    var timeZones: [String]
    var prices: Prices
    var rounding: Rounding
    var roundingMode: RoundingMode
    var taxLabel: String
    var rate: @Sendable (MoneyEvent, MoneyEvent.LocalDate, Source) -> Rate
    var standardRate: @Sendable (MoneyEvent, MoneyEvent.LocalDate) -> Rate
    /// Gross (in minor units) at or below which an invoice without a buyer tax id is simplified.
    var simplifiedThreshold: Int128? = nil
    /// Payable is rounded to this many minor units (CH: 5).
    var cashIncrement: Int128? = nil

    static let rideCharges: Set<String> = ["base_fare", "distance", "time", "surge"]

    static func isRideCharge(_ source: Source) -> Bool {
        if case .charge(let kind) = source { return rideCharges.contains(kind) }
        return false
    }

    static func isFood(_ source: Source) -> Bool {
        source == .item("prepared_food") || source == .item("grocery")
    }

    static let usStateRates = ["NY": Rate("8.875"), "CA": Rate("8.625"), "TX": Rate("8.25")]

    static func usStandard(_ event: MoneyEvent) -> Rate {
        event.businessLine == "rides" ? Rate("0") : usStateRates[event.customer.state ?? ""] ?? Rate("0")
    }

    static func deRates(_ day: MoneyEvent.LocalDate) -> (Rate, Rate) {
        let cutStart = MoneyEvent.LocalDate(year: 2020, month: 7, day: 1)
        let cutEnd = MoneyEvent.LocalDate(year: 2020, month: 12, day: 31)
        return cutStart <= day && day <= cutEnd ? (Rate("16"), Rate("5")) : (Rate("19"), Rate("7"))
    }

    static func chRates(_ day: MoneyEvent.LocalDate) -> (Rate, Rate) {
        day < MoneyEvent.LocalDate(year: 2024, month: 1, day: 1)
            ? (Rate("7.7"), Rate("2.5")) : (Rate("8.1"), Rate("2.6"))
    }

    static func constant(_ text: String) -> @Sendable (MoneyEvent, MoneyEvent.LocalDate) -> Rate {
        let rate = Rate(text)
        return { _, _ in rate }
    }

    static let all: [String: CountryRules] = {
        let list = [
            CountryRules(
                code: "US", currency: "USD", digits: 2, locales: ["en_US", "es_US"],
                timeZones: [
                    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
                ], prices: .exclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "Sales tax",
                rate: { event, _, _ in usStandard(event) }, standardRate: { event, _ in usStandard(event) }),
            CountryRules(
                code: "GB", currency: "GBP", digits: 2, locales: ["en_GB"], timeZones: ["Europe/London"],
                prices: .inclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "VAT",
                rate: { _, _, source in source == .item("grocery") ? Rate("0") : Rate("20") },
                standardRate: constant("20"), simplifiedThreshold: 25_000),
            CountryRules(
                code: "DE", currency: "EUR", digits: 2, locales: ["de_DE", "en_DE"], timeZones: ["Europe/Berlin"],
                prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp, taxLabel: "USt.",
                rate: { event, day, source in
                    let (standard, reduced) = deRates(day)
                    if isFood(source) { return reduced }
                    if isRideCharge(source), let trip = event.trip, trip.distanceKm < DecimalAmount(units: 50, scale: 0)
                    {
                        return reduced
                    }
                    return standard
                }, standardRate: { _, day in deRates(day).0 }, simplifiedThreshold: 25_000),
            CountryRules(
                code: "FR", currency: "EUR", digits: 2, locales: ["fr_FR"], timeZones: ["Europe/Paris"],
                prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp, taxLabel: "TVA",
                rate: { _, _, source in
                    if source == .item("grocery") { return Rate("5.5") }
                    if isRideCharge(source) || source == .item("prepared_food") { return Rate("10") }
                    return Rate("20")
                }, standardRate: constant("20")),
            CountryRules(
                code: "NL", currency: "EUR", digits: 2, locales: ["nl_NL", "en_NL"], timeZones: ["Europe/Amsterdam"],
                prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfEven, taxLabel: "btw",
                rate: { _, _, source in isRideCharge(source) || isFood(source) ? Rate("9") : Rate("21") },
                standardRate: constant("21")),
            CountryRules(
                code: "CH", currency: "CHF", digits: 2, locales: ["de_CH", "fr_CH", "en_CH"],
                timeZones: ["Europe/Zurich"], prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp,
                taxLabel: "MWST",
                rate: { _, day, source in
                    let (standard, food) = chRates(day)
                    return isFood(source) ? food : standard
                }, standardRate: { _, day in chRates(day).0 }, cashIncrement: 5),
            CountryRules(
                code: "SE", currency: "SEK", digits: 2, locales: ["sv_SE", "en_SE"], timeZones: ["Europe/Stockholm"],
                prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfUp, taxLabel: "Moms",
                rate: { _, _, source in
                    if isFood(source) { return Rate("12") }
                    if isRideCharge(source) { return Rate("6") }
                    return Rate("25")
                }, standardRate: constant("25")),
            CountryRules(
                code: "JP", currency: "JPY", digits: 0, locales: ["ja_JP"], timeZones: ["Asia/Tokyo"],
                prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .down, taxLabel: "消費税",
                rate: { _, _, source in isFood(source) ? Rate("8") : Rate("10") }, standardRate: constant("10")),
            CountryRules(
                code: "IN", currency: "INR", digits: 2, locales: ["en_IN"], timeZones: ["Asia/Kolkata"],
                prices: .exclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "IGST",
                rate: { _, _, _ in Rate("5") }, standardRate: constant("5")),
            CountryRules(
                code: "MX", currency: "MXN", digits: 2, locales: ["es_MX"],
                timeZones: ["America/Mexico_City", "America/Monterrey", "America/Cancun", "America/Tijuana"],
                prices: .inclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "IVA",
                rate: { _, _, _ in Rate("16") }, standardRate: constant("16")),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.code, $0) })
    }()
}
