import Foundation
import ShadowCore
import TestSupport
import Testing

@testable import InvoiceService

@Suite struct BabelFormatTests {
    // The examples INVOICING.md gives, seen with Debian's python3-babel.
    @Test(arguments: [
        ("de_DE", "EUR", Int128(12_345_678), 2, "123.456,78\u{A0}€"),
        ("fr_FR", "EUR", 12_345_678, 2, "123\u{202F}456,78\u{A0}€"),
        ("de_CH", "CHF", 12_345_678, 2, "CHF\u{A0}123’456.78"),
        ("ja_JP", "JPY", 123_457, 0, "￥123,457"),
        ("en_IN", "INR", 12_345_678, 2, "₹1,23,456.78"),
        ("nl_NL", "EUR", -1_250, 2, "€\u{A0}-12,50"),
        ("de_CH", "CHF", -1_250, 2, "CHF-12.50"),
        ("en_US", "USD", -1_250, 2, "-$12.50"),
        ("sv_SE", "SEK", -1_250, 2, "-12,50\u{A0}kr"),
        ("en_IN", "INR", 1_234_567_890_12, 2, "₹1,23,45,67,890.12"),
    ])
    func currency(locale: String, code: String, units: Int128, digits: Int, expected: String) {
        #expect(BabelFormat.locales[locale]!.currency(units, digits: digits, code: code) == expected)
    }

    @Test func percentagesKeepEverySignificantDecimal() {
        #expect(BabelFormat.locales["de_DE"]!.percent(Rate("5.5")) == "5,5\u{A0}%")
        #expect(BabelFormat.locales["en_US"]!.percent(Rate("8.875")) == "8.875%")
        #expect(BabelFormat.locales["nl_NL"]!.percent(Rate("21")) == "21%")
        #expect(BabelFormat.locales["en_IN"]!.percent(Rate("5").half) == "2.5%")
        #expect(BabelFormat.locales["fr_FR"]!.percent(Rate("0")) == "0\u{A0}%")
    }

    @Test func mediumDatesPerLocale() {
        let date = MoneyEvent.LocalDate(year: 2026, month: 9, day: 2)
        #expect(BabelFormat.locales["en_US"]!.date(date) == "Sep 2, 2026")
        #expect(BabelFormat.locales["en_GB"]!.date(date) == "2 Sept 2026")
        #expect(BabelFormat.locales["de_DE"]!.date(date) == "02.09.2026")
        #expect(BabelFormat.locales["fr_FR"]!.date(date) == "2 sept. 2026")
        #expect(BabelFormat.locales["ja_JP"]!.date(date) == "2026/09/02")
        #expect(BabelFormat.locales["en_IN"]!.date(date) == "02-Sept-2026")
        #expect(BabelFormat.locales["sv_SE"]!.date(date) == "2 sep. 2026")
    }

    @Test func numbersAreGroupedAndTrimmed() {
        #expect(BabelFormat.locales["de_CH"]!.number("9999") == "9’999")
        #expect(BabelFormat.locales["fr_FR"]!.number("12.400") == "12,4")
        #expect(BabelFormat.locales["en_US"]!.number("50") == "50")
    }
}

@Suite struct ArithmeticTests {
    @Test func roundingModes() {
        #expect(RoundingMode.halfUp.round(125, 1000 / 100) == 13)  // 12.5 → 13
        #expect(RoundingMode.halfUp.round(-125, 10) == -13)  // symmetric: credit notes mirror invoices
        #expect(RoundingMode.halfEven.round(125, 10) == 12)
        #expect(RoundingMode.halfEven.round(135, 10) == 14)
        #expect(RoundingMode.down.round(18899, 100) == 188)
        #expect(RoundingMode.down.round(-18899, 100) == -188)
    }

    @Test func ratesPrintAsTheLegacyNormalizesThem() {
        #expect(Rate("19").text == "19")
        #expect(Rate("5.5").text == "5.5")
        #expect(Rate("8.875").text == "8.875")
        #expect(Rate("5").half.text == "2.5")
        #expect(Rate("0").text == "0")
        #expect(Rate("7.7") > Rate("2.5"))
    }

    @Test func decimalsAddAtTheWiderScale() {
        let sum = DecimalAmount(text: "10.5")! + DecimalAmount(text: "2.99")! + .zero
        #expect(sum.text == "13.49")
        #expect((DecimalAmount(text: "9.50")! * 2).text == "19.00")
        #expect(DecimalAmount(text: "-0.05")!.text == "-0.05")
    }

