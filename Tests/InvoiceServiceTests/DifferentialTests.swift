import Foundation
import InvoiceService
import PythonBridge
import ShadowCore
import TestSupport
import Testing

/// The port against the embedded legacy, byte for byte, on the committed corpus and on events
/// broken one field at a time.
@Suite struct DifferentialTests {
    let port = SwiftInvoiceService()

    private func compare(_ event: [UInt8], legacy: LegacyInvoiceService) async -> String? {
        let run = await legacy.render(event: event, timeout: .seconds(30))
        let swift: Result<RenderedInvoice, SwiftInvoiceError> = Result { () throws(SwiftInvoiceError) in
            try port.render(event: event)
        }
        switch (run.result, swift) {
        case (.success(let left), .success(let right)):
            if left.invoiceJSON != right.invoiceJSON {
                return "invoice JSON differs:\n\(left.invoiceJSON)\n\(right.invoiceJSON)"
            }
            if left.html != right.html { return "HTML differs" }
            return nil
        case (.failure(.invalidInput(let field, let reason)), .failure(let error)):
            if error.field != field {
                return "legacy rejects \(field) (\(reason)), swift \(error.field ?? "-") (\(error.message))"
            }
            return nil
        default:
            return "legacy \(run.result) / swift \(swift)"
        }
    }

