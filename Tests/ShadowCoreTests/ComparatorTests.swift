import ShadowCore
import Testing

private func rendered(_ json: String, html: String = "<p>x</p>") -> SideResult {
    SideResult(outcome: .rendered(RenderedInvoice(invoiceJSON: json, html: html)), latency: .microseconds(500))
}

private func side(_ outcome: RenderOutcome) -> SideResult {
    SideResult(outcome: outcome, latency: .microseconds(100))
}

private let facts = EventFacts(eventID: "e1", country: "DE", businessLine: "eats", eventType: "order_delivered")

@Suite struct CanonicalFormTests {
    @Test(arguments: [
        ("1.50", "1.5"), ("1.5e0", "1.5"), ("15E-1", "1.5"), ("-0", "0"), ("-0.0", "0"), ("100", "100"),
        ("1e2", "100"), ("0.001", "0.001"), ("-12.340", "-12.34"), ("1E+3", "1000"),
    ])
    func numbersHaveOneForm(input: String, canonical: String) {
        #expect(JSONValue.canonicalNumber(input) == canonical)
    }

    @Test func keyOrderAndSpacingDoNotMatter() throws {
        let a = try JSONValue.parse(#"{"b": [1, 2.0], "a": {"y": "é", "x": null}}"#)
        let b = try JSONValue.parse(#"{"a":{"x":null,"y":"\u00e9"},"b":[1,2]}"#)
        #expect(a == b)
        #expect(a.canonicalText == #"{"a":{"x":null,"y":"é"},"b":[1,2]}"#)
    }

    @Test func parseErrorsSayWhere() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a": }"#) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a": 1} trailing"#) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""\ud800""#) }
    }

    @Test func theByteCanonicalFormIsTheScalarOneOnRandomDocuments() {
        // The rule as first written, scalar by scalar: the byte version must agree everywhere.
        func reference(_ html: String) -> String {
            var output = String.UnicodeScalarView()
            var pendingSpace = false
            for scalar in html.unicodeScalars {
                if [" ", "\n", "\t", "\r", "\u{0C}"].contains(scalar) {
                    pendingSpace = true
                    continue
                }
                if scalar == "<" {
                    if !output.isEmpty { output.append("\n") }
                } else if pendingSpace, let last = output.last, last != ">", last != "\n" {
                    output.append(" ")
                }
                pendingSpace = false
                output.append(scalar)
            }
            return String(output)
        }
        let pieces = [
            "<p>", "</td>", "<", ">", " ", "  ", "\n", "\t", "\r\n", "\u{0C}", "a", "Total:", "\u{A0}", "€",
            "\u{202F}", "山田", "𝄞", "é", "e\u{301}", "&amp;", "\u{2028}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let document = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }.joined()
            #expect(HTMLCanonicalizer.canonical(document) == reference(document), "\(Array(document.utf8))")
            #expect(Array(HTMLCanonicalizer.canonical(document).utf8) == Array(reference(document).utf8))
        }
        // Rendered invoices are equal by their bytes, not by Unicode equivalence (which String's == is).
        #expect(RenderedInvoice(invoiceJSON: "{}", html: "é") == RenderedInvoice(invoiceJSON: "{}", html: "é"))
        #expect(RenderedInvoice(invoiceJSON: "{}", html: "é") != RenderedInvoice(invoiceJSON: "{}", html: "e\u{301}"))
    }

    @Test func htmlWhitespaceIsLayoutButNoBreakSpaceIsContent() {
        let a = HTMLCanonicalizer.canonical("<p>\n  Total:   12,50\u{A0}€ </p>\n<p>x</p>")
        let b = HTMLCanonicalizer.canonical("<p>Total: 12,50\u{A0}€</p><p>x</p>")
        #expect(a == b)
        let c = HTMLCanonicalizer.canonical("<p>Total: 12,50 €</p><p>x</p>")
        #expect(a != c)
    }

    @Test func htmlLineDiffShowsTheChangedElement() {
        let legacy = HTMLCanonicalizer.canonical("<tr><td>1,24 €</td></tr><tr><td>x</td></tr>")
        let swift = HTMLCanonicalizer.canonical("<tr><td>1,25 €</td></tr><tr><td>x</td></tr>")
        let diff = HTMLCanonicalizer.lineDiff(legacy, swift)
        #expect(diff.contains("- <td>1,24 €"))
        #expect(diff.contains("+ <td>1,25 €"))
        #expect(!diff.contains("- <td>x"))
    }
}

@Suite struct OutcomeComparatorTests {
    let comparator = OutcomeComparator()

