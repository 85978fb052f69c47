import ShadowCore
import Testing

@Suite struct CutoverPolicyTests {
    let policy = CutoverPolicy()
    let good = CutoverEvidence(comparisons: 1500, parity: 99.95, legacyP99Ms: 4.0, swiftP99Ms: 0.3, windowHours: 24)

    @Test func movingForwardNeedsEvidence() {
        #expect(policy.decide(from: .shadow, to: .live, evidence: good).allowed)
        let few = CutoverEvidence(comparisons: 999, parity: 100, legacyP99Ms: 4, swiftP99Ms: 1, windowHours: 24)
        #expect(
            policy.decide(from: .shadow, to: .live, evidence: few).reasons == [
                "only 999 comparisons in the last 24 h (need 1000)"
            ])
        let poor = CutoverEvidence(comparisons: 5000, parity: 99.89, legacyP99Ms: 4, swiftP99Ms: 1, windowHours: 24)
        #expect(policy.decide(from: .live, to: .swift, evidence: poor).reasons == ["parity 99.89% is below 99.90%"])
        let slow = CutoverEvidence(comparisons: 5000, parity: 100, legacyP99Ms: 1, swiftP99Ms: 2.5, windowHours: 24)
        #expect(
            policy.decide(from: .shadow, to: .live, evidence: slow).reasons == [
                "Swift p99 2.50 ms is worse than legacy p99 1.00 ms"
            ])
    }

    @Test func movingBackIsAlwaysAllowed() {
        let none = CutoverEvidence(comparisons: 0, parity: 0, legacyP99Ms: 0, swiftP99Ms: 0, windowHours: 24)
        #expect(policy.decide(from: .swift, to: .live, evidence: none).allowed)
        #expect(policy.decide(from: .live, to: .shadow, evidence: none).allowed)
        #expect(policy.decide(from: .shadow, to: .legacy, evidence: none).allowed)
        #expect(policy.decide(from: .legacy, to: .shadow, evidence: none).allowed)
    }

    @Test func aLiveRegressionRevertsOnlyWithEnoughRecentComparisons() {
        #expect(policy.mustRevert(flag: .live, recentComparisons: 200, recentParity: 99.0))
        #expect(!policy.mustRevert(flag: .live, recentComparisons: 199, recentParity: 50))
        #expect(!policy.mustRevert(flag: .live, recentComparisons: 200, recentParity: 99.9))
        #expect(!policy.mustRevert(flag: .shadow, recentComparisons: 500, recentParity: 10))
    }
}
