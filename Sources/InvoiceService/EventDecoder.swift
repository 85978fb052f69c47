import ShadowCore

/// Event bytes → a validated ``MoneyEvent``, or ``InvalidEvent`` naming the field: a port of the
/// legacy's `mapper.py`, check for check and in the same order, so both name the same field.
///
/// One file, over 400 lines, on purpose: it is read side by side with `mapper.py`, whose checks
/// run in one order from the top of the event to its last charge, and the order is the contract
/// (an event with several faults names the first). Split, the order would be spread over files.
enum EventDecoder {
    static let maxEventBytes = 2 * 1024 * 1024
    static let maxText = 300
    static let maxSeq: Int64 = Int64.max

    static let topFields = [
        "schema_version", "event_id", "event_type", "occurred_at", "country", "city", "time_zone", "locale",
        "business_line", "currency", "invoice_seq", "customer", "provider", "trip", "order", "charges", "refund",
    ]
    static let eventTypes = ["trip_completed", "order_delivered", "refund_issued"]
    // Each object's fields, made once (a literal at the call made an array per object).
    static let customerFields = ["id", "name", "email", "tax_id", "state"]
    static let providerFields = ["id", "legal_name", "tax_id", "state"]
    static let tripFields = ["distance_km", "duration_min", "pickup", "dropoff"]
    static let orderFields = ["restaurant", "items"]
    static let itemFields = ["name", "quantity", "unit_price", "category"]
    static let itemCategories = ["prepared_food", "grocery", "alcohol"]
    static let chargeFields = ["kind", "amount"]
    static let refundFields = ["original_invoice_seq", "reason"]
    static let businessLines = ["rides", "eats"]

