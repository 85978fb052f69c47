/// Realistic Money-System events, as JSON lines, the same bytes for the same seed.
///
/// Every country and both business lines; refunds; and the edge cases that find bugs: zero
/// amounts, promotions (some larger than the standard-rate base), huge orders, long names,
/// non-Latin scripts, characters that need HTML escaping, dates on the DE 2020 and CH 2024 rate
/// boundaries and around local midnight. A small share of invalid events (``invalidShare``)
/// exercises the error paths; each breaks one rule of the contract.
public struct EventGenerator: Sendable {
    /// Share of events deliberately invalid. Default 0.01.
    public var invalidShare: Double

    /// Creates a generator.
    /// - Parameter invalidShare: Share of events that break one rule of the contract.
    public init(invalidShare: Double = 0.01) {
        self.invalidShare = invalidShare
    }

    /// `count` events for `seed`, one JSON document each, without line breaks.
    /// - Parameters:
    ///   - seed: Equal seeds give equal events.
    ///   - count: How many events.
    /// - Returns: The events' UTF-8 text.
    public func events(seed: UInt64, count: Int) -> [String] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { index in event(index: index, random: &random) }
    }

    /// Calls `body` with each event in turn, for streams too large to hold.
    /// - Parameters:
    ///   - seed: Equal seeds give equal events.
    ///   - count: How many events.
    ///   - body: Receives each event's JSON text.
    public func forEachEvent(seed: UInt64, count: Int, _ body: (String) throws -> Void) rethrows {
        var random = SeededGenerator(seed: seed)
        for index in 0..<count { try body(event(index: index, random: &random)) }
    }

    // MARK: - One event

    private func event(index: Int, random: inout SeededGenerator) -> String {
        let country = random.pick(Country.all)
        let businessLine = random.chance(0.5) ? "rides" : "eats"
        let isRefund = random.chance(0.08)
        var members: [(String, JSONValue)] = [
            ("schema_version", .integer(1)),
            ("event_id", .string(uuid(&random))),
            (
                "event_type",
                .string(isRefund ? "refund_issued" : businessLine == "rides" ? "trip_completed" : "order_delivered")
            ),
            ("occurred_at", .string(timestamp(country: country, random: &random))),
            ("country", .string(country.code)),
            ("city", .string(random.pick(country.cities))),
            ("time_zone", .string(random.pick(country.timeZones))),
            ("locale", .string(random.chance(0.85) ? country.locales[0] : random.pick(country.locales))),
            ("business_line", .string(businessLine)),
            ("currency", .string(country.currency)),
            ("invoice_seq", .integer(random.int(1...99_999_999))),
            ("customer", customer(country: country, random: &random)),
            ("provider", provider(country: country, random: &random)),
        ]
        let money = Money(country: country)
        var value = 0  // in minor units, what a promotion may discount
        if businessLine == "rides" {
            let distance = random.chance(0.1) ? random.int(50_000...180_000) : random.int(300...49_999)
            let distanceText =
                random.chance(0.05) ? (random.chance(0.5) ? "50" : "49.999") : decimalText(distance, digits: 3)
            members.append(
                (
                    "trip",
                    .object([
                        ("distance_km", .string(distanceText)),
                        ("duration_min", .integer(random.int(1...180))),
                        ("pickup", .string(Names.address(&random))),
                        ("dropoff", .string(Names.address(&random))),
                    ])
                ))
        } else {
            let huge = random.chance(0.03)
            let itemCount = huge ? random.int(20...120) : random.int(1...6)
            var items: [JSONValue] = []
            for _ in 0..<itemCount {
                let quantity = huge && random.chance(0.3) ? random.int(100...9999) : random.int(1...4)
                let price = random.chance(0.04) ? 0 : money.amount(random.int(50...4_500), random: &random)
                value += quantity * price
                items.append(
                    .object([
                        ("name", .string(Names.item(&random))),
                        ("quantity", .integer(quantity)),
                        ("unit_price", .string(money.text(price, random: &random))),
                        ("category", .string(random.pick(["prepared_food", "prepared_food", "grocery", "alcohol"]))),
                    ]))
            }
            members.append(
                ("order", .object([("restaurant", .string(Names.restaurant(&random))), ("items", .array(items))])))
        }

        var charges: [JSONValue] = []
        let kinds =
            businessLine == "rides"
            ? [
                ("base_fare", 0.95), ("distance", 0.9), ("time", 0.8), ("surge", 0.2), ("booking_fee", 0.6),
                ("tolls", 0.1),
            ]
            : [("delivery_fee", 0.9), ("service_fee", 0.7), ("small_order_fee", 0.15)]
        for (kind, share) in kinds where random.chance(share) {
            let amount = random.chance(0.04) ? 0 : money.amount(random.int(20...2_500), random: &random)
            value += amount
            charges.append(charge(kind, money.text(amount, random: &random)))
        }
        if random.chance(0.15) && value > 0 {
            // Mostly small; sometimes most of the order, to reach past the standard-rate base.
            let discount = random.chance(0.3) ? random.int(value / 2...value) : random.int(1...max(1, value / 5))
            charges.append(charge("promotion", money.text(-min(discount, value), random: &random)))
        }
        if random.chance(0.3) {
            charges.append(
                charge("tip", money.text(money.amount(random.int(50...1_500), random: &random), random: &random)))
        }
        members.append(("charges", .array(charges)))
        if isRefund {
            members.append(
                (
                    "refund",
                    .object([
                        ("original_invoice_seq", .integer(random.int(1...99_999_999))),
                        ("reason", .string(random.pick(Names.refundReasons))),
                    ])
                ))
        }
        if random.chance(invalidShare) {
            members = Invalid.breakOneRule(members, random: &random)
        }
        var output = ""
        JSONValue.object(members).write(into: &output)
        return output
    }

    private func charge(_ kind: String, _ amount: String) -> JSONValue {
        .object([("kind", .string(kind)), ("amount", .string(amount))])
    }

    private func customer(country: Country, random: inout SeededGenerator) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("id", .string("cus_\(random.int(100_000...999_999))")),
            ("name", .string(Names.person(country: country, random: &random))),
            ("email", .string("user\(random.int(1...99_999))@example.com")),
        ]
        if random.chance(0.15) {
            fields.append(("tax_id", .string("\(country.code)\(random.int(10_000_000...99_999_999))")))
        }
        if let states = country.customerStates {
            fields.append(("state", .string(random.pick(states))))
        }
        return .object(fields)
    }

    private func provider(country: Country, random: inout SeededGenerator) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("id", .string("prv_\(random.int(100_000...999_999))")),
            ("legal_name", .string(Names.company(&random))),
        ]
        if random.chance(0.8) {
            fields.append(("tax_id", .string("\(country.code)\(random.int(100_000_000...999_999_999))")))
        }
        if country.code == "IN" { fields.append(("state", .string(random.pick(["MH", "MH", "KA", "DL"])))) }
        return .object(fields)
    }

    private func timestamp(country: Country, random: inout SeededGenerator) -> String {
        if random.chance(0.04) {
            // On a rate boundary, minutes either side of local midnight (as UTC).
            let boundary = random.pick([
                (2020, 6, 30, 21), (2020, 6, 30, 22), (2020, 12, 31, 22), (2020, 12, 31, 23),
                (2023, 12, 31, 22), (2023, 12, 31, 23),
            ])
            return String(
                format4: boundary.0, boundary.1, boundary.2, boundary.3, random.int(0...59), random.int(0...59))
        }
        let year = random.int(2019...2026)
        let month = random.int(1...12)
        let day = random.int(1...(month == 2 ? 28 : [4, 6, 9, 11].contains(month) ? 30 : 31))
        // Late UTC hours put many events on the next local day east of Greenwich, and early ones
        // on the previous day in the Americas.
        let hour = random.chance(0.3) ? random.pick([0, 1, 2, 3, 4, 5, 20, 21, 22, 23]) : random.int(0...23)
        return String(format4: year, month, day, hour, random.int(0...59), random.int(0...59))
    }

    private func uuid(_ random: inout SeededGenerator) -> String {
        let high = random.next()
        let low = random.next()
        let hex = String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)
        let characters = Array(hex)
        var version = characters
        version[12] = "4"
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(version[$0]) }.joined(separator: "-")
    }
}

