import EventGenerator
import Foundation
import InvoiceRenderers
import Redaction
import ShadowCore
import ShadowStore
import TestSupport
import Testing

private let key = try! RedactionKey(bytes: Array(repeating: 7, count: 32))
private let redactor = Redactor(key: key)

/// The JSON object of `bytes`.
private func object(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

@Suite struct TokenTests {
    @Test(arguments: [
        ("Jörg Müller-Lüdenscheidt", Redactor.Kind.name), ("山田 太郎", .name), ("Łukasz O'Brien", .name),
        ("<script>alert(1)</script>", .name), ("Hauptstraße 12, 10115 Berlin", .address),
        ("Не доставлено вовремя", .text),
    ])
    func aTokenKeepsTheShapeOfItsValue(value: String, kind: Redactor.Kind) {
        let token = redactor.token(value, kind: kind)
        #expect(token != value)
        #expect(token.unicodeScalars.count == value.unicodeScalars.count)
        for (original, replaced) in zip(value.unicodeScalars, token.unicodeScalars) {
            // Letters stay letters of their case, digits digits, everything else as it was
            #expect(original.properties.isAlphabetic == replaced.properties.isAlphabetic, "\(original) → \(replaced)")
            #expect(original.properties.isUppercase == replaced.properties.isUppercase)
            #expect(original.properties.numericType == replaced.properties.numericType)
            if !original.properties.isAlphabetic && original.properties.numericType == nil {
                #expect(original == replaced)
            }
        }
        // The same value, the same token; another key, another token
        #expect(redactor.token(value, kind: kind) == token)
        let other = Redactor(key: try! RedactionKey(bytes: Array(repeating: 8, count: 32)))
        #expect(other.token(value, kind: kind) != token)
    }

    @Test func anEmailStaysAnEmailAndATaxIDKeepsItsCountry() {
        let email = redactor.token("anna.schmidt+rides@mail.example.de", kind: .email)
        #expect(email.contains("@") && email.hasSuffix(".de") && email.split(separator: ".").count == 4)
        #expect(!email.contains("anna") && !email.contains("example"))
        let taxID = redactor.token("DE123456789", kind: .taxID)
        #expect(taxID.hasPrefix("DE") && taxID.count == 11 && taxID.dropFirst(2).allSatisfy(\.isNumber))
        #expect(taxID != "DE123456789")
    }
}

@Suite struct EventRedactionTests {
    @Test func onlyThePersonalFieldsChangeAndTheRestIsByteForByte() throws {
        let event = Array(
            #"{"event_id":"e-1", "customer":{"id":"cus_1","name":"Anna Schmidt","email":"anna@example.de","tax_id":null},"provider":{"id":"p","legal_name":"Fahrdienst \u00d6zt\u00fcrk GmbH","tax_id":"DE987654321"},"trip":{"distance_km":"3.20","pickup":"Hauptstr. 1","dropoff":"Markt \"2\""},"charges":[{"kind":"base_fare","amount":NaN}]}"#
                .utf8)
        let redacted = redactor.redact(event: event)
        #expect(redacted.complete)
        let text = String(decoding: redacted.bytes, as: UTF8.self)
        for original in ["Anna Schmidt", "anna@example.de", "Özt", "987654321", "Hauptstr", "Markt"] {
            #expect(!text.contains(original), "\(original) is still in \(text)")
        }
        // Everything else is as it was: the spacing, the id, the null, Python's NaN
        #expect(text.hasPrefix(#"{"event_id":"e-1", "customer":{"id":"cus_1","name":""#))
        #expect(text.contains(#""tax_id":null"#) && text.contains(#""amount":NaN}]}"#))
        #expect(text.contains(#""distance_km":"3.20""#))
        // The escaped quote in the address is a quote in its token too
        let dropoff = try #require(redacted.replacements.first { $0.original == "Markt \"2\"" })
        #expect(dropoff.token.hasSuffix("\"") && dropoff.token.count == 9)
        #expect(redacted.replacements.count == 6)
    }

    @Test func bytesThatAreNotJSONBecomeAPlaceholder() throws {
        let redacted = redactor.redact(event: Array(#"{"customer": {"name": "Anna Schmidt""#.utf8))
        #expect(!redacted.complete)
        #expect(!String(decoding: redacted.bytes, as: UTF8.self).contains("Anna"))
        #expect(try object(redacted.bytes)["redacted"] != nil)
    }

    @Test func aLoneSurrogateStaysSoTheEventStaysInvalid() throws {
        let redacted = redactor.redact(event: Array(#"{"customer":{"name":"Anna\ud800Schmidt"}}"#.utf8))
        let text = String(decoding: redacted.bytes, as: UTF8.self)
        #expect(text.contains(#"\ud800"#) && !text.contains("Anna") && !text.contains("Schmidt"))
    }

    @Test func redactedEventsValidateAndRenderAsTheOriginalsDid() async throws {
        // Generated events (1% invalid), through the port; a tenth of them through the legacy too
        let swift = SwiftRenderer()
        let legacy = LegacyRenderer(service: try await TestSupport.legacy())
        var rendered = 0
        for (index, event) in EventGenerator(invalidShare: 0.05).events(seed: 28, count: 600).enumerated() {
            let original = Array(event.utf8)
            let redacted = redactor.redact(event: original)
            #expect(redacted.complete)
            for renderer in index % 10 == 0 ? [swift, legacy] as [any InvoiceRenderer] : [swift] {
                let before = await renderer.render(event: original).outcome
                let after = await renderer.render(event: redacted.bytes).outcome
                switch (before, after) {
                case (.rendered(let a), .rendered(let b)):
                    rendered += 1
                    // The same invoice but for the personal values' traces
                    let traced = redactor.trace(a.invoiceJSON, redacted.replacements)
                    #expect(traced == b.invoiceJSON, "\(event)")
                case (.invalidEvent(let a, _), .invalidEvent(let b, _)):
                    #expect(a == b)
                default:
                    Issue.record("\(before) became \(after) for \(event)")
                }
            }
        }
        #expect(rendered > 500)
    }
}

@Suite struct RecordRedactionTests {
    @Test func aDiscrepancyKeepsItsSignatureAndLosesEveryPersonalValue() async throws {
        let event = try TestSupport.sampleEvent { event in
            event["customer"] = [
                "id": "cus_9", "name": "Friederike Quasthoff", "email": "friederike@quasthoff.example",
                "tax_id": "DE111222333",
            ]
        }
        let right = await SwiftRenderer().render(event: event)
        guard case .rendered(let invoice) = right.outcome else { throw CocoaError(.coderInvalidValue) }
        #expect(invoice.html.contains("Friederike Quasthoff"))
        // The legacy side differs in the buyer's name (a trailing space) and fails on the email
        var changed = invoice
        changed.invoiceJSON = invoice.invoiceJSON.replacingOccurrences(
            of: "\"Friederike Quasthoff\"", with: "\"Friederike Quasthoff \"")
        let comparison = OutcomeComparator().compare(
            facts: EventFacts.read(event),
            legacy: SideResult(outcome: .rendered(changed), latency: .milliseconds(3)), swift: right)
        #expect(comparison.kind == .mismatch)
        let record = ShadowStore.Record(comparison: comparison, event: event, primary: .legacy, recordedAt: Date())
        let redacted = redactor.redact(record)
        #expect(redacted.comparison.signature == comparison.signature)
        #expect(redacted.eventHash == StableHash.fnv1aHex(event))
        let everything = [
            String(decoding: redacted.event, as: UTF8.self), "\(redacted.comparison.legacy)",
            "\(String(describing: redacted.comparison.swift))", "\(redacted.comparison.differences)",
            redacted.comparison.htmlDiff.joined(),
        ].joined(separator: "\n")
        for personal in ["Friederike", "Quasthoff", "quasthoff.example", "111222333"] {
            #expect(!everything.contains(personal), "\(personal) survived")
        }
        // A match keeps nothing, and is left as it is
        let match = OutcomeComparator().compare(facts: EventFacts.read(event), legacy: right, swift: right)
        let kept = redactor.redact(
            ShadowStore.Record(comparison: match, event: event, primary: .legacy, recordedAt: Date()))
        #expect(kept.event == event)
    }
}

@Suite struct RedactionKeyTests {
    @Test func aKeyIsMadeOnceReadableByItsOwnerAndReadAgain() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (first, created) = try RedactionKey.loadOrCreate(path: path)
        #expect(created)
        let (second, createdAgain) = try RedactionKey.loadOrCreate(path: path)
        #expect(!createdAgain && first == second)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try RedactionKey.load(path: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("not a redaction key")
        }
    }
}
