import Foundation
import ShadowCore
import ShadowStore
import Testing

/// A comparison of `country` whose legacy side differs at `path`.
private func mismatch(_ id: String, path: String, at: Date) -> ShadowStore.Record {
    let facts = EventFacts(eventID: id, country: "DE", businessLine: "eats", eventType: "order_delivered")
    let comparison = OutcomeComparator().compare(
        facts: facts,
        legacy: SideResult(
            outcome: .rendered(RenderedInvoice(invoiceJSON: #"{"\#(path)":1}"#, html: "")), latency: .milliseconds(2)),
        swift: SideResult(
            outcome: .rendered(RenderedInvoice(invoiceJSON: #"{"\#(path)":2}"#, html: "")), latency: .milliseconds(1)))
    return ShadowStore.Record(comparison: comparison, event: Array("{}".utf8), primary: .legacy, recordedAt: at)
}

@Suite struct VersionTests {
    @Test func aSignatureKnowsItsBuildsAndWhetherItAppearedAfterAChange() throws {
        let store = try ShadowStore.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_796_000_000)
        let a = ShadowStore.Versions(legacy: "aaaa", port: "p1")
        let b = ShadowStore.Versions(legacy: "aaaa", port: "p2")
        // Run 1 with build A sees signature S1
        let first = try store.startRun(
            source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: t0, versions: a)
        let old = mismatch("e-1", path: "total", at: t0)
        try store.record([old], runID: first)
        // Run 2, a new port, sees S1 again and a new S2
        let second = try store.startRun(
            source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: t0.addingTimeInterval(60),
            versions: b)
        let new = mismatch("e-2", path: "tax", at: t0.addingTimeInterval(61))
        try store.record([mismatch("e-3", path: "total", at: t0.addingTimeInterval(61)), new], runID: second)

        let s1 = try #require(try store.signatureDetail(id: old.comparison.signature.id)).versions
        #expect(s1.first == a && s1.last == b && s1.before == nil && s1.change == nil)
        let s2 = try #require(try store.signatureDetail(id: new.comparison.signature.id)).versions
        #expect(s2.first == b && s2.before == a)
        #expect(s2.change == "the port changed")
        // The overview's list says so too
        let counts = try store.signatureCounts()
        #expect(counts.first { $0.id == new.comparison.signature.id }?.versions.change == "the port changed")
        #expect(counts.first { $0.id == old.comparison.signature.id }?.versions.change == nil)

        // A comparison from another instance keeps that instance's versions
        var remote = mismatch("e-4", path: "lines", at: t0.addingTimeInterval(120))
        let c = ShadowStore.Versions(legacy: "bbbb", port: "p2")
        remote.versions = c
        let decoded = try ComparisonMessage.decode(try ComparisonMessage.encode(remote))
        #expect(decoded.versions == c)
        _ = try store.materialize(
            topic: "shadow.comparisons", [TopicMessage(partition: 0, offset: 0, value: decoded)], runID: second)
        let s3 = try #require(try store.signatureDetail(id: remote.comparison.signature.id)).versions
        #expect(s3.first == c && s3.before == b && s3.change == "the legacy changed")
    }
}
