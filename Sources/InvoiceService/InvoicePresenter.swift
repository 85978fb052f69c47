/// An ``Invoice`` → canonical JSON and the HTML document, as the legacy's `presenter.py` and its
/// Jinja2 template (`trim_blocks`, `lstrip_blocks`, autoescape) produce them.
enum InvoicePresenter {
    // MARK: - JSON

    /// The JSON writer's helpers as methods, not closures over a local `var`: closures capturing a
    /// mutable local cost a dynamic exclusivity check per call (see docs/performance-notes.md).
    private struct JSONWriter: ~Copyable {
        var w = ByteWriter(capacity: 2048)
        let digits: Int

        mutating func money(_ units: Int128) {
            w.write("\"")
            w.write(minor: units, digits: digits)
            w.write("\"")
        }

        mutating func string(_ value: String?) {
            if let value { w.writeJSONString(value) } else { w.write("null") }
        }
    }

    static func json(_ invoice: Invoice) -> [UInt8] {
        var j = JSONWriter(digits: invoice.digits)
        j.w.write("{\"buyer\":{\"email\":")
        j.string(invoice.buyer.email)
        j.w.write(",\"name\":")
        j.string(invoice.buyer.name)
        j.w.write(",\"tax_id\":")
        j.string(invoice.buyer.taxID)
        j.w.write("},\"currency\":")
        j.string(invoice.currency)
        j.w.write(",\"document_type\":")
        j.string(invoice.documentType)
        j.w.write(",\"issue_date\":\"")
        j.w.write(isoDate(invoice.issueDate))
        j.w.write("\",\"legal_notes\":[")
        for (index, note) in invoice.legalNotes.enumerated() {
            if index > 0 { j.w.write(",") }
            j.w.writeJSONString(note)
        }
        j.w.write("],\"lines\":[")
        for (index, line) in invoice.lines.enumerated() {
            if index > 0 { j.w.write(",") }
            j.w.write("{\"description\":")
            j.w.writeJSONString(line.description)
            j.w.write(",\"gross\":")
            j.money(line.gross)
            j.w.write(",\"net\":")
            j.money(line.net)
            j.w.write(",\"quantity\":")
            j.w.write(integer: Int128(line.quantity))
            j.w.write(",\"tax\":")
            j.money(line.tax)
            j.w.write(",\"tax_rate\":\"")
            j.w.write(line.taxRate.text)
            j.w.write("\",\"unit_price\":")
            j.money(line.unitPrice)
            j.w.write("}")
        }
        j.w.write("],\"locale\":")
        j.string(invoice.locale)
        j.w.write(",\"number\":")
        j.string(invoice.number)
        j.w.write(",\"seller\":{\"name\":")
        j.string(invoice.seller.name)
        j.w.write(",\"tax_id\":")
        j.string(invoice.seller.taxID)
        j.w.write("},\"tax_summary\":[")
        for (index, entry) in invoice.taxSummary.enumerated() {
            if index > 0 { j.w.write(",") }
            j.w.write("{\"label\":")
            j.w.writeJSONString(entry.label)
            j.w.write(",\"net\":")
            j.money(entry.net)
            j.w.write(",\"rate\":\"")
            j.w.write(entry.rate.text)
            j.w.write("\",\"tax\":")
            j.money(entry.tax)
            j.w.write("}")
        }
        let totals = invoice.totals
        j.w.write("],\"totals\":{\"gross\":")
        j.money(totals.gross)
        j.w.write(",\"net\":")
        j.money(totals.net)
        j.w.write(",\"payable\":")
        j.money(totals.payable)
        j.w.write(",\"tax\":")
        j.money(totals.tax)
        j.w.write(",\"tip\":")
        j.money(totals.tip)
        j.w.write("}}")
        return j.w.finish()
    }