    @Test func equalInvoicesInAnotherLayoutMatch() {
        let result = comparator.compare(
            facts: facts, legacy: rendered(#"{"a":"1.50","b":[1]}"#, html: "<p> x </p>"),
            swift: rendered(#"{ "b": [1.0], "a": "1.50" }"#, html: "<p>x</p>\n"))
        #expect(result.kind == .match)
        #expect(result.kind.isParity)
        #expect(result.differences.isEmpty)
    }

    @Test func aWrongTaxIsReportedAtItsPathWithBothValues() {
        let result = comparator.compare(
            facts: facts,
            legacy: rendered(#"{"lines":[{"tax":"1.24"},{"tax":"0.39"}],"totals":{"tax":"1.63"}}"#),
            swift: rendered(#"{"lines":[{"tax":"1.24"},{"tax":"0.40"}],"totals":{"tax":"1.63"}}"#))
        #expect(result.kind == .mismatch)
        #expect(result.differences == [JSONDifference(path: "/lines/1/tax", legacy: #""0.39""#, swift: #""0.40""#)])
        #expect(result.signature.paths == ["/lines/*/tax"])
        #expect(result.signature.text == "DE|eats|mismatch|/lines/*/tax")
    }

    @Test func oneBugOnDifferentLinesIsOneSignature() {
        let first = comparator.compare(
            facts: facts, legacy: rendered(#"{"lines":[{"tax":"1"},{"tax":"2"}]}"#),
            swift: rendered(#"{"lines":[{"tax":"9"},{"tax":"2"}]}"#))
        let second = comparator.compare(
            facts: EventFacts(eventID: "e2", country: "DE", businessLine: "eats", eventType: "order_delivered"),
            legacy: rendered(#"{"lines":[{"tax":"1"},{"tax":"2"}]}"#),
            swift: rendered(#"{"lines":[{"tax":"1"},{"tax":"9"}]}"#))
        #expect(first.signature == second.signature)
        #expect(first.signature.id == second.signature.id)
        #expect(first.signature.id.count == 16)
    }

    @Test func missingArrayElementsAndKeysAreDifferences() {
        let result = comparator.compare(
            facts: facts, legacy: rendered(#"{"lines":[1,2],"x":1}"#), swift: rendered(#"{"lines":[1],"y":1}"#))
        #expect(
            result.differences == [
                JSONDifference(path: "/lines/1", legacy: "2", swift: nil),
                JSONDifference(path: "/x", legacy: "1", swift: nil),
                JSONDifference(path: "/y", legacy: nil, swift: "1"),
            ])
    }

    @Test func canonicallyEquivalentTextIsStillADifference() {
        // "é" as one code point and as "e" + U+0301: Swift's String == calls them equal; the bytes
        // a customer receives differ, and Python compares code points.
        let result = comparator.compare(
            facts: facts, legacy: rendered(#"{"buyer":{"name":"Caf\u00e9"}}"#, html: "<p>Caf\u{E9}</p>"),
            swift: rendered(#"{"buyer":{"name":"Cafe\u0301"}}"#, html: "<p>Cafe\u{301}</p>"))
        #expect(result.kind == .mismatch)
        #expect(result.differences.map(\.path) == ["/buyer/name"])
        #expect(result.signature.paths == ["/buyer/name", "html"])
        // (contains(_:) would compare with ==, which is the point.)
        #expect(result.htmlDiff.containsText("- <p>Caf\u{E9}") && result.htmlDiff.containsText("+ <p>Cafe\u{301}"))
        #expect(!result.htmlDiff.containsText("+ <p>Caf\u{E9}"))
        let failed = { (message: String) in
            side(.failed(RenderFailure(origin: "swift", type: "ValueError", message: message, detail: "")))
        }
        #expect(
            comparator.compare(facts: facts, legacy: failed("\u{212A}"), swift: failed("K")).kind == .bothErrorDifferent
        )
    }

    @Test func htmlOnlyDifferenceIsAMismatchOnHTML() {
        let result = comparator.compare(
            facts: facts, legacy: rendered("{}", html: "<p>12,50\u{A0}€</p>"),
            swift: rendered("{}", html: "<p>12,50 €</p>"))
        #expect(result.kind == .mismatch)
        #expect(result.signature.paths == ["html"])
        #expect(result.htmlDiff.contains("- <p>12,50\u{A0}€"))
    }

    @Test func ignoreRulesDropDifferencesAndSaySo() {
        let rules = IgnoreRules(rules: [
            .init(path: "/legal_notes/*", reason: "reworded"), .init(pattern: "^/seller/", reason: "seller data"),
        ])
        let result = OutcomeComparator(ignoreRules: rules).compare(
            facts: facts, legacy: rendered(#"{"legal_notes":["a"],"seller":{"name":"A"},"n":1}"#),
            swift: rendered(#"{"legal_notes":["b"],"seller":{"name":"B"},"n":1}"#))
        #expect(result.kind == .match)
        #expect(result.ignored.map(\.path) == ["/legal_notes/0", "/seller/name"])
    }

    @Test func noiseFromTwoLegacyRunsIsNotCounted() {
        let result = comparator.compare(
            facts: facts, legacy: rendered(#"{"stamp":"10:00","tax":"1"}"#),
            swift: rendered(#"{"stamp":"10:05","tax":"1"}"#),
            legacyRepeat: rendered(#"{"stamp":"10:01","tax":"1"}"#))
        #expect(result.kind == .match)
        #expect(result.noisePaths == ["/stamp"])
    }

    @Test(arguments: [
        (
            RenderOutcome.invalidEvent(field: "customer.name", reason: "x"),
            RenderOutcome.invalidEvent(field: "customer.name", reason: "y"), DiscrepancyKind.invalidEvent
        ),
        (
            .invalidEvent(field: "customer.name", reason: "x"), .invalidEvent(field: "currency", reason: "x"),
            .bothErrorDifferent
        ),
        (
            .rendered(RenderedInvoice(invoiceJSON: "{}", html: "")),
            .failed(RenderFailure(origin: "swift", type: "not_implemented", message: "")), .swiftError
        ),
        (.rendered(RenderedInvoice(invoiceJSON: "{}", html: "")), .invalidEvent(field: "x", reason: ""), .swiftError),
        (
            .failed(RenderFailure(origin: "python", type: "KeyError", message: "'x'")),
            .rendered(RenderedInvoice(invoiceJSON: "{}", html: "")), .legacyError
        ),
        (
            .failed(RenderFailure(origin: "python", type: "E", message: "m")),
            .failed(RenderFailure(origin: "swift", type: "E", message: "m")), .bothErrorSame
        ),
        (
            .invalidEvent(field: "x", reason: ""),
            .failed(RenderFailure(origin: "swift", type: "not_implemented", message: "")), .bothErrorDifferent
        ),
        (.timedOut, .rendered(RenderedInvoice(invoiceJSON: "{}", html: "")), .timeout),
    ])
    func failuresAreClassified(legacy: RenderOutcome, swift: RenderOutcome, kind: DiscrepancyKind) {
        #expect(comparator.compare(facts: facts, legacy: side(legacy), swift: side(swift)).kind == kind)
    }

    @Test func aSkippedShadowIsSkipped() {
        let result = comparator.compare(facts: facts, legacy: rendered("{}"), swift: nil)
        #expect(result.kind == .skipped)
        #expect(!result.kind.isParity)
    }

    @Test func factsComeFromAnyBytes() {
        let facts = EventFacts.read(Array(#"{"event_id":"abc","country":"FR","business_line":"rides"}"#.utf8))
        #expect(facts == EventFacts(eventID: "abc", country: "FR", businessLine: "rides", eventType: "??"))
        let garbage = EventFacts.read([0xFF, 0x00, 0x7B])
        #expect(garbage.eventID.hasPrefix("fnv1a:"))
        #expect(garbage.country == "??")
        #expect(EventFacts.read([0xFF, 0x00, 0x7B]).eventID == garbage.eventID)
    }
}

@Suite struct GeneralizationTests {
    @Test(arguments: [
        ("/lines/3/tax", "/lines/*/tax"), ("order.items[12].unit_price", "order.items[*].unit_price"),
        ("charges[0].amount", "charges[*].amount"), ("/totals/tax", "/totals/tax"), ("/a~1b/0", "/a~1b/*"),
        ("weird[x]", "weird[x]"),
    ])
    func indicesBecomeWildcards(path: String, generalized: String) {
        #expect(JSONPointer.generalized(path) == generalized)
    }
}
