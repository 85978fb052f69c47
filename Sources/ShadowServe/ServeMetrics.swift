import Prometheus
import ShadowCore
import ShadowStore

/// The numbers `serve` exposes on `GET /metrics`, in the Prometheus text format (rendered by
/// swift-prometheus's collector registry, used directly: nothing is bootstrapped globally).
///
/// Series (all prefixed `invoice_shadow_`):
/// - `events_total`, `published_total`, `dead_lettered_total`, `skipped_shadows_total`,
///   `events_lost_total` (offsets the broker dropped before they were consumed),
///   `redelivered_total` (events taken again whose id and content were already recorded or in
///   flight): counters.
/// - `retries_total{target}`: writes to the store, the object store or the broker retried after a
///   failure.
/// - `retention_folded_total`: comparisons `--retain` folded into the daily counts and deleted, on
///   the registry of the process that owns the store (``StoreRetention``); its rate against
///   `comparisons_total`'s says whether retention keeps up; `retention_pass_seconds`, each pass's
///   duration, as a histogram.
/// - `health{check}`: 1 while a health check passes, 0 while it fails (``ServeHealth``).
/// - `comparisons_total{country, kind}`: one per recorded event; a country outside the contract is
///   `country="other"`, so hostile input cannot grow the number of series.
/// - `render_seconds{side}`: each implementation's own render time, as a histogram.
/// - `added_seconds`: event consumed → primary result published, minus the primary render and its
///   wait for the legacy's Python thread to finish other events.
/// - `events_in_flight`, `shadows_in_flight`: queue depth gauges.
/// - `assigned_partitions` (a gauge) and `assignment_changes_total`: the input partitions the
///   consumer group gives this member, and how often serve saw that change after the first
///   assignment (it looks once a second: a rebalance may show as its revocation and its assignment).
/// - `consumer_lag`: messages in the assigned partitions not yet processed (log end minus the
///   lowest offset not done), from librdkafka's cached watermarks.
public final class ServeMetrics: Sendable {
    /// The registry; `exposition()` renders it.
    public let registry: PrometheusCollectorRegistry
    let events: Counter
    let published: Counter
    let deadLettered: Counter
    let skippedShadows: Counter
    let eventsLost: Counter
    let redelivered: Counter
    let inFlight: Gauge
    let shadowsInFlight: Gauge
    let consumerLag: Gauge
    let assignedPartitions: Gauge
    let assignmentChanges: Counter
    let renderLegacy: DurationHistogram
    let renderSwift: DurationHistogram
    let added: DurationHistogram

    static let buckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
    ]

    /// Creates the series.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "invoice_shadow", metricName: name, unitName: "total", helpText: help))
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "invoice_shadow", metricName: name, unitName: "", helpText: help)
            )
        }
        events = counter("events", "Events consumed from the input topic.")
        published = counter("published", "Rendered invoices published.")
        deadLettered = counter("dead_lettered", "Events sent to the dead-letter topic.")
        skippedShadows = counter("skipped_shadows", "Shadow renders skipped because the shadow queue was full.")
        eventsLost = counter("events_lost", "Input events the broker dropped before serve consumed them.")
        redelivered = counter(
            "redelivered", "Events taken again whose id and content were already recorded or in flight.")
        inFlight = gauge("events_in_flight", "Events consumed and not yet recorded and committed.")
        shadowsInFlight = gauge("shadows_in_flight", "Shadow renders running or queued.")
        consumerLag = gauge("consumer_lag", "Messages in the assigned partitions not processed yet.")
        assignedPartitions = gauge("assigned_partitions", "Input partitions the consumer group assigns to this member.")
        assignmentChanges = counter(
            "assignment_changes", "Changes of this member's partitions after the first assignment (rebalances).")
        let render = MetricNameDescriptor(
            namespace: "invoice_shadow", metricName: "render", unitName: "seconds",
            helpText: "Each implementation's own render time.")
        renderLegacy = registry.makeDurationHistogram(
            descriptor: render, labels: [("side", "legacy")], buckets: Self.buckets)
        renderSwift = registry.makeDurationHistogram(
            descriptor: render, labels: [("side", "swift")], buckets: Self.buckets)
        added = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "invoice_shadow", metricName: "added", unitName: "seconds",
                helpText: "Event consumed to primary result published, minus the primary render."),
            buckets: Self.buckets)
    }

    /// A batch of recorded comparisons: each labelled counter is looked up (and incremented) once
    /// per batch, not once per row (the registry's lookup takes a lock and hashes its labels).
    func recorded(_ records: [ShadowStore.Record]) {
        // Keyed by the two labels themselves: a joined string was an allocation per row.
        var counts: [CountryKind: Int64] = [:]
        // Read in place: a copy of each record would retain all it holds.
        for index in records.indices {
            let country = records[index].comparison.facts.country
            let key = CountryKind(
                country: ContractCountry.codes.contains(country) ? country : "other",
                kind: records[index].comparison.kind)
            counts[key, default: 0] += 1
            if let swift = records[index].comparison.swift?.latency {
                renderLegacy.record(records[index].comparison.legacy.latency)
                renderSwift.record(swift)
            } else {
                // One side ran: the primary's result is in `legacy` (see ShadowStore.record).
                (records[index].primary == .swift ? renderSwift : renderLegacy).record(
                    records[index].comparison.legacy.latency)
            }
        }
        for (key, count) in counts {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "invoice_shadow", metricName: "comparisons", unitName: "total",
                    helpText: "Recorded comparisons by country and kind."),
                labels: [("country", key.country), ("kind", key.kind.rawValue)]
            ).increment(by: count)
        }
    }

    /// What a retry was toward (`invoice_shadow_retries_total{target}`).
    enum RetryTarget: String {
        case store
        case objectStore = "object_store"
        case broker
    }

    /// One retry toward `target` after a failure.
    func retries(_ target: RetryTarget) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "invoice_shadow", metricName: "retries", unitName: "total",
                helpText: "Writes retried after a failure, by what they were toward."),
            labels: [("target", target.rawValue)]
        ).increment()
    }

    /// The text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}

/// The labels of `invoice_shadow_comparisons_total`.
private struct CountryKind: Hashable {
    var country: String
    var kind: DiscrepancyKind
}