/// Amounts in a currency's minor units, written as the contract's decimal strings.
struct Money {
    let digits: Int
    let scale: Int  // minor units per "dollar cent" of generated value

    init(country: Country) {
        digits = country.digits
        scale = country.scale
    }

    /// A value in minor units from a base in cents-of-a-dollar.
    func amount(_ cents: Int, random: inout SeededGenerator) -> Int {
        let minor = cents * scale / 100
        return digits == 0 ? minor / (random.chance(0.5) ? 10 : 1) * (random.chance(0.5) ? 10 : 1) : minor
    }

    /// The decimal string; sometimes with fewer decimals than the currency allows (`12.5`, `7`).
    func text(_ minor: Int, random: inout SeededGenerator) -> String {
        let full = decimalText(minor, digits: digits)
        guard digits == 2, random.chance(0.05) else { return full }
        if minor % 100 == 0 { return String(minor / 100) }
        if minor % 10 == 0 { return String(full.dropLast()) }
        return full
    }
}

/// `value / 10^digits` as a plain decimal string.
func decimalText(_ value: Int, digits: Int) -> String {
    guard digits > 0 else { return String(value) }
    let sign = value < 0 ? "-" : ""
    let magnitude = abs(value)
    var unit = 1
    for _ in 0..<digits { unit *= 10 }
    return "\(sign)\(magnitude / unit).\(String(magnitude % unit).leftPadded(digits))"
}

extension String {
    fileprivate init(format4 year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) {
        self =
            "\(String(year).leftPadded(4))-\(String(month).leftPadded(2))-\(String(day).leftPadded(2))T"
            + "\(String(hour).leftPadded(2)):\(String(minute).leftPadded(2)):\(String(second).leftPadded(2))Z"
    }

    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