    @Test func theCorpusRendersByteForByteAlike() async throws {
        let legacy = try await TestSupport.legacy()
        let lines = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Tests/Corpus/events.jsonl"), encoding: .utf8
        ).split(separator: "\n")
        var failures: [String] = []
        for line in lines {
            if let failure = await compare(Array(line.utf8), legacy: legacy) { failures.append(failure) }
        }
        #expect(lines.count == 3000)
        #expect(failures.isEmpty, "\(failures.count) differences; first: \(failures.first ?? "")")
    }

    /// Each mutation breaks the sample event one way; both sides must name the same field.
    static var mutations: [(String, (inout [String: Any]) -> Void)] {
        var list: [(String, (inout [String: Any]) -> Void)] = []
        for key in [
            "schema_version", "event_id", "event_type", "occurred_at", "country", "city", "time_zone", "locale",
            "business_line", "currency", "invoice_seq", "customer", "provider", "order", "charges",
        ] {
            list.append(("missing \(key)", { $0.removeValue(forKey: key) }))
            list.append(("\(key) null", { $0[key] = NSNull() }))
            list.append(("\(key) true", { $0[key] = true }))
            list.append(("\(key) 1.5", { $0[key] = 1.5 }))
            list.append(("\(key) list", { $0[key] = [1] }))
            list.append(("\(key) empty", { $0[key] = "" }))
            list.append(("\(key) long", { $0[key] = String(repeating: "x", count: 301) }))
        }
        let values: [(String, Any)] = [
            ("schema_version", 2), ("schema_version", "1"), ("event_id", "nope"), ("event_type", "x"),
            ("occurred_at", "2026-02-30T00:00:00Z"), ("occurred_at", "1999-01-01T00:00:00Z"),
            ("occurred_at", "2026-01-01T00:00:00.123456789Z"), ("occurred_at", "2026-01-01T00:00:00.1234567890Z"),
            ("occurred_at", "2026-01-01T24:00:00Z"), ("country", "XX"), ("time_zone", "Europe/Paris"),
            ("locale", "fr_FR"), ("locale", "en_DE"), ("business_line", "rides"), ("currency", "CHF"),
            ("invoice_seq", 0), ("invoice_seq", -1), ("invoice_seq", 9_223_372_036_854_775_807),
            ("surprise", 1), ("trip", ["distance_km": "1"]), ("refund", ["reason": "x"]),
        ]
        for (key, value) in values { list.append(("\(key)=\(value)", { $0[key] = value })) }
        func nested(_ name: String, _ change: @escaping (inout [String: Any]) -> Void) {
            list.append((name, change))
        }
        nested("customer.email no at") { event in
            var customer = event["customer"] as! [String: Any]
            customer["email"] = "no-at"
            event["customer"] = customer
        }
        nested("customer unknown") { event in
            var customer = event["customer"] as! [String: Any]
            customer["nick"] = "x"
            customer["aaa"] = "y"
            event["customer"] = customer
        }
        for (field, value) in [
            ("unit_price", "9.505"), ("unit_price", "-1.00"), ("unit_price", "1e2"), ("unit_price", "01.00"),
            ("unit_price", "1234567890.00"), ("quantity", 0), ("quantity", 10000), ("category", "tobacco"),
            ("name", ""), ("unit_price", 9.5),
        ] as [(String, Any)] {
            nested("item \(field)=\(value)") { event in
                var order = event["order"] as! [String: Any]
                var items = order["items"] as! [[String: Any]]
                items[1][field] = value
                order["items"] = items
                event["order"] = order
            }
        }
        for (kind, amount) in [
            ("promotion", "1.00"), ("promotion", "-500.00"), ("tip", "-1.00"), ("base_fare", "1.00"),
            ("delivery_fee", "1.999"),
        ] {
            nested("charge \(kind) \(amount)") { event in
                var charges = event["charges"] as! [[String: Any]]
                charges.append(["kind": kind, "amount": amount])
                event["charges"] = charges
            }
        }
        return list
    }

    @Test func brokenEventsAreRejectedNamingTheSameField() async throws {
        let legacy = try await TestSupport.legacy()
        var failures: [String] = []
        for (name, mutation) in Self.mutations {
            let event = try TestSupport.sampleEvent(mutation)
            if let failure = await compare(event, legacy: legacy) { failures.append("\(name): \(failure)") }
        }
        var raw: [[UInt8]] = [
            [], Array("   ".utf8), [0xFF, 0x7B], Array("{".utf8), Array("[1]".utf8), Array("null".utf8),
            Array(#"{"schema_version": NaN}"#.utf8), Array(#"{"schema_version": 1, "schema_version": 1}"#.utf8),
            Array(("{\"a\":" + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "}").utf8),
            Array(#"{"schema_version": 1e0}"#.utf8), Array(#"{"schema_version": -0}"#.utf8),
            Array(#"{"schema_version": 1} x"#.utf8), Array(#"{"customer": "\ud800"}"#.utf8),
            [0xEF, 0xBB, 0xBF] + Array("{}".utf8), Array(#"{"schema_version": 1,}"#.utf8),
        ]
        // Duplicate keys in a small object and in one of more than 24 members (checked two ways),
        // and keys that only their lone surrogates tell apart (from U+FFFD, from each other: no
        // duplicate, an unknown field, the first in code point order), inside the sample.
        let sample = try TestSupport.sampleEvent { _ in }
        func withMembers(_ members: String) -> [UInt8] { Array("{\(members),".utf8) + sample.dropFirst() }
        let many = (0..<30).map { "\"k\($0)\": \($0)" }.joined(separator: ", ")
        var keyed: [[UInt8]] = [
            withMembers(#""country": "DE""#), withMembers(many + #", "k3": 0"#), withMembers(many),
            withMembers(#""\ud800": 1, "\ufffd": 2"#), withMembers(#""\ud800": 1, "\ud800": 2"#),
            withMembers(#""\udc00": 1, "\ud800": 2"#), withMembers(#""x\udc00y": 1, "x\ud800y": 2"#),
            withMembers(many + #", "\ud800": 1, "\ufffd": 2"#), withMembers(many + #", "\udc00": 1, "\udc00": 2"#),
            // Canonically equivalent but other code points: two keys to Python (which compares code
            // points), one to Swift's String ==; precomposed and decomposed, in a small object and a large one.
            withMembers(#""caf\u00e9": 1, "cafe\u0301": 2"#), withMembers(many + #", "caf\u00e9": 1, "cafe\u0301": 2"#),
            // KELVIN SIGN is canonically "K": "SE\u{212A}" == "SEK" in Swift, an unknown currency to Python.
        ]
        // KELVIN SIGN is canonically "K": "SE\u{212A}" == "SEK" for Swift's String, a currency that
        // does not match SE for Python. In the corpus's first valid SE event (SEK appears only as its currency).
        let corpus = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Tests/Corpus/events.jsonl"), encoding: .utf8)
        let swedish = try #require(
            corpus.split(separator: "\n").first { line in
                line.contains(#""currency":"SEK""#) && (try? port.render(event: Array(line.utf8))) != nil
            })
        keyed.append(Array(swedish.replacingOccurrences(of: #""SEK""#, with: #""SE\u212a""#).utf8))
        // The same, as raw UTF-8 rather than an escape (the parser's fast path, which marks ASCII strings).
        keyed.append(Array(swedish.replacingOccurrences(of: #""SEK""#, with: "\"SE\u{212A}\"").utf8))
        // And in a time zone (Asia/Kolkata); and two Indian states that only canonical
        // equivalence makes one ("\u212aA" and "KA": not intra-state for Python, so IGST, not CGST + SGST).
        let indian = try #require(corpus.split(separator: "\n").first { $0.contains(#""time_zone":"Asia/Kolkata""#) })
        keyed.append(Array(indian.replacingOccurrences(of: "Asia/Kolkata", with: #"Asia/\u212aolkata"#).utf8))
        let states = indian.replacingOccurrences(
            of: #""state":"[A-Z]{2}"\},"provider""#, with: #""state":"\\u212aA"},"provider""#,
            options: .regularExpression
        ).replacingOccurrences(
            of: #""state":"[A-Z]{2}"\},"trip""#, with: #""state":"KA"},"trip""#, options: .regularExpression)
        #expect(states.contains("u212aA") && states.contains(#""KA""#))
        raw.append(Array(states.utf8))
        // These the legacy rejects (a duplicate key, or else an unknown field): the same reason, word for word.
        for event in keyed {
            let run = await legacy.render(event: event, timeout: .seconds(30))
            let swift = Result { () throws(SwiftInvoiceError) in try port.render(event: event) }
            guard case .failure(.invalidInput(let field, let reason)) = run.result,
                case .failure(let error) = swift, error.field == field, error.message == reason
            else {
                failures.append(
                    "\(String(decoding: event.prefix(60), as: UTF8.self)): legacy \(run.result) / swift \(swift)")
                continue
            }
        }
        for event in raw {
            if let failure = await compare(event, legacy: legacy) {
                failures.append("\(String(decoding: event.prefix(40), as: UTF8.self)): \(failure)")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
