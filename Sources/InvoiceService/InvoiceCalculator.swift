import Foundation
import ShadowCore

/// The invoice the port computes, in minor units of the currency: the legacy's `entities.Invoice`.
struct Invoice: Sendable {
    struct Party: Sendable {
        var name: String
        var email: String?
        var taxID: String?
    }

    struct Line: Sendable {
        var description: String
        var quantity: Int
        var unitPrice: Int128
        var net: Int128
        var taxRate: Rate
        var tax: Int128
        var gross: Int128
    }

    struct TaxSummaryEntry: Sendable {
        var label: String
        var rate: Rate
        var net: Int128
        var tax: Int128
    }

    struct Totals: Sendable {
        var net: Int128
        var tax: Int128
        var gross: Int128
        var tip: Int128
        var payable: Int128
    }

    var number: String
    var documentType: String
    var issueDate: MoneyEvent.LocalDate
    var seller: Party
    var buyer: Party
    var lines: [Line]
    var taxSummary: [TaxSummaryEntry]
    var totals: Totals
    var currency: String
    var locale: String
    var digits: Int
    var legalNotes: [String]
}

/// Tax and totals: a port of the legacy's `service.py`, in exact integer arithmetic.
enum InvoiceCalculator {
    private struct Draft {
        var description: String
        var quantity: Int
        var unitPrice: Int128  // minor units, signed
        var amount: Int128  // gross where prices are inclusive, net where exclusive
        var rate: Rate
    }

    /// `f"{country}-{line.upper()}-{year:04d}-{seq:08d}"`, written byte by byte: interpolation,
    /// padding and Unicode upper-casing were a visible share of the calculator.
    static func invoiceNumber(country: String, businessLine: String, year: Int, seq: Int64) -> String {
        var writer = ByteWriter(capacity: 48)
        writer.write(country)
        writer.append(UInt8(ascii: "-"))
        if businessLine.utf8.allSatisfy({ $0 < 0x80 }) {
            for byte in businessLine.utf8 { writer.append(byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte) }
        } else {
            writer.write(businessLine.uppercased())
        }
        writer.append(UInt8(ascii: "-"))
        writePadded(Int64(year), width: 4, into: &writer)
        writer.append(UInt8(ascii: "-"))
        writePadded(seq, width: 8, into: &writer)
        return writer.string()
    }

    /// `value` with zeros in front up to `width` characters.
    private static func writePadded(_ value: Int64, width: Int, into writer: inout ByteWriter) {
        let text = String(value)
        for _ in 0..<max(0, width - text.utf8.count) { writer.append(UInt8(ascii: "0")) }
        writer.write(text)
    }

