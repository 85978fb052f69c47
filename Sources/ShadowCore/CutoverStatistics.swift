import Foundation

/// The statistics behind the cutover gate and the automatic revert: pure functions, no I/O.
///
/// A release manager's question is not "was parity 99.9% so far?" but "is the port's parity at
/// least 99.9%, and how sure are we?". 1,000 clean comparisons show only that it is above about
/// 99.73% (one-sided 95%); the bound reaches 99.9% after about 2,700 clean ones.
public enum CutoverStatistics {
    /// The standard normal quantile: the z with P(Z ≤ z) = `probability` (Acklam's rational
    /// approximation, refined by one Halley step; accurate to about 1e-15).
    public static func normalQuantile(_ probability: Double) -> Double {
        precondition(probability > 0 && probability < 1, "a probability strictly between 0 and 1")
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if probability < low {
            let q = (-2 * Foundation.log(probability)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if probability <= 1 - low {
            let q = probability - 0.5
            let r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * Foundation.log(1 - probability)).squareRoot()
            x =
                -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // One Halley step against the exact CDF.
        let error = 0.5 * erfc(-x / 2.0.squareRoot()) - probability
        let u = error * (2 * Double.pi).squareRoot() * Foundation.exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// The lower end of the one-sided Wilson score interval on a proportion: with `confidence`
    /// (0.95), the true rate is at least this. Wilson rather than the normal approximation, which is
    /// useless near 100% (it gives 100% for any run without a failure); rather than Clopper-Pearson,
    /// whose exact bound needs the beta quantile and is more conservative than the gate needs.
    /// - Parameters:
    ///   - successes: Comparisons at parity.
    ///   - trials: Comparisons.
    ///   - confidence: One-sided, for example 0.95.
    /// - Returns: A rate in 0...1 (0 for no trials).
    public static func wilsonLowerBound(successes: Int, trials: Int, confidence: Double) -> Double {
        guard trials > 0 else { return 0 }
        let n = Double(trials)
        let p = Double(successes) / n
        let z = normalQuantile(confidence)
        let z2 = z * z
        let centre = p + z2 / (2 * n)
        let spread = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return max(0, (centre - spread) / (1 + z2 / n))
    }

    /// How many more comparisons, all at parity, would bring the lower bound to `threshold`; nil when
    /// none would within ten million (the threshold is 100%, or the confidence absurd).
    public static func cleanComparisonsNeeded(
        successes: Int, trials: Int, threshold: Double, confidence: Double
    ) -> Int? {
        func passes(_ more: Int) -> Bool {
            wilsonLowerBound(successes: successes + more, trials: trials + more, confidence: confidence) >= threshold
        }
        if passes(0) { return 0 }
        let limit = 10_000_000
        guard passes(limit) else { return nil }
        var (low, high) = (0, limit)  // passes(low) is false, passes(high) true
        while high - low > 1 {
            let middle = (low + high) / 2
            if passes(middle) { high = middle } else { low = middle }
        }
        return high
    }

    /// A one-sided Mann-Whitney U test that `sample` tends to be larger than `reference` (normal
    /// approximation with the tie correction; fine from about 20 values a side).
    /// - Returns: The p-value: small when `sample` is larger; 1 when either side is empty.
    public static func mannWhitneyGreater(_ sample: [Double], than reference: [Double]) -> Double {
        let (m, n) = (Double(sample.count), Double(reference.count))
        guard m > 0, n > 0 else { return 1 }
        // Ranks over both, ties sharing their mean rank.
        var values = sample.map { ($0, true) } + reference.map { ($0, false) }
        values.sort { $0.0 < $1.0 }
        var rankSum = 0.0
        var tieTerm = 0.0
        var index = 0
        while index < values.count {
            var end = index
            while end + 1 < values.count && values[end + 1].0 == values[index].0 { end += 1 }
            let rank = Double(index + end) / 2 + 1
            let tied = Double(end - index + 1)
            tieTerm += tied * tied * tied - tied
            for position in index...end where values[position].1 { rankSum += rank }
            index = end + 1
        }
        let u = rankSum - m * (m + 1) / 2
        let mean = m * n / 2
        let total = m + n
        let variance = m * n / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
        guard variance > 0 else { return 1 }
        // Continuity correction toward the mean.
        let z = (u - mean - 0.5) / variance.squareRoot()
        return 0.5 * erfc(z / 2.0.squareRoot())
    }
}

/// The gate's verdict on moving a country forward, and why.
public enum GateVerdict: Sendable, Equatable {
    /// The lower confidence bound on parity is at or above the threshold, and Swift's latency is
    /// not shown worse.
    case allowed
    /// Parity is above the threshold so far, but the bound is not yet: `needed` more clean
    /// comparisons would make it.
    case inconclusive(needed: Int?)
    /// The observed parity is at or below the threshold (no more evidence at this rate passes), or
    /// Swift is slower than legacy beyond doubt.
    case refused
}

/// The sequential revert: a one-sided CUSUM of the log-likelihood ratio between the mismatch rate
/// at the threshold (`acceptable`) and a clearly worse one (`unacceptable`). Each comparison at
/// parity lowers the sum a little, each mismatch raises it by ln(unacceptable ÷ acceptable); the
/// sum never goes below 0; crossing `limit` reverts.
///
/// With the defaults (0.1% against 1%, limit 12), at a true mismatch rate of 0.05% (parity 99.95%)
/// the sum drifts down by 0.008 a comparison and almost never reaches the limit; at 1% it drifts up
/// by 0.014 a comparison and reaches it after several hundred. `CutoverStatisticsTests` simulates
/// both against the documented rates (at most one false revert in ten million comparisons at
/// 99.95%, a median revert within 1,000 at 99%).
public struct SequentialRevert: Sendable, Equatable {
    /// The mismatch rate the threshold allows (1 − parity threshold). Default 0.001.
    public var acceptable: Double
    /// A mismatch rate that must revert soon. Default 0.01.
    public var unacceptable: Double
    /// The sum at which to revert. Default 12.
    public var limit: Double
    /// The statistic now.
    public private(set) var sum = 0.0

    /// A detector between `acceptable` and `unacceptable` mismatch rates.
    public init(acceptable: Double = 0.001, unacceptable: Double = 0.01, limit: Double = 12) {
        precondition(
            0 < acceptable && acceptable < unacceptable && unacceptable < 1, "0 < acceptable < unacceptable < 1")
        self.acceptable = acceptable
        self.unacceptable = unacceptable
        self.limit = limit
    }

    /// Adds one comparison; returns whether the country must revert now.
    public mutating func observe(atParity: Bool) -> Bool {
        let step =
            atParity
            ? Foundation.log((1 - unacceptable) / (1 - acceptable)) : Foundation.log(unacceptable / acceptable)
        sum = max(0, sum + step)
        return sum >= limit
    }

    /// Starts over (after a revert, or when the country moves forward again).
    public mutating func reset() { sum = 0 }
}

/// Sticky percentage buckets: which of a country's customers Swift serves at a ramp percentage.
///
/// A customer's bucket is the FNV-1a 64-bit hash of `COUNTRY:CUSTOMER_ID` (UTF-8) modulo 10,000,
/// so a bucket is a hundredth of a percent; the customer is Swift's when the bucket is below the
/// percentage × 100. The same customer gets the same bucket in every process and on every machine,
/// and raising the percentage only adds buckets: a customer on Swift at 10% is on Swift at 25%.
public enum RampBucket {
    /// The customer's bucket, 0..<10,000.
    public static func bucket(country: String, customerID: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (country + ":" + customerID).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % 10_000)
    }

    /// Whether Swift serves this customer at `percentage` (0...100).
    public static func isSwift(country: String, customerID: String, percentage: Double) -> Bool {
        Double(bucket(country: country, customerID: customerID)) < percentage * 100
    }
}
