import Foundation
import Logging
import Prometheus
import ShadowCore
import ShadowLogging
import ShadowStore

/// `serve --retain`: comparisons older than the retention period are folded into per-day counts
/// and deleted, a small batch per transaction with a pause between, so that the row writer, which
/// shares the store, never waits long; the examples of each signature are kept whatever their age,
/// and freed pages are given back to the file system.
public struct StoreRetention: Sendable {
    let store: ShadowStore
    let period: Duration
    let examplesPerSignature: Int
    let health: ServeHealth?
    let folded: Counter?
    let passSeconds: DurationHistogram?
    let logger: Logger

    /// Retention of `store` to `period`, keeping `examplesPerSignature` examples of each signature;
    /// a failing pass fails `health`'s `retention` check until one succeeds; what it folds is counted
    /// in `registry`'s `invoice_shadow_retention_folded_total`, and how long each pass took in its
    /// `invoice_shadow_retention_pass_seconds` (a pass goes on until nothing past the period is
    /// left: passes that grow longer each time are not keeping up).
    public init(
        store: ShadowStore, period: Duration, examplesPerSignature: Int = 5, health: ServeHealth? = nil,
        registry: PrometheusCollectorRegistry? = nil, logger: Logger
    ) {
        self.store = store
        self.health = health
        self.folded = registry?.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "invoice_shadow", metricName: "retention_folded", unitName: "total",
                helpText: "Comparisons folded into the daily counts and deleted by retention."))
        self.passSeconds = registry?.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "invoice_shadow", metricName: "retention_pass", unitName: "seconds",
                helpText: "How long each retention pass took, failed ones included."),
            buckets: [
                .milliseconds(10), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
                .seconds(10), .seconds(30), .seconds(60), .seconds(300),
            ])
        self.period = period
        self.examplesPerSignature = examplesPerSignature
        var logger = logger
        logger[metadataKey: LogKey.component] = "retention"
        self.logger = logger
    }

    /// One pass: everything older than the period, a batch at a time. Errors are logged; the next
    /// pass tries again.
    /// - Returns: What the pass did, in total.
    @discardableResult
    public func pass(now: Date = Date()) async -> ShadowStore.RetentionStep {
        let cutoff = now.addingTimeInterval(-Double(period.components.seconds))
        var total = ShadowStore.RetentionStep()
        let started = ContinuousClock.now
        defer { passSeconds?.record(ContinuousClock.now - started) }
        do {
            while !Task.isCancelled {
                let step = try await store.retainStep(before: cutoff, examplesPerSignature: examplesPerSignature)
                total.folded += step.folded
                folded?.increment(by: Int64(step.folded))
                total.kept += step.kept
                guard step.more else { break }
                // Room for the row writer between two batches.
                try await Task.sleep(for: .milliseconds(20))
            }
            var reclaimed = 0
            // Freed pages are reused by the next inserts: giving them back to the file system only
            // moves pages about while the store is busy. Only when a fifth of the file is free (the
            // load fell) is some of it given back, a little each pass.
            if total.folded > 0, try store.freeShare() > 0.2 {
                reclaimed = try await store.reclaim(pages: 2_048)
            }
            if total.folded > 0 {
                logger.info(
                    "folded \(total.folded) comparisons recorded before \(ISO8601DateFormatter().string(from: cutoff)) into the daily counts and deleted them; \(total.kept) more kept as examples; \(reclaimed) pages given back",
                    metadata: [LogKey.durationSeconds: "\((ContinuousClock.now - started).seconds)"])
            }
            health?.pass(.retention)
        } catch is CancellationError {
            // Shut down mid-pass: the batches done are done, the rest waits for the next start.
        } catch {
            // The health check logs it (once, until a pass succeeds).
            health?.fail(.retention, "cannot fold old comparisons, the store grows: \(error)")
            if health == nil {
                logger.error(
                    "cannot fold old comparisons; the store grows until the next pass succeeds",
                    metadata: [LogKey.error: "\(error)"])
            }
        }
        return total
    }
}
