import ShadowCore

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

    static let usStateRates = ["NY": Rates.r8_875, "CA": Rates.r8_625, "TX": Rates.r8_25]

    /// The state's rate, the state named code point for code point (a `Dictionary` lookup would
    /// match a canonically equivalent name).
    static func usStateRate(_ state: String?) -> Rate {
        guard let state else { return Rates.r0 }
        return usStateRates.first { $0.key.isSameText(as: state) }?.value ?? Rates.r0
    }

    static func usStandard(_ event: MoneyEvent) -> Rate {
        event.businessLine == "rides" ? Rates.r0 : usStateRate(event.customer.state)
    }

    static func deRates(_ day: MoneyEvent.LocalDate) -> (Rate, Rate) {
        let cutStart = MoneyEvent.LocalDate(year: 2020, month: 7, day: 1)
        let cutEnd = MoneyEvent.LocalDate(year: 2020, month: 12, day: 31)
        return cutStart <= day && day <= cutEnd ? (Rates.r16, Rates.r5) : (Rates.r19, Rates.r7)
    }

    static func chRates(_ day: MoneyEvent.LocalDate) -> (Rate, Rate) {
        day < MoneyEvent.LocalDate(year: 2024, month: 1, day: 1)
            ? (Rates.r7_7, Rates.r2_5) : (Rates.r8_1, Rates.r2_6)
    }

    static func constant(_ rate: Rate) -> @Sendable (MoneyEvent, MoneyEvent.LocalDate) -> Rate {
        { _, _ in rate }
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
                rate: { _, _, source in source == .item("grocery") ? Rates.r0 : Rates.r20 },
                standardRate: constant(Rates.r20), simplifiedThreshold: 25_000),
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
                    if source == .item("grocery") { return Rates.r5_5 }
                    if isRideCharge(source) || source == .item("prepared_food") { return Rates.r10 }
                    return Rates.r20
                }, standardRate: constant(Rates.r20)),
            CountryRules(
                code: "NL", currency: "EUR", digits: 2, locales: ["nl_NL", "en_NL"], timeZones: ["Europe/Amsterdam"],
                prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .halfEven, taxLabel: "btw",
                rate: { _, _, source in isRideCharge(source) || isFood(source) ? Rates.r9 : Rates.r21 },
                standardRate: constant(Rates.r21)),
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
                    if isFood(source) { return Rates.r12 }
                    if isRideCharge(source) { return Rates.r6 }
                    return Rates.r25
                }, standardRate: constant(Rates.r25)),
            CountryRules(
                code: "JP", currency: "JPY", digits: 0, locales: ["ja_JP"], timeZones: ["Asia/Tokyo"],
                prices: .inclusive, rounding: .perRateOnTotals, roundingMode: .down, taxLabel: "消費税",
                rate: { _, _, source in isFood(source) ? Rates.r8 : Rates.r10 }, standardRate: constant(Rates.r10)),
            CountryRules(
                code: "IN", currency: "INR", digits: 2, locales: ["en_IN"], timeZones: ["Asia/Kolkata"],
                prices: .exclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "IGST",
                rate: { _, _, _ in Rates.r5 }, standardRate: constant(Rates.r5)),
            CountryRules(
                code: "MX", currency: "MXN", digits: 2, locales: ["es_MX"],
                timeZones: ["America/Mexico_City", "America/Monterrey", "America/Cancun", "America/Tijuana"],
                prices: .inclusive, rounding: .perLine, roundingMode: .halfUp, taxLabel: "IVA",
                rate: { _, _, _ in Rates.r16 }, standardRate: constant(Rates.r16)),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.code, $0) })
    }()
}

/// The rates of the table, parsed once.
enum Rates {
    static let r0 = Rate("0")
    static let r10 = Rate("10")
    static let r12 = Rate("12")
    static let r16 = Rate("16")
    static let r19 = Rate("19")
    static let r2_5 = Rate("2.5")
    static let r2_6 = Rate("2.6")
    static let r20 = Rate("20")
    static let r21 = Rate("21")
    static let r25 = Rate("25")
    static let r5 = Rate("5")
    static let r5_5 = Rate("5.5")
    static let r6 = Rate("6")
    static let r7 = Rate("7")
    static let r7_7 = Rate("7.7")
    static let r8 = Rate("8")
    static let r8_1 = Rate("8.1")
    static let r8_25 = Rate("8.25")
    static let r8_625 = Rate("8.625")
    static let r8_875 = Rate("8.875")
    static let r9 = Rate("9")
}