    static func build(_ event: MoneyEvent) -> Invoice {
        let rules = CountryRules.all[event.country]!
        let day = CivilCalendar.localDate(secondsSinceEpoch: event.occurredAt, zone: event.timeZone)
        let sign: Int128 = event.isRefund ? -1 : 1
        let labels = Labels.table(forLocale: event.locale)
        func minor(_ amount: DecimalAmount) -> Int128 { amount.rescaled(to: rules.digits).units }

        var drafts: [Draft] = []
        func add(_ description: String, _ quantity: Int, _ price: DecimalAmount, _ source: CountryRules.Source) {
            let unitPrice = sign * minor(price)
            drafts.append(
                Draft(
                    description: description, quantity: quantity, unitPrice: unitPrice,
                    amount: unitPrice * Int128(quantity), rate: rules.rate(event, day, source)))
        }
        if let order = event.order {
            for item in order.items { add(item.name, item.quantity, item.unitPrice, .item(item.category)) }
        }
        for charge in event.charges where charge.kind != "tip" && charge.kind != "promotion" {
            add(labels[charge.kind]!, 1, charge.amount, .charge(charge.kind))
        }
        var promotion: Int128 = 0
        for charge in event.charges where charge.kind == "promotion" { promotion += minor(charge.amount) }
        if promotion != 0 {
            drafts += promotionLines(
                sign * promotion, drafts, standard: rules.standardRate(event, day), description: labels["promotion"]!)
        }

        let intraState: Bool
        switch (event.customer.state, event.provider.state) {
        case (nil, nil): intraState = event.country == "IN"
        case (let customer?, let provider?): intraState = event.country == "IN" && customer.isSameText(as: provider)
        default: intraState = false
        }
        var taxes = drafts.map { lineTax($0.amount, $0.rate, rules, intraState: intraState) }
        if rules.rounding == .perRateOnTotals {
            var lastOfRate = RateMap<Int>()
            var grossOfRate = RateMap<Int128>()
            for (index, draft) in drafts.enumerated() {
                lastOfRate[draft.rate, default: 0] = index
                grossOfRate[draft.rate, default: 0] += draft.amount
            }
            for (rate, last) in lastOfRate.entries {
                let total = tax(of: grossOfRate[rate, default: 0], rate, rules)
                var others: Int128 = 0
                for (index, draft) in drafts.enumerated() where draft.rate == rate && index != last {
                    others += taxes[index]
                }
                taxes[last] = total - others
            }
        }
        let lines = zip(drafts, taxes).map { draft, tax in
            Invoice.Line(
                description: draft.description, quantity: draft.quantity, unitPrice: draft.unitPrice,
                net: rules.prices == .inclusive ? draft.amount - tax : draft.amount, taxRate: draft.rate, tax: tax,
                gross: rules.prices == .inclusive ? draft.amount : draft.amount + tax)
        }

        var summaryByRate = RateMap<(net: Int128, tax: Int128)>()
        for line in lines {
            summaryByRate[line.taxRate, default: (0, 0)].net += line.net
            summaryByRate[line.taxRate, default: (0, 0)].tax += line.tax
        }
        var summary: [Invoice.TaxSummaryEntry] = []
        for (rate, (net, tax)) in summaryByRate.entries.sorted(by: { $0.rate > $1.rate }) {
            if intraState {
                summary.append(Invoice.TaxSummaryEntry(label: "CGST", rate: rate.half, net: net, tax: tax / 2))
                summary.append(Invoice.TaxSummaryEntry(label: "SGST", rate: rate.half, net: net, tax: tax / 2))
            } else {
                summary.append(Invoice.TaxSummaryEntry(label: rules.taxLabel, rate: rate, net: net, tax: tax))
            }
        }

        let net = lines.reduce(0) { $0 + $1.net }
        let taxTotal = lines.reduce(0) { $0 + $1.tax }
        let gross = net + taxTotal
        var tip: Int128 = 0
        for charge in event.charges where charge.kind == "tip" { tip += minor(charge.amount) }
        tip *= sign
        var payable = gross + tip
        if let increment = rules.cashIncrement {
            payable = RoundingMode.halfUp.round(payable, increment) * increment
        }

        var number = invoiceNumber(
            country: event.country, businessLine: event.businessLine, year: day.year, seq: event.invoiceSeq)
        var notes: [String] = []
        let documentType: String
        if let refund = event.refund, event.isRefund {
            documentType = "credit_note"
            let original = invoiceNumber(
                country: event.country, businessLine: event.businessLine, year: day.year, seq: refund.originalInvoiceSeq
            )
            number = "CN-" + number
            notes.append(labels["note_credit_for"]!.replacingPlaceholder("number", with: original))
            notes.append(labels["note_reason"]!.replacingPlaceholder("reason", with: refund.reason))
        } else {
            if event.country == "US" {
                documentType = "receipt"
            } else if event.country == "MX" {
                documentType = event.customer.taxID != nil ? "invoice" : "receipt"
            } else if let threshold = rules.simplifiedThreshold, gross <= threshold, event.customer.taxID == nil {
                documentType = "simplified_invoice"
            } else {
                documentType = "invoice"
            }
            if documentType == "simplified_invoice" { notes.append(labels["note_simplified_\(event.country)"]!) }
        }
        if event.country == "IN" {
            notes.append(
                labels["note_place_of_supply"]!.replacingPlaceholder("state", with: event.customer.state ?? "None"))
        }
        return Invoice(
            number: number, documentType: documentType, issueDate: day,
            seller: Invoice.Party(name: event.provider.legalName, email: nil, taxID: event.provider.taxID),
            buyer: Invoice.Party(name: event.customer.name, email: event.customer.email, taxID: event.customer.taxID),
            lines: lines, taxSummary: summary,
            totals: Invoice.Totals(net: net, tax: taxTotal, gross: gross, tip: tip, payable: payable),
            currency: event.currency, locale: event.locale, digits: rules.digits, legalNotes: notes)
    }