    static func isoDate(_ date: MoneyEvent.LocalDate) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))"
    }

    // MARK: - HTML

    /// markupsafe's escape: `&`, `<`, `>`, `"` and `'`.
    static func escape(_ text: String) -> String {
        var writer = ByteWriter(capacity: text.utf8.count + 8)
        writer.writeEscaped(text)
        return writer.string()
    }

    private struct HTMLWriter: ~Copyable {
        var h = ByteWriter(capacity: 8192)
        let t: [String: String]
        let format: BabelFormat
        let digits: Int
        /// The currency's affixes in this locale (``BabelFormat/currencyAffixes(symbol:)``), made once.
        let affixes: BabelFormat.CurrencyAffixes

        mutating func write(_ text: StaticString) { h.write(text) }
        mutating func label(_ key: String) { h.write(t[key]!) }
        mutating func text(_ value: String) { h.writeEscaped(value) }
        /// Digits and the locale's separators: nothing to escape.
        mutating func number(_ text: String) { format.writeNumber(text, into: &h) }
        mutating func percent(_ rate: Rate) { format.writePercent(rate, into: &h) }

        mutating func amountCell(_ units: Int128) {
            h.write("<td class=\"amount\">")
            format.writeCurrency(units, digits: digits, affixes: affixes, into: &h)
            h.write("</td>")
        }

        mutating func totalRow(_ cssClass: StaticString, _ key: String, _ units: Int128) {
            h.write("<tr class=\"")
            h.write(cssClass)
            h.write("\"><th>")
            label(key)
            h.write("</th>")
            amountCell(units)
            h.write("</tr>\n")
        }
    }

    static func html(_ invoice: Invoice, event: MoneyEvent) -> [UInt8] {
        let format = BabelFormat.locales[invoice.locale]!
        var h = HTMLWriter(
            t: Labels.escapedTable(forLocale: invoice.locale), format: format, digits: invoice.digits,
            affixes: format.currencyAffixes(symbol: BabelFormat.symbol(of: invoice.currency)))
        h.write("<!DOCTYPE html>\n<html lang=\"")
        h.text(String(invoice.locale.prefix { $0 != "_" }))
        h.write("\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        h.label(invoice.documentType)
        h.write(" ")
        h.text(invoice.number)
        h.write("</title>\n<style>\n")
        h.write("body { font-family: sans-serif; margin: 2em; color: #222; }\n")
        h.write("table { border-collapse: collapse; width: 100%; margin: 1em 0; }\n")
        h.write("th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; }\n")
        h.write("td.amount, th.amount { text-align: right; }\n")
        h.write(".parties { display: flex; gap: 4em; }\n</style>\n</head>\n<body>\n<header>\n<h1>")
        h.label(invoice.documentType)
        h.write("</h1>\n<dl class=\"meta\">\n<dt>")
        h.label("number")
        h.write("</dt><dd class=\"number\">")
        h.text(invoice.number)
        h.write("</dd>\n<dt>")
        h.label("issue_date")
        h.write("</dt><dd class=\"issue-date\">")
        h.text(format.date(invoice.issueDate))
        h.write("</dd>\n</dl>\n</header>\n<section class=\"parties\">\n<div class=\"seller\">\n<h2>")
        h.label("seller")
        h.write("</h2>\n<p class=\"name\">")
        h.text(invoice.seller.name)
        h.write("</p>\n")
        if let taxID = invoice.seller.taxID, !taxID.isEmpty {
            h.write("<p class=\"tax-id\">")
            h.label("tax_id")
            h.write(": ")
            h.text(taxID)
            h.write("</p>\n")
        }
        h.write("</div>\n<div class=\"buyer\">\n<h2>")
        h.label("buyer")
        h.write("</h2>\n<p class=\"name\">")
        h.text(invoice.buyer.name)
        h.write("</p>\n<p class=\"email\">")
        h.label("email")
        h.write(": ")
        h.text(invoice.buyer.email ?? "")
        h.write("</p>\n")
        if let taxID = invoice.buyer.taxID, !taxID.isEmpty {
            h.write("<p class=\"tax-id\">")
            h.label("tax_id")
            h.write(": ")
            h.text(taxID)
            h.write("</p>\n")
        }
        h.write("</div>\n</section>\n<section class=\"context\">\n")
        if let trip = event.trip {
            h.write("<h2>")
            h.label("trip")
            h.write("</h2>\n<p>")
            h.text(trip.pickup)
            h.write(" → ")
            h.text(trip.dropoff)
            h.write(" (")
            h.text(event.city)
            h.write(")</p>\n<p>")
            h.number(trip.distanceKm.text)
            h.write(" km · ")
            h.number(String(trip.durationMin))
            h.write(" min</p>\n")
        }
        if let order = event.order {
            h.write("<h2>")
            h.label("order")
            h.write("</h2>\n<p>")
            h.text(order.restaurant)
            h.write(" (")
            h.text(event.city)
            h.write(")</p>\n")
        }
        h.write("</section>\n<table class=\"lines\">\n<thead>\n<tr><th>")
        h.label("description")
        h.write("</th><th class=\"amount\">")
        h.label("quantity")
        h.write("</th><th class=\"amount\">")
        h.label("unit_price")
        h.write("</th><th class=\"amount\">")
        h.label("tax_rate")
        h.write("</th><th class=\"amount\">")
        h.label("net")
        h.write("</th><th class=\"amount\">")
        h.label("tax")
        h.write("</th><th class=\"amount\">")
        h.label("gross")
        h.write("</th></tr>\n</thead>\n<tbody>\n")
        for line in invoice.lines {
            h.write("<tr><td>")
            h.text(line.description)
            h.write("</td><td class=\"amount\">")
            h.number(String(line.quantity))
            h.write("</td>")
            h.amountCell(line.unitPrice)
            h.write("<td class=\"amount\">")
            h.percent(line.taxRate)
            h.write("</td>")
            h.amountCell(line.net)
            h.amountCell(line.tax)
            h.amountCell(line.gross)
            h.write("</tr>\n")
        }
        h.write("</tbody>\n</table>\n<h2>")
        h.label("tax_summary")
        h.write("</h2>\n<table class=\"tax-summary\">\n<tbody>\n")
        for entry in invoice.taxSummary {
            h.write("<tr><td>")
            h.text(entry.label)
            h.write("</td><td class=\"amount\">")
            h.percent(entry.rate)
            h.write("</td>")
            h.amountCell(entry.net)
            h.amountCell(entry.tax)
            h.write("</tr>\n")
        }
        let totals = invoice.totals
        h.write("</tbody>\n</table>\n<table class=\"totals\">\n<tbody>\n")
        h.totalRow("net", "net", totals.net)
        h.totalRow("tax", "tax", totals.tax)
        h.totalRow("gross", "gross", totals.gross)
        if totals.tip != 0 { h.totalRow("tip", "tip", totals.tip) }
        h.totalRow("payable", "payable", totals.payable)
        h.write("</tbody>\n</table>\n")
        if !invoice.legalNotes.isEmpty {
            h.write("<ul class=\"legal-notes\">\n")
            for note in invoice.legalNotes {
                h.write("<li>")
                h.text(note)
                h.write("</li>\n")
            }
            h.write("</ul>\n")
        }
        h.write("</body>\n</html>\n")
        return h.h.finish()
    }
}
