import Foundation
import ShadowCore
import ShadowStore
import Testing

/// `count` comparisons for `country`, of `kind`, with the given latencies, recorded at `at`.
private func record(
    _ store: ShadowStore, country: String, count: Int, kind: DiscrepancyKind, legacyMs: Int = 4, swiftMs: Int = 1,
    at: Date, prefix: String = "e"
) throws {
    let run = try store.startRun(source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: at)
    let records = (0..<count).map { index -> ShadowStore.Record in
        let facts = EventFacts(
            eventID: "\(prefix)-\(country)-\(index)", country: country, businessLine: "eats",
            eventType: "order_delivered")
        let legacyJSON = #"{"a":1}"#
        let swiftJSON = kind == .match ? legacyJSON : #"{"a":2}"#
        let comparison = OutcomeComparator().compare(
            facts: facts,
            legacy: SideResult(
                outcome: .rendered(RenderedInvoice(invoiceJSON: legacyJSON, html: "")), latency: .milliseconds(legacyMs)
            ),
            swift: SideResult(
                outcome: .rendered(RenderedInvoice(invoiceJSON: swiftJSON, html: "")), latency: .milliseconds(swiftMs)))
        return ShadowStore.Record(comparison: comparison, event: [], primary: .legacy, recordedAt: at)
    }
    try store.record(records, runID: run)
}

@Suite struct FlagTests {
    @Test func everyCountryStartsInShadow() throws {
        let flags = try ShadowStore.inMemory().flags()
        #expect(flags.count == 10)
        #expect(flags.values.allSatisfy { $0 == .shadow })
    }

    @Test func theGateWaitsForItsBoundAndAllowsWithIt() throws {
        let store = try ShadowStore.inMemory()
        let now = Date()
        // Given 2,000 matching comparisons: parity is at least 99.86% at 95%, not yet 99.9%
        try record(store, country: "DE", count: 2_000, kind: .match, at: now)
        #expect {
            try store.setFlag(country: "DE", to: .live, actor: "ana", reason: "ready", now: now)
        } throws: { error in
            (error as? ShadowStoreError)?.code == .gateRefused && "\(error)".contains("inconclusive")
        }
        #expect(try store.flags()["DE"] == .shadow)
        #expect(try store.flagHistory().isEmpty)

        // When 1,000 more arrive, the bound reaches 99.9%, and the audit row holds the evidence it used
        try record(store, country: "DE", count: 1_000, kind: .match, at: now, prefix: "late")
        let change = try store.setFlag(country: "DE", to: .live, actor: "ana", reason: "parity proven", now: now)
        #expect(change.from == .shadow && change.to == .live && !change.forced)
        #expect(change.evidence.comparisons == 3_000 && change.evidence.atParity == 3_000)
        #expect(change.evidence.parity == 100)
        #expect(change.evidence.legacyP99Ms == 4 && change.evidence.swiftP99Ms == 1)
        #expect(try #require(change.evidence.swiftSlowerPValue) > 0.99)
        #expect(try store.flags()["DE"] == .live)
        #expect(try store.flagHistory(country: "DE").map(\.actor) == ["ana"])
    }

    @Test func aKnownDifferenceDoesNotBlock() throws {
        let store = try ShadowStore.inMemory()
        let now = Date()
        try record(store, country: "SE", count: 3_500, kind: .match, at: now)
        try record(store, country: "SE", count: 40, kind: .mismatch, at: now, prefix: "decided")
        // Counted against parity, 40 mismatches in 3,540 refuse the move
        #expect(throws: ShadowStoreError.self) {
            try store.setFlag(country: "SE", to: .live, actor: "ana", reason: "ready", now: now)
        }
        // Listed as a known difference (a decided business change), they are reported, not counted
        let signature = try #require(try store.signatureCounts().first { $0.kind != DiscrepancyKind.match.rawValue })
        var policy = CutoverPolicy()
        policy.knownSignatures = [signature.id]
        let evidence = try store.evidence(country: "SE", policy: policy, now: now)
        #expect(evidence.comparisons == 3_500 && evidence.knownDifferences == 40)
        let change = try store.setFlag(
            country: "SE", to: .live, actor: "ana", reason: "rounding change decided", policy: policy, now: now)
        #expect(change.evidence.knownDifferences == 40)
    }

    @Test func oldComparisonsDoNotCount() throws {
        let store = try ShadowStore.inMemory()
        let now = Date()
        try record(store, country: "FR", count: 1500, kind: .match, at: now.addingTimeInterval(-25 * 3600))
        #expect(try store.evidence(country: "FR", now: now).comparisons == 0)
    }

    @Test func forceNeedsAReasonAndIsAudited() throws {
        let store = try ShadowStore.inMemory()
        #expect(throws: ShadowStoreError.self) {
            try store.setFlag(country: "JP", to: .swift, actor: "ops", reason: "  ", force: true)
        }
        let change = try store.setFlag(country: "JP", to: .swift, actor: "ops", reason: "incident 42", force: true)
        #expect(change.forced)
        #expect(try store.flagHistory(country: "JP").first?.reason == "incident 42")
        #expect(throws: ShadowStoreError.self) {
            try store.setFlag(country: "XX", to: .legacy, actor: "ops", reason: "no such country")
        }
    }

    @Test func aRegressionWhileLiveRevertsToShadowByItself() throws {
        let store = try ShadowStore.inMemory()
        let start = Date()
        try store.setFlag(country: "NL", to: .live, actor: "ana", reason: "ready", force: true, now: start)
        // A healthy stream with the odd mismatch (1 in 2,000, better than the threshold): nothing happens
        for block in 0..<3 {
            try record(store, country: "NL", count: 1_999, kind: .match, at: start, prefix: "ok-\(block)")
            try record(store, country: "NL", count: 1, kind: .mismatch, at: start, prefix: "odd-\(block)")
        }
        #expect(try store.revertIfRegressed(country: "NL", now: start) == nil)
        // Then mismatches at 2%: the sequential test crosses its limit
        for block in 0..<8 {
            try record(store, country: "NL", count: 49, kind: .match, at: start, prefix: "late-\(block)")
            try record(store, country: "NL", count: 1, kind: .mismatch, at: start, prefix: "bad-\(block)")
        }
        let revert = try #require(try store.revertIfRegressed(country: "NL", now: start.addingTimeInterval(61)))
        #expect(revert.from == .live && revert.to == .shadow)
        #expect(revert.actor == "invoice-shadow")
        #expect(revert.reason.hasPrefix("automatic revert: the sequential test on the mismatch rate crossed its limit"))
        #expect(try store.flags()["NL"] == .shadow)
        #expect(try store.flagHistory(country: "NL").count == 2)
        // And comparisons from before a country went live again do not count
        try store.setFlag(
            country: "NL", to: .live, actor: "ana", reason: "fixed", force: true, now: start.addingTimeInterval(120))
        #expect(try store.revertIfRegressed(country: "NL", now: start.addingTimeInterval(121)) == nil)
    }
}