    /// The standard rate first, then each lower rate in turn, each up to its base. `promotion` has
    /// the opposite sign of the lines; the decoder checked it is no larger than their sum.
    private static func promotionLines(_ promotion: Int128, _ drafts: [Draft], standard: Rate, description: String)
        -> [Draft]
    {
        var bases = RateMap<Int128>()
        for draft in drafts { bases[draft.rate, default: 0] += draft.amount }
        let order = [standard] + bases.entries.map(\.rate).filter { $0 != standard }.sorted(by: >)
        var remaining = -promotion
        var result: [Draft] = []
        for rate in order {
            let base = bases[rate, default: 0]
            var take: Int128 = 0
            if (base > 0 && remaining > 0) || (base < 0 && remaining < 0) {
                take = min(abs(remaining), abs(base)) * (remaining < 0 ? -1 : 1)
            }
            if take != 0 {
                result.append(Draft(description: description, quantity: 1, unitPrice: -take, amount: -take, rate: rate))
                remaining -= take
            }
            if remaining == 0 { break }
        }
        return result
    }

    /// The tax in (inclusive) or on (exclusive) an amount, rounded once with the country's mode.
    private static func tax(of amount: Int128, _ rate: Rate, _ rules: CountryRules) -> Int128 {
        let denominator =
            rules.prices == .inclusive ? rate.denominator * 100 + rate.numerator : rate.denominator * 100
        return rules.roundingMode.round(amount * rate.numerator, denominator)
    }

    private static func lineTax(_ amount: Int128, _ rate: Rate, _ rules: CountryRules, intraState: Bool) -> Int128 {
        intraState ? 2 * tax(of: amount, rate.half, rules) : tax(of: amount, rate, rules)
    }
}

extension String {
    /// `str.format(name=value)` for one placeholder: every `{name}`, matched code unit for code
    /// unit as Python does (not with Foundation's Unicode-aware search).
    func replacingPlaceholder(_ name: String, with value: String) -> String {
        let token = Array("{\(name)}".utf8)
        var text = Array(utf8)[...]
        var result: [UInt8] = []
        result.reserveCapacity(text.count + value.utf8.count)
        while let start = text.firstIndex(of: token[0]) {
            result.append(contentsOf: text[..<start])
            if text[start...].starts(with: token) {
                result.append(contentsOf: value.utf8)
                text = text[(start + token.count)...]
            } else {
                result.append(token[0])
                text = text[(start + 1)...]
            }
        }
        result.append(contentsOf: text)
        return String(decoding: result, as: UTF8.self)
    }
}

/// Values by tax rate, for the few rates of one invoice: a list searched with `==` (rates equal
/// when cross-multiplied). A `Dictionary` keyed by ``Rate`` hashed each key through a GCD of two
/// `Int128`s, on every lookup: the calculator's largest cost (Hasher and `__modti3` at the top of
/// its profile).
struct RateMap<Value> {
    /// In the order each rate first came.
    private(set) var entries: [(rate: Rate, value: Value)] = []

    subscript(rate: Rate, default value: @autoclosure () -> Value) -> Value {
        get { entries.first { $0.rate == rate }?.value ?? value() }
        set {
            if let index = entries.firstIndex(where: { $0.rate == rate }) {
                entries[index].value = newValue
            } else {
                entries.append((rate, newValue))
            }
        }
    }
}