    @Test func localDatesFollowTheZone() {
        // 2020-06-30T22:00:00Z is 1 July in Berlin (CEST), still 30 June in London
        let instant = CivilCalendar.secondsSinceEpoch(year: 2020, month: 6, day: 30) + 22 * 3600
        #expect(
            CivilCalendar.localDate(secondsSinceEpoch: instant, zone: "Europe/Berlin")
                == .init(year: 2020, month: 7, day: 1))
        #expect(
            CivilCalendar.localDate(secondsSinceEpoch: instant, zone: "Europe/London")
                == .init(year: 2020, month: 6, day: 30))
        #expect(
            CivilCalendar.localDate(secondsSinceEpoch: 0, zone: "America/Los_Angeles")
                == .init(year: 1969, month: 12, day: 31))
    }
}

@Suite struct SwiftInvoiceServiceTests {
    let service = SwiftInvoiceService()

    private func invoice(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> [String: Any] {
        try TestSupport.object(try service.render(event: try TestSupport.sampleEvent(change)).invoiceJSON)
    }

    @Test func theSampleIsTaxedPerRateOnTotals() throws {
        // 7 %: 27.39 × 7/107 = 1.79; 19 %: 4.49 × 19/119 = 0.72; lines 1.24, 0.39, 0.16 and 0.48, 0.24
        let result = try invoice()
        #expect(
            result["totals"] as? [String: String] == [
                "net": "29.37", "tax": "2.51", "gross": "31.88", "tip": "3.00", "payable": "34.88",
            ])
        let taxes = (result["lines"] as? [[String: Any]])?.map { $0["tax"] as? String }
        #expect(taxes == ["1.24", "0.39", "0.16", "0.48", "0.24"])
        #expect(result["document_type"] as? String == "simplified_invoice")
    }

    @Test(arguments: [("2020-06-30T21:59:59Z", "7"), ("2020-06-30T22:00:00Z", "5"), ("2020-12-31T23:00:00Z", "7")])
    func deTemporaryCutByLocalDate(occurredAt: String, foodRate: String) throws {
        let result = try invoice { $0["occurred_at"] = occurredAt }
        #expect((result["lines"] as? [[String: Any]])?.first?["tax_rate"] as? String == foodRate)
    }

    @Test func placeholdersAreReplacedAsPythonsFormatDoes() {
        #expect("Gutschrift zu {number}.".replacingPlaceholder("number", with: "DE-1") == "Gutschrift zu DE-1.")
        #expect("{n}{n} é{ {n}".replacingPlaceholder("n", with: "ü") == "üü é{ ü")
        #expect("{number} {other}".replacingPlaceholder("number", with: "{number}") == "{number} {other}")
        #expect("no token {numb".replacingPlaceholder("number", with: "x") == "no token {numb")
        #expect("".replacingPlaceholder("number", with: "x") == "")
    }

    @Test func theNumberHandedOverIsTheJSONsForEveryRecordedEvent() throws {
        // Credit notes (CN- numbers) included: serve keys the output topic and the object store by it.
        let corpus = try TestSupport.bytes("Tests/Corpus/events.jsonl").split(separator: UInt8(ascii: "\n"))
        var rendered = 0
        for line in corpus {
            guard let invoice = try? service.render(event: Array(line)) else { continue }
            let number = try TestSupport.object(invoice.invoiceJSON)["number"] as? String
            #expect(invoice.number != nil && invoice.number == number)
            rendered += 1
        }
        #expect(rendered > corpus.count / 2)
    }

    @Test func invalidEventsNameTheField() throws {
        #expect(
            throws: SwiftInvoiceError(
                code: .invalidEvent, message: "unsupported version 2 (this service reads 1)", field: "schema_version")
        ) {
            try service.render(event: try TestSupport.sampleEvent { $0["schema_version"] = 2 })
        }
        do {
            _ = try service.render(event: [0xFF])
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.field == "event")
            #expect(error.message == "not valid UTF-8 (byte 0xff at offset 0)")
        }
    }

    @Test func scriptInANameIsEscapedInTheHTML() throws {
        let rendered = try service.render(
            event: try TestSupport.sampleEvent { event in
                var customer = event["customer"] as! [String: Any]
                customer["name"] = "<script>alert(1)</script>"
                event["customer"] = customer
            })
        #expect(rendered.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!rendered.html.contains("<script>"))
    }
}
