/// An ``Invoice`` → canonical JSON and the HTML document, as the legacy's `presenter.py` and its
/// Jinja2 template (`trim_blocks`, `lstrip_blocks`, autoescape) produce them.
enum InvoicePresenter {
    // MARK: - JSON

    static func json(_ invoice: Invoice) -> String {
        var w = ByteWriter(capacity: 2048)
        func money(_ units: Int128) {
            w.write("\"")
            w.write(minor: units, digits: invoice.digits)
            w.write("\"")
        }
        func string(_ value: String?) {
            if let value { w.writeJSONString(value) } else { w.write("null") }
        }
        w.write("{\"buyer\":{\"email\":")
        string(invoice.buyer.email)
        w.write(",\"name\":")
        string(invoice.buyer.name)
        w.write(",\"tax_id\":")
        string(invoice.buyer.taxID)
        w.write("},\"currency\":")
        string(invoice.currency)
        w.write(",\"document_type\":")
        string(invoice.documentType)
        w.write(",\"issue_date\":\"")
        w.write(isoDate(invoice.issueDate))
        w.write("\",\"legal_notes\":[")
        for (index, note) in invoice.legalNotes.enumerated() {
            if index > 0 { w.write(",") }
            w.writeJSONString(note)
        }
        w.write("],\"lines\":[")
        for (index, line) in invoice.lines.enumerated() {
            if index > 0 { w.write(",") }
            w.write("{\"description\":")
            w.writeJSONString(line.description)
            w.write(",\"gross\":")
            money(line.gross)
            w.write(",\"net\":")
            money(line.net)
            w.write(",\"quantity\":")
            w.write(integer: Int128(line.quantity))
            w.write(",\"tax\":")
            money(line.tax)
            w.write(",\"tax_rate\":\"")
            w.write(line.taxRate.text)
            w.write("\",\"unit_price\":")
            money(line.unitPrice)
            w.write("}")
        }
        w.write("],\"locale\":")
        string(invoice.locale)
        w.write(",\"number\":")
        string(invoice.number)
        w.write(",\"seller\":{\"name\":")
        string(invoice.seller.name)
        w.write(",\"tax_id\":")
        string(invoice.seller.taxID)
        w.write("},\"tax_summary\":[")
        for (index, entry) in invoice.taxSummary.enumerated() {
            if index > 0 { w.write(",") }
            w.write("{\"label\":")
            w.writeJSONString(entry.label)
            w.write(",\"net\":")
            money(entry.net)
            w.write(",\"rate\":\"")
            w.write(entry.rate.text)
            w.write("\",\"tax\":")
            money(entry.tax)
            w.write("}")
        }
        let totals = invoice.totals
        w.write("],\"totals\":{\"gross\":")
        money(totals.gross)
        w.write(",\"net\":")
        money(totals.net)
        w.write(",\"payable\":")
        money(totals.payable)
        w.write(",\"tax\":")
        money(totals.tax)
        w.write(",\"tip\":")
        money(totals.tip)
        w.write("}}")
        return w.string
    }

