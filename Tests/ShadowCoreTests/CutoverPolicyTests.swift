import Foundation
import ShadowCore
import Testing

@Suite struct CutoverPolicyTests {
    let policy = CutoverPolicy()
    /// `count` comparisons, `mismatches` of them not at parity, Swift clearly not slower.
    static func evidence(_ count: Int, mismatches: Int = 0, swiftSlowerP: Double? = 0.9) -> CutoverEvidence {
        CutoverEvidence(
            comparisons: count, parity: count == 0 ? 0 : Double(count - mismatches) * 100 / Double(count),
            legacyP99Ms: 4, swiftP99Ms: 0.3, windowHours: 24, atParity: count - mismatches,
            swiftSlowerPValue: swiftSlowerP, lastHourComparisons: 600)
    }

    @Test func aThousandCleanComparisonsAreInconclusiveWithHowManyMoreAndHowLong() throws {
        let decision = policy.decide(from: .shadow, to: .live, evidence: Self.evidence(1_000))
        guard case .inconclusive(let needed?) = decision.verdict else {
            Issue.record("expected inconclusive, got \(decision.verdict)")
            return
        }
        #expect((1_690...1_720).contains(needed))
        let reason = try #require(decision.reasons.first)
        #expect(reason.contains("parity is at least 99.73% at 95% over 1000 comparisons, not yet 99.90%"), "\(reason)")
        #expect(reason.contains("about \(needed) more clean comparisons, ~2.8 h at the last hour's pace"), "\(reason)")
        #expect(!decision.allowed)
    }

    @Test func thirtyFiveHundredCleanComparisonsAreAllowed() {
        let decision = policy.decide(from: .shadow, to: .live, evidence: Self.evidence(3_500))
        #expect(decision.verdict == .allowed)
        #expect(decision.reasons.isEmpty)
        #expect((decision.parityBound ?? 0) >= 99.9)
    }

    @Test func ninetyNinePointNineObservedIsRefused() {
        let decision = policy.decide(from: .live, to: .swift, evidence: Self.evidence(5_000, mismatches: 5))
        #expect(decision.verdict == .refused)
        #expect(
            decision.reasons == [
                "parity 99.90% over 5000 comparisons is not above 99.90%: more evidence at this rate cannot pass"
            ])
    }

    @Test func swiftShownSlowerIsRefusedAndTooFewSamplesAreNotJudged() {
        let slow = policy.decide(from: .shadow, to: .live, evidence: Self.evidence(5_000, swiftSlowerP: 0.0001))
        #expect(slow.verdict == .refused)
        #expect(
            slow.reasons.first?.hasPrefix("Swift renders slower than legacy (one-sided Mann-Whitney p = 1.0e-04")
                == true)
        #expect(policy.decide(from: .shadow, to: .live, evidence: Self.evidence(5_000, swiftSlowerP: nil)).allowed)
        var lenient = policy
        lenient.judgesLatency = false
        #expect(lenient.decide(from: .shadow, to: .live, evidence: Self.evidence(5_000, swiftSlowerP: 0.0001)).allowed)
    }

    @Test func auditRowsWrittenBeforeTheBoundStillDecode() throws {
        let old = #"{"comparisons":1500,"legacy_p99_ms":4,"parity":99.8,"swift_p99_ms":1,"window_hours":24}"#
        let evidence = try JSONDecoder().decode(CutoverEvidence.self, from: Data(old.utf8))
        #expect(evidence.atParity == 1_497)
        #expect(evidence.swiftSlowerPValue == nil && evidence.knownDifferences == 0)
    }

    @Test func movingBackIsAlwaysAllowed() {
        let none = CutoverEvidence(comparisons: 0, parity: 0, legacyP99Ms: 0, swiftP99Ms: 0, windowHours: 24)
        #expect(policy.decide(from: .swift, to: .live, evidence: none).allowed)
        #expect(policy.decide(from: .live, to: .shadow, evidence: none).allowed)
        #expect(policy.decide(from: .shadow, to: .legacy, evidence: none).allowed)
        #expect(policy.decide(from: .legacy, to: .shadow, evidence: none).allowed)
    }

    @Test func theSequentialRevertFollowsTheParityThreshold() {
        let revert = policy.sequentialRevert
        #expect(abs(revert.acceptable - 0.001) < 1e-12 && abs(revert.unacceptable - 0.01) < 1e-12)
        #expect(revert.limit == 12)
        var strict = policy
        strict.minimumParity = 99.99
        #expect(abs(strict.sequentialRevert.acceptable - 0.0001) < 1e-12)
    }
}
