import Foundation
import Logging
import Prometheus
import ShadowLogging
import Synchronization

/// What serve knows about its own health: each check passes until a part reports it failing, and
/// passes again when the part reports it recovered. `GET /health` answers 503 while any check
/// fails and names them; `invoice_shadow_health{check}` is 1 for a passing check, 0 for a failing
/// one; each change is logged once (a failure as an error, a recovery as a notice).
public final class ServeHealth: Sendable {
    /// One thing serve needs to work.
    public enum Check: String, CaseIterable, Sendable {
        /// The store's row writer committed its last transaction.
        case store
        /// The object store wrote its last documents.
        case objectStore = "object_store"
        /// The Kafka brokers answer.
        case broker
        /// The legacy's Python thread answers: no call has run past its deadline and the interrupt.
        case python
        /// No event was lost before it was consumed in the last 10 minutes (the broker dropped
        /// offsets serve never read; the store keeps every loss in `lost_events`).
        case eventsLost = "events_lost"
        /// With `--instance`: the shared comparisons and flags topics reach this store, and none of
        /// their messages was dropped before the store read it.
        case sharedTopics = "shared_topics"
        /// `--retain`: the last pass that folds old comparisons succeeded (while it fails, the store
        /// grows).
        case retention
    }

    /// A failing check: why, and since when.
    public struct Failure: Sendable, Equatable {
        /// The check that fails.
        public var check: Check
        /// What failed, as the part reported it.
        public var reason: String
        /// When it started failing.
        public var since: Date
    }

    private let failures = Mutex<[Check: Failure]>([:])
    private let gauges: [Check: Gauge]
    private let logger: Logger

    /// Every check passing, its gauges in `registry`, its changes logged through `logger`.
    public init(registry: PrometheusCollectorRegistry, logger: Logger) {
        var gauges: [Check: Gauge] = [:]
        for check in Check.allCases {
            let gauge = registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "invoice_shadow", metricName: "health", unitName: "",
                    helpText: "1 while a health check passes, 0 while it fails."),
                labels: [("check", check.rawValue)])
            gauge.set(Double(1))
            gauges[check] = gauge
        }
        self.gauges = gauges
        self.logger = logger
    }

    /// The failing checks, in the order of ``Check``.
    public var failing: [Failure] {
        let failures = failures.withLock { $0 }
        return Check.allCases.compactMap { failures[$0] }
    }

    /// Reports `check` failing for `reason` (logged and shown the first time, until it passes again).
    public func fail(_ check: Check, _ reason: String) {
        let isNew = failures.withLock { failures in
            guard failures[check] == nil else { return false }
            failures[check] = Failure(check: check, reason: reason, since: Date())
            return true
        }
        guard isNew else { return }
        gauges[check]?.set(Double(0))
        logger.error("health: \(check.rawValue) failing: \(reason)", metadata: [LogKey.component: "health"])
    }

    /// Reports `check` passing (logged if it was failing).
    public func pass(_ check: Check) {
        let was = failures.withLock { $0.removeValue(forKey: check) }
        guard let was else { return }
        gauges[check]?.set(Double(1))
        logger.notice(
            "health: \(check.rawValue) passes again after \(Int(Date().timeIntervalSince(was.since))) s",
            metadata: [LogKey.component: "health"])
    }
}
