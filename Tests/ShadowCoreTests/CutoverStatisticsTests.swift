import Foundation
import ShadowCore
import Testing

/// SplitMix64: seeded, the same numbers on every machine.
private struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite struct CutoverStatisticsTests {
    @Test func theNormalQuantileMatchesKnownValues() {
        #expect(abs(CutoverStatistics.normalQuantile(0.95) - 1.6448536269514722) < 1e-9)
        #expect(abs(CutoverStatistics.normalQuantile(0.975) - 1.959963984540054) < 1e-9)
        #expect(abs(CutoverStatistics.normalQuantile(0.5)) < 1e-12)
        #expect(abs(CutoverStatistics.normalQuantile(0.001) + 3.090232306167813) < 1e-9)
    }

    @Test func aThousandCleanComparisonsBoundParityAtAbout99Point73() {
        let bound = CutoverStatistics.wilsonLowerBound(successes: 1_000, trials: 1_000, confidence: 0.95)
        #expect(abs(bound - 0.99730) < 0.00001)
        #expect(CutoverStatistics.wilsonLowerBound(successes: 3_500, trials: 3_500, confidence: 0.95) >= 0.999)
        // 99.9% observed never bounds 99.9% from below
        #expect(CutoverStatistics.wilsonLowerBound(successes: 4_995, trials: 5_000, confidence: 0.95) < 0.999)
        #expect(CutoverStatistics.wilsonLowerBound(successes: 0, trials: 0, confidence: 0.95) == 0)
    }

    @Test func theCleanComparisonsNeededAreExactlyEnough() throws {
        let needed = try #require(
            CutoverStatistics.cleanComparisonsNeeded(
                successes: 1_000, trials: 1_000, threshold: 0.999, confidence: 0.95))
        #expect((1_690...1_720).contains(needed))
        #expect(
            CutoverStatistics.wilsonLowerBound(successes: 1_000 + needed, trials: 1_000 + needed, confidence: 0.95)
                >= 0.999)
        #expect(
            CutoverStatistics.wilsonLowerBound(
                successes: 1_000 + needed - 1, trials: 1_000 + needed - 1, confidence: 0.95) < 0.999)
        #expect(
            CutoverStatistics.cleanComparisonsNeeded(successes: 10, trials: 10, threshold: 1, confidence: 0.95) == nil)
    }

    @Test func mannWhitneySeesASlowerSampleAndNotAnEqualOne() {
        var random = SeededRandom(state: 27)
        let legacy = (0..<400).map { _ in Double.random(in: 0.5...1.5, using: &random) }
        let same = (0..<400).map { _ in Double.random(in: 0.5...1.5, using: &random) }
        let slower = (0..<400).map { _ in Double.random(in: 0.6...1.6, using: &random) }
        #expect(CutoverStatistics.mannWhitneyGreater(slower, than: legacy) < 0.001)
        #expect(CutoverStatistics.mannWhitneyGreater(same, than: legacy) > 0.05)
        #expect(CutoverStatistics.mannWhitneyGreater(legacy, than: slower) > 0.99)
        #expect(CutoverStatistics.mannWhitneyGreater([], than: legacy) == 1)
    }

    /// Comparisons until the revert fires, at a true mismatch rate of `rate`.
    private static func eventsUntilRevert(rate: Double, limit: Int, random: inout SeededRandom) -> Int? {
        var revert = SequentialRevert()
        for event in 1...limit where revert.observe(atParity: Double.random(in: 0..<1, using: &random) >= rate) {
            return event
        }
        return nil
    }

    @Test func atOnePercentMismatchesTheRevertComesWithinAThousandEvents() {
        var random = SeededRandom(state: 99)
        let runs = (0..<201).map { _ in Self.eventsUntilRevert(rate: 0.01, limit: 100_000, random: &random) ?? .max }
        let median = runs.sorted()[runs.count / 2]
        #expect(median <= 1_000, "median \(median)")
    }

    @Test func atParity99Point95NoFalseRevertInTenMillionEvents() {
        // One stream of twenty million comparisons at a true parity of 99.95%: the detector starts over
        // after each revert, and at most two may fire (one per ten million).
        var random = SeededRandom(state: 7)
        var revert = SequentialRevert()
        var reverts = 0
        for _ in 0..<20_000_000 where revert.observe(atParity: Double.random(in: 0..<1, using: &random) >= 0.0005) {
            reverts += 1
            revert.reset()
        }
        #expect(reverts <= 2, "\(reverts) false reverts in 20 million events")
    }

    @Test func bucketsAreStickyAndTheShareFollowsThePercentage() {
        let customers = (0..<100_000).map { "customer-\($0)" }
        let atTen = Set(customers.filter { RampBucket.isSwift(country: "DE", customerID: $0, percentage: 10) })
        let atTwentyFive = Set(customers.filter { RampBucket.isSwift(country: "DE", customerID: $0, percentage: 25) })
        #expect(atTen.isSubset(of: atTwentyFive))
        #expect(abs(Double(atTen.count) / 1_000 - 10) < 1)
        #expect(abs(Double(atTwentyFive.count) / 1_000 - 25) < 1)
        // The same answer every time, everywhere: the bucket is a function of country and id only.
        #expect(
            RampBucket.bucket(country: "DE", customerID: "customer-1")
                == RampBucket.bucket(country: "DE", customerID: "customer-1"))
        #expect(RampBucket.bucket(country: "DE", customerID: "c-42") == 7_814)
        #expect(customers.allSatisfy { RampBucket.isSwift(country: "FR", customerID: $0, percentage: 100) })
        #expect(!customers.contains { RampBucket.isSwift(country: "FR", customerID: $0, percentage: 0) })
    }
}