    static func isoDate(_ date: MoneyEvent.LocalDate) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))"
    }

    /// `json.dumps(value, ensure_ascii=False)`.
    static func jsonString(_ value: String) -> String {
        var writer = ByteWriter(capacity: value.utf8.count + 2)
        writer.writeJSONString(value)
        return writer.string
    }

    // MARK: - HTML

    /// markupsafe's escape: `&`, `<`, `>`, `"` and `'`.
    static func escape(_ text: String) -> String {
        var writer = ByteWriter(capacity: text.utf8.count + 8)
        writer.writeEscaped(text)
        return writer.string
    }

    static func html(_ invoice: Invoice, event: MoneyEvent) -> String {
        let t = Labels.escapedTable(forLocale: invoice.locale)
        let format = BabelFormat.locales[invoice.locale]!
        var h = ByteWriter(capacity: 8192)
        func label(_ key: String) { h.write(t[key]!) }
        func text(_ value: String) { h.writeEscaped(value) }
        func money(_ units: Int128) {
            format.writeCurrency(units, digits: invoice.digits, code: invoice.currency, into: &h)
        }
        func amountCell(_ units: Int128) {
            h.write("<td class=\"amount\">")
            money(units)
            h.write("</td>")
        }
        h.write("<!DOCTYPE html>\n<html lang=\"")
        text(String(invoice.locale.prefix { $0 != "_" }))
        h.write("\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        label(invoice.documentType)
        h.write(" ")
        text(invoice.number)
        h.write("</title>\n<style>\n")
        h.write("body { font-family: sans-serif; margin: 2em; color: #222; }\n")
        h.write("table { border-collapse: collapse; width: 100%; margin: 1em 0; }\n")
        h.write("th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; }\n")
        h.write("td.amount, th.amount { text-align: right; }\n")
        h.write(".parties { display: flex; gap: 4em; }\n</style>\n</head>\n<body>\n<header>\n<h1>")
        label(invoice.documentType)
        h.write("</h1>\n<dl class=\"meta\">\n<dt>")
        label("number")
        h.write("</dt><dd class=\"number\">")
        text(invoice.number)
        h.write("</dd>\n<dt>")
        label("issue_date")
        h.write("</dt><dd class=\"issue-date\">")
        text(format.date(invoice.issueDate))
        h.write("</dd>\n</dl>\n</header>\n<section class=\"parties\">\n<div class=\"seller\">\n<h2>")
        label("seller")
        h.write("</h2>\n<p class=\"name\">")
        text(invoice.seller.name)
        h.write("</p>\n")
        if let taxID = invoice.seller.taxID, !taxID.isEmpty {
            h.write("<p class=\"tax-id\">")
            label("tax_id")
            h.write(": ")
            text(taxID)
            h.write("</p>\n")
        }
        h.write("</div>\n<div class=\"buyer\">\n<h2>")
        label("buyer")
        h.write("</h2>\n<p class=\"name\">")
        text(invoice.buyer.name)
        h.write("</p>\n<p class=\"email\">")
        label("email")
        h.write(": ")
        text(invoice.buyer.email ?? "")
        h.write("</p>\n")
        if let taxID = invoice.buyer.taxID, !taxID.isEmpty {
            h.write("<p class=\"tax-id\">")
            label("tax_id")
            h.write(": ")
            text(taxID)
            h.write("</p>\n")
        }
        h.write("</div>\n</section>\n<section class=\"context\">\n")
        if let trip = event.trip {
            h.write("<h2>")
            label("trip")
            h.write("</h2>\n<p>")
            text(trip.pickup)
            h.write(" → ")
            text(trip.dropoff)
            h.write(" (")
            text(event.city)
            h.write(")</p>\n<p>")
            text(format.number(trip.distanceKm.text))
            h.write(" km · ")
            text(format.number(String(trip.durationMin)))
            h.write(" min</p>\n")
        }
        if let order = event.order {
            h.write("<h2>")
            label("order")
            h.write("</h2>\n<p>")
            text(order.restaurant)
            h.write(" (")
            text(event.city)
            h.write(")</p>\n")
        }
        h.write("</section>\n<table class=\"lines\">\n<thead>\n<tr><th>")
        label("description")
        h.write("</th><th class=\"amount\">")
        label("quantity")
        h.write("</th><th class=\"amount\">")
        label("unit_price")
        h.write("</th><th class=\"amount\">")
        label("tax_rate")
        h.write("</th><th class=\"amount\">")
        label("net")
        h.write("</th><th class=\"amount\">")
        label("tax")
        h.write("</th><th class=\"amount\">")
        label("gross")
        h.write("</th></tr>\n</thead>\n<tbody>\n")
        for line in invoice.lines {
            h.write("<tr><td>")
            text(line.description)
            h.write("</td><td class=\"amount\">")
            text(format.number(String(line.quantity)))
            h.write("</td>")
            amountCell(line.unitPrice)
            h.write("<td class=\"amount\">")
            text(format.percent(line.taxRate))
            h.write("</td>")
            amountCell(line.net)
            amountCell(line.tax)
            amountCell(line.gross)
            h.write("</tr>\n")
        }
        h.write("</tbody>\n</table>\n<h2>")
        label("tax_summary")
        h.write("</h2>\n<table class=\"tax-summary\">\n<tbody>\n")
        for entry in invoice.taxSummary {
            h.write("<tr><td>")
            text(entry.label)
            h.write("</td><td class=\"amount\">")
            text(format.percent(entry.rate))
            h.write("</td>")
            amountCell(entry.net)
            amountCell(entry.tax)
            h.write("</tr>\n")
        }
        let totals = invoice.totals
        h.write("</tbody>\n</table>\n<table class=\"totals\">\n<tbody>\n")
        func totalRow(_ cssClass: StaticString, _ key: String, _ units: Int128) {
            h.write("<tr class=\"")
            h.write(cssClass)
            h.write("\"><th>")
            label(key)
            h.write("</th>")
            amountCell(units)
            h.write("</tr>\n")
        }
        totalRow("net", "net", totals.net)
        totalRow("tax", "tax", totals.tax)
        totalRow("gross", "gross", totals.gross)
        if totals.tip != 0 { totalRow("tip", "tip", totals.tip) }
        totalRow("payable", "payable", totals.payable)
        h.write("</tbody>\n</table>\n")
        if !invoice.legalNotes.isEmpty {
            h.write("<ul class=\"legal-notes\">\n")
            for note in invoice.legalNotes {
                h.write("<li>")
                text(note)
                h.write("</li>\n")
            }
            h.write("</ul>\n")
        }
        h.write("</body>\n</html>\n")
        return h.string
    }
}
