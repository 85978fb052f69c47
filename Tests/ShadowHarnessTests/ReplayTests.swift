import EventGenerator
import Foundation
import FoundationXML
import InvoiceRenderers
import ShadowCore
import ShadowHarness
import ShadowReports
import ShadowStore
import TestSupport
import Testing

/// The legacy's own output with one deliberate bug: DE eats invoices get one cent more tax on line 0.
private struct OffByOneCentRenderer: InvoiceRenderer {
    let legacy: LegacyRenderer
    var implementation: Implementation { .swift }

    func render(event: [UInt8]) async -> SideResult {
        var result = await legacy.render(event: event)
        guard case .rendered(let invoice) = result.outcome, var object = try? TestSupport.object(invoice.invoiceJSON),
            object["number"].map({ "\($0)".hasPrefix("DE-EATS-") }) == true,
            var lines = object["lines"] as? [[String: Any]], let tax = lines.first?["tax"] as? String,
            let cents = Int(tax.replacingOccurrences(of: ".", with: ""))
        else { return result }
        let bumped = cents + 1
        lines[0]["tax"] = "\(bumped / 100).\(String(format: "%02d", abs(bumped % 100)))"
        object["lines"] = lines
        let json = String(
            decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        result.outcome = .rendered(RenderedInvoice(invoiceJSON: json, html: invoice.html))
        return result
    }
}

/// A legacy whose output carries a value that changes from run to run.
private struct NoisyRenderer: InvoiceRenderer {
    let legacy: LegacyRenderer
    let counter = Counter()
    var implementation: Implementation { .legacy }

    final class Counter: @unchecked Sendable {
        // @unchecked: a test helper; the lock guards `value`.
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.withLock {
                value += 1; return value
            }
        }
    }

    func render(event: [UInt8]) async -> SideResult {
        var result = await legacy.render(event: event)
        guard case .rendered(let invoice) = result.outcome, var object = try? TestSupport.object(invoice.invoiceJSON)
        else { return result }
        object["rendered_at"] = "2026-11-22T00:00:\(counter.next())Z"
        let json = String(
            decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        result.outcome = .rendered(RenderedInvoice(invoiceJSON: json, html: invoice.html))
        return result
    }
}

private func events(_ count: Int, seed: UInt64 = 5) -> [[UInt8]] {
    EventGenerator().events(seed: seed, count: count).map { Array($0.utf8) }
}

@Suite struct ReplayTests {
    @Test func aOneCentTaxBugIsOneSignatureWithThePathAndBothValues() async throws {
        // Given a Swift side that is the legacy plus a one-cent bug on DE eats line 0
        let legacy = LegacyRenderer(service: try await TestSupport.legacy())
        let store = try ShadowStore.inMemory()
        let engine = ReplayEngine(
            legacy: legacy, swift: OffByOneCentRenderer(legacy: legacy), comparator: OutcomeComparator(), store: store)
        let corpus = events(600)
        let deEats = corpus.filter { EventFacts.read($0).country == "DE" && EventFacts.read($0).businessLine == "eats" }
        #expect(deEats.count > 10)

        // When the corpus is replayed
        let run = try await engine.replay(corpus, source: "test")
        let report = try store.report(runID: run, minParity: 0)

        // Then every rendered DE eats invoice is a mismatch with one signature, at /lines/0/tax
        let mismatches = report.signatures.filter { $0.kind == "mismatch" }
        #expect(mismatches.count == 1)
        let signature = try #require(mismatches.first)
        #expect(signature.text == "DE|eats|mismatch|/lines/*/tax")
        let rendered = deEats.filter { (try? JSONValue.parse(String(decoding: $0, as: UTF8.self))) != nil }
        #expect(signature.count >= rendered.count - 2)  // a deliberately invalid DE eats event is no mismatch
        let example = try #require(signature.example)
        #expect(example.differences.count == 1)
        let difference = try #require(example.differences.first)
        #expect(difference.path == "/lines/0/tax")
        let legacyCents = Int(difference.legacy!.filter(\.isNumber))!
        let swiftCents = Int(difference.swift!.filter(\.isNumber))!
        #expect(swiftCents == legacyCents + 1)
        // and everything else matches
        #expect(report.byCountry["FR"]?.parity == 100)
    }