    static func decode(_ data: [UInt8]) throws(InvalidEvent) -> MoneyEvent {
        if data.count > maxEventBytes {
            throw InvalidEvent("event", "larger than \(maxEventBytes) bytes (\(data.count))")
        }
        // bytes.strip(): ASCII whitespace, vertical tab and form feed included
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains($0) }) {
            throw InvalidEvent("event", "empty message")
        }
        if let offset = UTF8Check.firstInvalidOffset(data) {
            throw InvalidEvent(
                "event", "not valid UTF-8 (byte 0x\(hex2(data[offset])) at offset \(offset))")
        }
        let document: PythonJSON.Parsed
        do {
            document = try PythonJSON.parse(data)
        } catch {
            switch error {
            case .tooDeep: throw InvalidEvent("event", "JSON nested too deeply")
            case .duplicateKey(let key): throw InvalidEvent("event", "duplicate key \(key)")
            case .constant(let name): throw InvalidEvent("event", "not valid JSON (\(name) is not a JSON value)")
            case .integerTooLong:
                throw InvalidEvent("event", "not valid JSON (an integer of more than 4300 digits)")
            case .syntax(let detail): throw InvalidEvent("event", "not valid JSON (\(detail))")
            }
        }
        return try document.withRoot { (root) throws(InvalidEvent) in try event(root) }
    }

    private static func hex2(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }

    // MARK: - Typed readers

    private struct Object {
        let members: PythonJSON.Members
        let path: FieldPath

        func has(_ key: String) -> Bool { lookup(key) != nil }

        func lookup(_ key: String) -> PythonJSON? { members.value(named: key) }

        func field(_ key: String) -> String {
            let path = path.text
            return path.isEmpty ? key : "\(path).\(key)"
        }

        func present(_ key: String) throws(InvalidEvent) -> PythonJSON {
            guard let value = lookup(key) else { throw InvalidEvent(field(key), "is required") }
            return value
        }

        func text(_ key: String) throws(InvalidEvent) -> String {
            try EventDecoder.text(try present(key), field: field(key))
        }

        func optionalText(_ key: String) throws(InvalidEvent) -> String? {
            guard let value = lookup(key) else { return nil }
            if value.isNull { return nil }
            return try EventDecoder.text(value, field: field(key))
        }

        func integer(_ key: String, _ low: Int64, _ high: Int64) throws(InvalidEvent) -> Int64 {
            let value = try present(key)
            guard let digits = value.integerDigits else {
                throw InvalidEvent(field(key), "must be an integer, got \(value.typeName)")
            }
            guard let number = Int64(digits), number >= low, number <= high else {
                throw InvalidEvent(field(key), "must be between \(low) and \(high), got \(digits)")
            }
            return number
        }

        func choice(_ key: String, _ choices: [String]) throws(InvalidEvent) -> String {
            let value = try present(key)
            guard let string = value.string else {
                throw InvalidEvent(field(key), "must be a string, got \(value.typeName)")
            }
            guard string.isOneOf(choices) else {
                throw InvalidEvent(
                    field(key),
                    "unknown value \(string.pythonRepr) (expected one of \(choices.joined(separator: ", ")))")
            }
            return string.value
        }

        func array(_ key: String, high: Int, low: Int = 0) throws(InvalidEvent) -> [PythonJSON] {
            let value = try present(key)
            guard let values = value.elements else {
                throw InvalidEvent(field(key), "must be an array, got \(value.typeName)")
            }
            guard values.count >= low, values.count <= high else {
                throw InvalidEvent(field(key), "must hold between \(low) and \(high) entries, got \(values.count)")
            }
            return values
        }

        func amount(_ key: String, currency: String, digits: Int) throws(InvalidEvent) -> DecimalAmount {
            try EventDecoder.decimal(
                try present(key), field: field(key), maxDecimals: digits, what: currency, integerDigits: 9)
        }
    }

    /// Where an object is in the event, spelled out only for an error: `charges[3]` made for
    /// every charge and item was a String built and freed each time.
    private enum FieldPath {
        case top
        case named(String)
        case element(of: String, Int)

        var text: String {
            switch self {
            case .top: ""
            case .named(let name): name
            case .element(let array, let index): "\(array)[\(index)]"
            }
        }
    }

    private static func object(_ value: PythonJSON, path: FieldPath, fields: [String]) throws(InvalidEvent) -> Object {
        guard let members = value.members else {
            throw InvalidEvent(path.text.isEmpty ? "event" : path.text, "must be an object, got \(value.typeName)")
        }
        // Each member's name among `fields`, searched from just past the previous member's: events
        // list their members in the schema's order, so that is one comparison a member where
        // searching from the start averaged half the list.
        var cursor = 0
        var allKnown = true
        for member in members {
            var found = false
            for step in 0..<fields.count {
                let index = cursor + step < fields.count ? cursor + step : cursor + step - fields.count
                if members.document.string(at: member.key, isText: fields[index]) {
                    cursor = index + 1 == fields.count ? 0 : index + 1
                    found = true
                    break
                }
            }
            if !found {
                allKnown = false
                break
            }
        }
        // The sorted list only when there is one to report (it was built for every object).
        if !allKnown {
            let unknown = members.map({ members.document.string(at: $0.key) }).filter({ !$0.isOneOf(fields) })
            if let first = unknown.sorted(by: PythonString.precedes).first {
                throw InvalidEvent(path.text.isEmpty ? "event" : path.text, "unknown field \(first.pythonRepr)")
            }
        }
        return Object(members: members, path: path)
    }

    private static func text(_ value: PythonJSON, field: @autoclosure () -> String) throws(InvalidEvent) -> String {
        guard let string = value.string else {
            throw InvalidEvent(field(), "must be a string, got \(value.typeName)")
        }
        if string.value.isEmpty { throw InvalidEvent(field(), "must not be empty") }
        // At most 4 bytes a scalar: a short string needs no count.
        let length = string.value.utf8.count <= maxText ? 0 : string.value.unicodeScalars.count
        if length > maxText { throw InvalidEvent(field(), "longer than \(maxText) characters (\(length))") }
        if string.hasLoneSurrogate { throw InvalidEvent(field(), "contains an unpaired UTF-16 surrogate") }
        return string.value
    }

    private static func decimal(
        _ value: PythonJSON, field: @autoclosure () -> String, maxDecimals: Int, what: String, integerDigits: Int
    ) throws(InvalidEvent) -> DecimalAmount {
        guard let string = value.string else {
            throw InvalidEvent(field(), "must be a decimal string, got \(value.typeName)")
        }
        let text = string.value
        guard !string.hasLoneSurrogate, let shape = DecimalShape(text) else {
            throw InvalidEvent(field(), "not a decimal number: \(string.pythonRepr)")
        }
        if shape.decimals > maxDecimals {
            throw InvalidEvent(field(), "has \(shape.decimals) decimals, \(what) allows \(maxDecimals)")
        }
        if shape.integerDigits > integerDigits {
            throw InvalidEvent(field(), "too large: more than \(integerDigits) integer digits")
        }
        var amount = DecimalAmount(text: text)!
        if amount.units == 0 { amount.units = 0 }  // no negative zero: Int128 has none
        return amount
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, measured.
    private struct DecimalShape {
        var integerDigits: Int
        var decimals: Int

        init?(_ text: String) {
            // Over the string's own bytes (an array of them per amount showed in the profile).
            let shape =
                text.utf8.withContiguousStorageIfAvailable { DecimalShape(bytes: $0) }
                ?? DecimalShape(
                    bytes: Array(text.utf8))
            guard let shape else { return nil }
            self = shape
        }

        private init?(bytes: some Collection<UInt8>) {
            var bytes = bytes[...]
            if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            let whole = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard !whole.isEmpty, whole.count == 1 || whole.first != UInt8(ascii: "0") else { return nil }
            bytes = bytes.dropFirst(whole.count)
            integerDigits = whole.count
            decimals = 0
            if bytes.first == UInt8(ascii: ".") {
                let fraction = bytes.dropFirst()
                guard !fraction.isEmpty, fraction.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                decimals = fraction.count
            } else if !bytes.isEmpty {
                return nil
            }
        }
    }

    // MARK: - The event

    private static func event(_ document: PythonJSON) throws(InvalidEvent) -> MoneyEvent {
        let event = try object(document, path: .top, fields: topFields)

        let version = try event.present("schema_version")
        guard let versionDigits = version.integerDigits else {
            throw InvalidEvent("schema_version", "must be an integer, got \(version.typeName)")
        }
        if versionDigits != "1" {
            throw InvalidEvent("schema_version", "unsupported version \(versionDigits) (this service reads 1)")
        }
        let eventID = try event.text("event_id")
        if !isUUID(eventID) { throw InvalidEvent("event_id", "not a UUID") }
        let eventType = try event.choice("event_type", eventTypes)
        let occurredAt = try timestamp(event)
        let countryCode = try event.text("country")
        guard let rules = CountryRules.all[countryCode] else {
            throw InvalidEvent("country", "unknown country \(PythonText.jsonDumpsASCII(countryCode))")
        }
        let city = try event.text("city")
        let timeZone = try event.text("time_zone")
        if !rules.timeZones.containsText(timeZone) {
            throw InvalidEvent(
                "time_zone", "\(PythonText.jsonDumpsASCII(timeZone)) is not a time zone of \(countryCode)")
        }
        let locale = try event.text("locale")
        if !rules.locales.containsText(locale) {
            throw InvalidEvent(
                "locale",
                "\(PythonText.jsonDumpsASCII(locale)) is not supported for \(countryCode) "
                    + "(\(rules.locales.joined(separator: ", ")))")
        }
        let businessLine = try event.choice("business_line", businessLines)
        let expectedLine = eventType == "trip_completed" ? "rides" : eventType == "order_delivered" ? "eats" : nil
        if let expectedLine, businessLine != expectedLine {
            throw InvalidEvent("business_line", "\(eventType) events are \(expectedLine), got \(businessLine)")
        }
        let currency = try event.text("currency")
        if !currency.isSameText(as: rules.currency) {
            throw InvalidEvent(
                "currency", "\(PythonText.jsonDumpsASCII(currency)) does not match \(countryCode) (\(rules.currency))")
        }
        let invoiceSeq = try event.integer("invoice_seq", 1, maxSeq)
        let customer = try decodeCustomer(event, country: countryCode)
        let provider = try decodeProvider(event, country: countryCode)
        let trip = try decodeTrip(event, businessLine: businessLine)
        let order = try decodeOrder(event, businessLine: businessLine, currency: currency, digits: rules.digits)
        let charges = try decodeCharges(event, businessLine: businessLine, currency: currency, digits: rules.digits)
        let refund = try decodeRefund(event, eventType: eventType)

        var promotion = DecimalAmount.zero
        var value = DecimalAmount.zero
        for charge in charges {
            if charge.kind == "promotion" {
                promotion = promotion + charge.amount
            } else if charge.kind != "tip" {
                value = value + charge.amount
            }
        }
        promotion = -promotion
        if let order {
            var items = DecimalAmount.zero
            for item in order.items { items = items + item.unitPrice * item.quantity }
            value = value + items
        }
        if value < promotion {
            throw InvalidEvent("charges", "promotion \(promotion.text) exceeds the value it discounts (\(value.text))")
        }
        return MoneyEvent(
            eventID: eventID, eventType: eventType, occurredAt: occurredAt, country: countryCode, city: city,
            timeZone: timeZone, locale: locale, businessLine: businessLine, currency: currency, invoiceSeq: invoiceSeq,
            customer: customer, provider: provider, trip: trip, order: order, charges: charges, refund: refund)
    }

    private static func isUUID(_ text: String) -> Bool {
        guard text.utf8.count == 36 else { return false }
        for (index, byte) in text.utf8.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !((0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)) {
                return false
            }
        }
        return true
    }

    private static func timestamp(_ event: Object) throws(InvalidEvent) -> Int64 {
        let value = try event.present("occurred_at")
        guard let string = value.string else {
            throw InvalidEvent("occurred_at", "must be a string, got \(value.typeName)")
        }
        let bytes = Array(string.value.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return nil
            }
            return bytes[range].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        var shapeOK =
            bytes.count >= 20 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
            && bytes[10] == UInt8(ascii: "T") && bytes[13] == UInt8(ascii: ":") && bytes[16] == UInt8(ascii: ":")
            && bytes.last == UInt8(ascii: "Z") && !string.hasLoneSurrogate
        if shapeOK && bytes.count > 20 {
            // (\.[0-9]{1,9})? before the Z
            let fraction = bytes[19..<(bytes.count - 1)]
            shapeOK =
                fraction.first == UInt8(ascii: ".") && (2...10).contains(fraction.count)
                && fraction.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        guard shapeOK, let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
            let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19)
        else {
            throw InvalidEvent("occurred_at", "not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)")
        }
        if !(2000...2099).contains(year) {
            throw InvalidEvent("occurred_at", "year \(year) is outside 2000..2099")
        }
        guard (1...12).contains(month), day >= 1, day <= CivilCalendar.daysIn(year: year, month: month), hour < 24,
            minute < 60, second < 60
        else {
            throw InvalidEvent("occurred_at", "not a valid date and time")
        }
        return CivilCalendar.secondsSinceEpoch(year: year, month: month, day: day)
            + Int64(hour * 3600 + minute * 60 + second)
    }

    private static func state(_ object: Object, required: Bool) throws(InvalidEvent) -> String? {
        if required {
            let value = object.lookup("state")
            if value == nil || value!.isNull {
                throw InvalidEvent(object.field("state"), "is required in this country")
            }
        }
        return try object.optionalText("state")
    }

    private static func decodeCustomer(_ event: Object, country: String) throws(InvalidEvent) -> MoneyEvent.Customer {
        let customer = try object(
            try event.present("customer"), path: .named("customer"), fields: customerFields)
        let id = try customer.text("id")
        let name = try customer.text("name")
        let email = try customer.text("email")
        // Python's `"@" in email`; on the UTF-8 bytes (0x40 is only ever "@"), not Foundation's
        // Unicode-aware search, which costs far more per event.
        if !email.utf8.contains(UInt8(ascii: "@")) { throw InvalidEvent("customer.email", "not an email address") }
        let taxID = try customer.optionalText("tax_id")
        let state = try state(customer, required: country == "IN")
        return MoneyEvent.Customer(id: id, name: name, email: email, taxID: taxID, state: state)
    }

    private static func decodeProvider(_ event: Object, country: String) throws(InvalidEvent) -> MoneyEvent.Provider {
        let provider = try object(
            try event.present("provider"), path: .named("provider"), fields: providerFields)
        let id = try provider.text("id")
        let legalName = try provider.text("legal_name")
        let taxID = try provider.optionalText("tax_id")
        let state = try state(provider, required: country == "IN")
        return MoneyEvent.Provider(id: id, legalName: legalName, taxID: taxID, state: state)
    }

    private static func decodeTrip(_ event: Object, businessLine: String) throws(InvalidEvent) -> MoneyEvent.Trip? {
        guard businessLine == "rides" else {
            if event.has("trip") { throw InvalidEvent("trip", "only rides events carry a trip") }
            return nil
        }
        let trip = try object(
            try event.present("trip"), path: .named("trip"), fields: tripFields)
        let distance = try decimal(
            try trip.present("distance_km"), field: "trip.distance_km", maxDecimals: 3, what: "a distance",
            integerDigits: 5)
        if distance.units < 0 { throw InvalidEvent("trip.distance_km", "must not be negative") }
        let duration = try trip.integer("duration_min", 0, 100_000)
        let pickup = try trip.text("pickup")
        let dropoff = try trip.text("dropoff")
        return MoneyEvent.Trip(distanceKm: distance, durationMin: Int(duration), pickup: pickup, dropoff: dropoff)
    }

    private static func decodeOrder(_ event: Object, businessLine: String, currency: String, digits: Int)
        throws(InvalidEvent) -> MoneyEvent.Order?
    {
        guard businessLine == "eats" else {
            if event.has("order") { throw InvalidEvent("order", "only eats events carry an order") }
            return nil
        }
        let order = try object(try event.present("order"), path: .named("order"), fields: orderFields)
        let restaurant = try order.text("restaurant")
        var items: [MoneyEvent.Item] = []
        for (index, raw) in try order.array("items", high: 500, low: 1).enumerated() {
            let path = FieldPath.element(of: "order.items", index)
            let item = try object(raw, path: path, fields: itemFields)
            let name = try item.text("name")
            let quantity = try item.integer("quantity", 1, 9999)
            let unitPrice = try item.amount("unit_price", currency: currency, digits: digits)
            if unitPrice.units < 0 { throw InvalidEvent("\(path.text).unit_price", "must not be negative") }
            let category = try item.choice("category", itemCategories)
            items.append(MoneyEvent.Item(name: name, quantity: Int(quantity), unitPrice: unitPrice, category: category))
        }
        return MoneyEvent.Order(restaurant: restaurant, items: items)
    }

    static let chargeKinds = [
        "rides": ["base_fare", "distance", "time", "surge", "booking_fee", "tolls", "promotion", "tip"],
        "eats": ["delivery_fee", "service_fee", "small_order_fee", "promotion", "tip"],
    ]

    private static func decodeCharges(_ event: Object, businessLine: String, currency: String, digits: Int)
        throws(InvalidEvent) -> [MoneyEvent.Charge]
    {
        var charges: [MoneyEvent.Charge] = []
        for (index, raw) in try event.array("charges", high: 100).enumerated() {
            let path = FieldPath.element(of: "charges", index)
            let charge = try object(raw, path: path, fields: chargeFields)
            let kind = try charge.choice("kind", chargeKinds[businessLine]!)
            let amount = try charge.amount("amount", currency: currency, digits: digits)
            if kind == "promotion" && amount.units > 0 {
                throw InvalidEvent("\(path.text).amount", "a promotion is a discount: it must not be positive")
            }
            if kind != "promotion" && amount.units < 0 {
                throw InvalidEvent("\(path.text).amount", "must not be negative")
            }
            charges.append(MoneyEvent.Charge(kind: kind, amount: amount))
        }
        return charges
    }

    private static func decodeRefund(_ event: Object, eventType: String) throws(InvalidEvent) -> MoneyEvent.Refund? {
        guard eventType == "refund_issued" else {
            if event.has("refund") { throw InvalidEvent("refund", "only refund_issued events carry a refund") }
            return nil
        }
        let refund = try object(
            try event.present("refund"), path: .named("refund"), fields: refundFields)
        let original = try refund.integer("original_invoice_seq", 1, maxSeq)
        let reason = try refund.text("reason")
        return MoneyEvent.Refund(originalInvoiceSeq: original, reason: reason)
    }
}

/// An event that breaks the contract: the field (a path, or `event` for the whole message) and why.
public struct InvalidEvent: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offending field, as the legacy names it: `customer.name`, `charges[2].amount`, `event`.
    public var field: String
    /// What is wrong with it.
    public var reason: String

    init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}

/// UTF-8 validation that reports where Python's decoder stops.
enum UTF8Check {
    /// The offset of the first byte of the first invalid sequence, or nil when all is valid UTF-8.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidOffset($0) }
    }

    private static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count {
            // Eight ASCII bytes at a time (events are mostly ASCII, and this check runs over every byte).
            while index + 8 <= bytes.count,
                UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
            }
            guard index < bytes.count else { break }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default: return index
            }
            guard index + 1 < bytes.count, (low...high).contains(bytes[index + 1]) else { return index }
            for offset in 2..<length {
                guard index + offset < bytes.count, (0x80...0xBF).contains(bytes[index + offset]) else { return index }
            }
            index += length
        }
        return nil
    }
}
