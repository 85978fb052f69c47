/// An ``Invoice`` → canonical JSON and the HTML document, as the legacy's `presenter.py` and its
/// Jinja2 template (`trim_blocks`, `lstrip_blocks`, autoescape) produce them.
enum InvoicePresenter {
    // MARK: - JSON

    static func json(_ invoice: Invoice) -> String {
        var out = ""
        out.reserveCapacity(2048)
        func money(_ units: Int128) -> String { "\"" + DecimalAmount(units: units, scale: invoice.digits).text + "\"" }
        func string(_ value: String?) -> String { value.map(jsonString) ?? "null" }
        out += "{\"buyer\":{\"email\":\(string(invoice.buyer.email)),\"name\":\(string(invoice.buyer.name)),"
        out += "\"tax_id\":\(string(invoice.buyer.taxID))},\"currency\":\(string(invoice.currency)),"
        out += "\"document_type\":\(string(invoice.documentType)),\"issue_date\":\"\(isoDate(invoice.issueDate))\","
        out += "\"legal_notes\":[" + invoice.legalNotes.map(jsonString).joined(separator: ",") + "],\"lines\":["
        out += invoice.lines.map { line in
            "{\"description\":\(jsonString(line.description)),\"gross\":\(money(line.gross)),\"net\":\(money(line.net)),"
                + "\"quantity\":\(line.quantity),\"tax\":\(money(line.tax)),\"tax_rate\":\"\(line.taxRate.text)\","
                + "\"unit_price\":\(money(line.unitPrice))}"
        }.joined(separator: ",")
        out += "],\"locale\":\(string(invoice.locale)),\"number\":\(string(invoice.number)),"
        out += "\"seller\":{\"name\":\(string(invoice.seller.name)),\"tax_id\":\(string(invoice.seller.taxID))},"
        out += "\"tax_summary\":["
        out += invoice.taxSummary.map { entry in
            "{\"label\":\(jsonString(entry.label)),\"net\":\(money(entry.net)),\"rate\":\"\(entry.rate.text)\","
                + "\"tax\":\(money(entry.tax))}"
        }.joined(separator: ",")
        let totals = invoice.totals
        out += "],\"totals\":{\"gross\":\(money(totals.gross)),\"net\":\(money(totals.net)),"
        out += "\"payable\":\(money(totals.payable)),\"tax\":\(money(totals.tax)),\"tip\":\(money(totals.tip))}}"
        return out
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
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: - HTML

    /// markupsafe's escape: `&`, `<`, `>`, `"` and `'`.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            return text
        }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func html(_ invoice: Invoice, event: MoneyEvent) -> String {
        let t = Labels.table(forLocale: invoice.locale).mapValues(escape)
        let format = BabelFormat.locales[invoice.locale]!
        func money(_ units: Int128) -> String {
            escape(format.currency(units, digits: invoice.digits, code: invoice.currency))
        }
        func label(_ key: String) -> String { t[key]! }
        let title = label(invoice.documentType)
        let number = escape(invoice.number)
        let lang = escape(String(invoice.locale.prefix { $0 != "_" }))
        var h = ""
        h.reserveCapacity(6000)
        h += "<!DOCTYPE html>\n<html lang=\"\(lang)\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<title>\(title) \(number)</title>\n<style>\n"
        h += "body { font-family: sans-serif; margin: 2em; color: #222; }\n"
        h += "table { border-collapse: collapse; width: 100%; margin: 1em 0; }\n"
        h += "th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; }\n"
        h += "td.amount, th.amount { text-align: right; }\n"
        h += ".parties { display: flex; gap: 4em; }\n</style>\n</head>\n<body>\n<header>\n"
        h += "<h1>\(title)</h1>\n<dl class=\"meta\">\n"
        h += "<dt>\(label("number"))</dt><dd class=\"number\">\(number)</dd>\n"
        h += "<dt>\(label("issue_date"))</dt><dd class=\"issue-date\">\(escape(format.date(invoice.issueDate)))</dd>\n"
        h += "</dl>\n</header>\n<section class=\"parties\">\n<div class=\"seller\">\n"
        h += "<h2>\(label("seller"))</h2>\n<p class=\"name\">\(escape(invoice.seller.name))</p>\n"
        if let taxID = invoice.seller.taxID, !taxID.isEmpty {
            h += "<p class=\"tax-id\">\(label("tax_id")): \(escape(taxID))</p>\n"
        }
        h += "</div>\n<div class=\"buyer\">\n<h2>\(label("buyer"))</h2>\n"
        h += "<p class=\"name\">\(escape(invoice.buyer.name))</p>\n"
        h += "<p class=\"email\">\(label("email")): \(escape(invoice.buyer.email ?? ""))</p>\n"
        if let taxID = invoice.buyer.taxID, !taxID.isEmpty {
            h += "<p class=\"tax-id\">\(label("tax_id")): \(escape(taxID))</p>\n"
        }
        h += "</div>\n</section>\n<section class=\"context\">\n"
        let city = escape(event.city)
        if let trip = event.trip {
            h += "<h2>\(label("trip"))</h2>\n<p>\(escape(trip.pickup)) → \(escape(trip.dropoff)) (\(city))</p>\n"
            h += "<p>\(escape(format.number(trip.distanceKm.text))) km · "
            h += "\(escape(format.number(String(trip.durationMin)))) min</p>\n"
        }
        if let order = event.order {
            h += "<h2>\(label("order"))</h2>\n<p>\(escape(order.restaurant)) (\(city))</p>\n"
        }
        h += "</section>\n<table class=\"lines\">\n<thead>\n"
        h += "<tr><th>\(label("description"))</th><th class=\"amount\">\(label("quantity"))</th>"
        h += "<th class=\"amount\">\(label("unit_price"))</th><th class=\"amount\">\(label("tax_rate"))</th>"
        h += "<th class=\"amount\">\(label("net"))</th><th class=\"amount\">\(label("tax"))</th>"
        h += "<th class=\"amount\">\(label("gross"))</th></tr>\n</thead>\n<tbody>\n"
        for line in invoice.lines {
            h += "<tr><td>\(escape(line.description))</td>"
            h += "<td class=\"amount\">\(escape(format.number(String(line.quantity))))</td>"
            h += "<td class=\"amount\">\(money(line.unitPrice))</td>"
            h += "<td class=\"amount\">\(escape(format.percent(line.taxRate)))</td>"
            h += "<td class=\"amount\">\(money(line.net))</td><td class=\"amount\">\(money(line.tax))</td>"
            h += "<td class=\"amount\">\(money(line.gross))</td></tr>\n"
        }
        h += "</tbody>\n</table>\n<h2>\(label("tax_summary"))</h2>\n<table class=\"tax-summary\">\n<tbody>\n"
        for entry in invoice.taxSummary {
            h += "<tr><td>\(escape(entry.label))</td><td class=\"amount\">\(escape(format.percent(entry.rate)))</td>"
            h += "<td class=\"amount\">\(money(entry.net))</td><td class=\"amount\">\(money(entry.tax))</td></tr>\n"
        }
        let totals = invoice.totals
        h += "</tbody>\n</table>\n<table class=\"totals\">\n<tbody>\n"
        h += "<tr class=\"net\"><th>\(label("net"))</th><td class=\"amount\">\(money(totals.net))</td></tr>\n"
        h += "<tr class=\"tax\"><th>\(label("tax"))</th><td class=\"amount\">\(money(totals.tax))</td></tr>\n"
        h += "<tr class=\"gross\"><th>\(label("gross"))</th><td class=\"amount\">\(money(totals.gross))</td></tr>\n"
        if totals.tip != 0 {
            h += "<tr class=\"tip\"><th>\(label("tip"))</th><td class=\"amount\">\(money(totals.tip))</td></tr>\n"
        }
        h +=
            "<tr class=\"payable\"><th>\(label("payable"))</th><td class=\"amount\">\(money(totals.payable))</td></tr>\n"
        h += "</tbody>\n</table>\n"
        if !invoice.legalNotes.isEmpty {
            h += "<ul class=\"legal-notes\">\n"
            for note in invoice.legalNotes { h += "<li>\(escape(note))</li>\n" }
            h += "</ul>\n"
        }
        h += "</body>\n</html>\n"
        return h
    }
}