    @Test func replayingTwiceLeavesOneRowPerEvent() async throws {
        let legacy = LegacyRenderer(service: try await TestSupport.legacy())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try ShadowStore.open(path: directory.appendingPathComponent("shadow.db").path)
        let engine = ReplayEngine(legacy: legacy, swift: SwiftRenderer(), comparator: OutcomeComparator(), store: store)
        let corpus = try ReplayInput.events(
            path: TestSupport.repositoryRoot.appendingPathComponent("Tests/Corpus/events.jsonl").path)
        #expect(corpus.count == 3000)

        _ = try await engine.replay(corpus, source: "first")
        let second = try await engine.replay(corpus, source: "second")

        let distinct = Set(corpus.map { EventFacts.read($0).eventID }).count
        #expect(try store.comparisonCount() == distinct)
        #expect(try store.comparisonCount(runID: second) == distinct)
        let journal = try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        // Every event is at parity: rendered alike, or rejected naming the same field.
        let report = try store.report(minParity: 100)
        #expect(report.byKind["match"]!.count + report.byKind["invalid_event"]!.count == distinct)
        #expect(report.passed)
    }

    @Test func noiseBetweenTwoLegacyRunsIsReportedNotCounted() async throws {
        let legacy = LegacyRenderer(service: try await TestSupport.legacy())
        let noisy = NoisyRenderer(legacy: legacy)
        let store = try ShadowStore.inMemory()
        let engine = ReplayEngine(
            legacy: noisy, swift: noisy, comparator: OutcomeComparator(), store: store, noiseCheck: true)
        let run = try await engine.replay(events(50, seed: 8), source: "noise")
        let report = try store.report(runID: run)
        #expect(report.noise.map(\.path) == ["/rendered_at"])
        #expect(report.byKind["mismatch"]!.count == 0)
        #expect(report.byKind["match"]!.count > 40)
    }

    @Test func reportsAreWellFormedAndEscapeEverything() async throws {
        // Given a run whose discrepancies carry hostile strings
        let store = try ShadowStore.inMemory()
        let run = try store.startRun(
            source: "<script>alert('source')</script>",
            ignoreRules: IgnoreRules(rules: [.init(path: "/x", reason: "<b>")]),
            noiseCheck: false, startedAt: Date())
        let facts = EventFacts(eventID: "<e1>", country: "DE", businessLine: "eats", eventType: "order_delivered")
        let comparison = OutcomeComparator().compare(
            facts: facts,
            legacy: SideResult(
                outcome: .rendered(
                    RenderedInvoice(invoiceJSON: #"{"buyer":"<script>alert(1)</script>"}"#, html: "<p>a</p>")),
                latency: .milliseconds(1)),
            swift: SideResult(
                outcome: .failed(RenderFailure(origin: "swift", type: "x\u{1}y", message: "]]> & <oops>")),
                latency: .milliseconds(1)))
        try store.record(
            [.init(comparison: comparison, event: Array("{}".utf8), primary: .legacy, recordedAt: Date())], runID: run)
        let report = try store.report(runID: run, minParity: 99)

        // Then the HTML shows them as text
        let html = ReportRenderer.html(report)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;source&#39;)&lt;/script&gt;"))
        #expect(html.contains("&lt;oops&gt;"))
        // The JUnit XML parses, and fails the parity case and the new signature
        let junit = ReportRenderer.junit(report)
        let parser = XMLParser(data: Data(junit.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(junit.contains(#"<testsuites name="invoice-shadow parity" tests="3" failures="3">"#))
        // The JSON has the fields scripts rely on
        let json = try TestSupport.object(ReportRenderer.json(report))
        #expect(json["events"] as? Int == 1)
        #expect(json["parity"] as? Double == 0)
        #expect((json["by_kind"] as? [String: Any])?["swift_error"] != nil)
        #expect(((json["by_country"] as? [String: Any])?["DE"] as? [String: Any])?["parity"] as? Double == 0)
        #expect(json["passed"] as? Bool == false)
        // And the Markdown neutralizes table-breaking characters
        #expect(!ReportRenderer.markdown(report).contains("<script>"))
    }

    @Test func knownSignaturesPassAndOthersFail() async throws {
        let store = try ShadowStore.inMemory()
        let run = try store.startRun(source: "t", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let facts = EventFacts(eventID: "e1", country: "FR", businessLine: "rides", eventType: "trip_completed")
        let comparison = OutcomeComparator().compare(
            facts: facts,
            legacy: SideResult(outcome: .rendered(RenderedInvoice(invoiceJSON: #"{"a":1}"#, html: "")), latency: .zero),
            swift: SideResult(outcome: .rendered(RenderedInvoice(invoiceJSON: #"{"a":2}"#, html: "")), latency: .zero))
        try store.record([.init(comparison: comparison, event: [], primary: .legacy, recordedAt: Date())], runID: run)

        let unknown = try store.report(runID: run, minParity: 0)
        #expect(!unknown.passed)
        #expect(unknown.newSignatures == [comparison.signature.id])
        let known = try store.report(
            runID: run, known: [KnownDifference(signature: comparison.signature.id, reason: "r", decision: "d")],
            minParity: 0)
        #expect(known.passed)
        #expect(known.signatures.first?.known?.reason == "r")
    }
}
