import ShadowCore

/// A contract country (ShadowCore's ``ContractCountry``, the one table of currencies, locales, zones
/// and rounding) with the tax-rate rules of the legacy's `countries.py`, which are code.
struct CountryRules: Sendable {
    typealias Prices = ContractCountry.Prices
    typealias Rounding = ContractCountry.Rounding
    /// Where a line comes from, as the rate functions see it.
    enum Source: Sendable, Equatable {
        case charge(String)
        case item(String)
    }

    /// A line's rate, by the event, its local date and the line's source.
    typealias LineRate = @Sendable (MoneyEvent, MoneyEvent.LocalDate, Source) -> Rate
    /// The standard rate on the event's local date (the rate of fees the country names no rate for).
    typealias StandardRate = @Sendable (MoneyEvent, MoneyEvent.LocalDate) -> Rate

    var code: String
    var currency: String
    var digits: Int
    var locales: [String]
    var timeZones: [String]
    var prices: Prices
    var rounding: Rounding
    var roundingMode: RoundingMode
    var taxLabel: String
    var rate: LineRate
    var standardRate: StandardRate
    /// Gross (in minor units) at or below which an invoice without a buyer tax id is simplified.
    var simplifiedThreshold: Int128?
    /// Payable is rounded to this many minor units (CH: 5).
    var cashIncrement: Int128?

    init(_ country: ContractCountry, rate: @escaping LineRate, standardRate: @escaping StandardRate) {
        code = country.code
        currency = country.currency
        digits = country.digits
        locales = country.locales
        timeZones = country.timeZones
        prices = country.prices
        rounding = country.rounding
        roundingMode =
            switch country.roundingMode {
            case .halfUp: .halfUp
            case .halfEven: .halfEven
            case .down: .down
            }
        taxLabel = country.taxLabel
        self.rate = rate
        self.standardRate = standardRate
        simplifiedThreshold = country.simplifiedThreshold.map { Int128($0) }
        cashIncrement = country.cashIncrement.map { Int128($0) }
    }

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

    /// Each contract country's rate rules, by code.
    static let rates: [String: (rate: LineRate, standard: StandardRate)] = [
        "US": ({ event, _, _ in usStandard(event) }, { event, _ in usStandard(event) }),
        "GB": ({ _, _, source in source == .item("grocery") ? Rates.r0 : Rates.r20 }, constant(Rates.r20)),
        "DE": (
            { event, day, source in
                let (standard, reduced) = deRates(day)
                if isFood(source) { return reduced }
                if isRideCharge(source), let trip = event.trip, trip.distanceKm < DecimalAmount(units: 50, scale: 0) {
                    return reduced
                }
                return standard
            }, { _, day in deRates(day).0 }
        ),
        "FR": (
            { _, _, source in
                if source == .item("grocery") { return Rates.r5_5 }
                if isRideCharge(source) || source == .item("prepared_food") { return Rates.r10 }
                return Rates.r20
            }, constant(Rates.r20)
        ),
        "NL": ({ _, _, source in isRideCharge(source) || isFood(source) ? Rates.r9 : Rates.r21 }, constant(Rates.r21)),
        "CH": (
            { _, day, source in
                let (standard, food) = chRates(day)
                return isFood(source) ? food : standard
            }, { _, day in chRates(day).0 }
        ),
        "SE": (
            { _, _, source in
                if isFood(source) { return Rates.r12 }
                if isRideCharge(source) { return Rates.r6 }
                return Rates.r25
            }, constant(Rates.r25)
        ),
        "JP": ({ _, _, source in isFood(source) ? Rates.r8 : Rates.r10 }, constant(Rates.r10)),
        "IN": ({ _, _, _ in Rates.r5 }, constant(Rates.r5)),
        "MX": ({ _, _, _ in Rates.r16 }, constant(Rates.r16)),
    ]

    /// The contract's countries that have rate rules, by code (`ContractCountryTests` checks that
    /// every contract country has them).
    static let all: [String: CountryRules] = Dictionary(
        uniqueKeysWithValues: ContractCountry.all.compactMap { country in
            rates[country.code].map { (country.code, CountryRules(country, rate: $0.rate, standardRate: $0.standard)) }
        })
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
