import Redaction
import ShadowCore
import ShadowStore

extension ServeEngine {
    /// Topics and limits of one engine. The defaults are what `serve` runs with; why each is what it
    /// is, with the measurements behind it, is in `docs/serve-tuning.md`.
    public struct Configuration: Sendable {
        /// Events in. Default `money.events`.
        public var inputTopic = "money.events"
        /// Invalid events and events whose primary failed. Default `money.events.dlq`.
        public var deadLetterTopic = "money.events.dlq"
        /// Rendered invoices, keyed by invoice number. Default `invoices.rendered`.
        public var outputTopic = "invoices.rendered"
        /// Legacy-primary events in flight at once (rendering, publishing or waiting for their row to
        /// be written). Default 256.
        ///
        /// The Python thread takes them one at a time, so a deeper window only lengthens its queue
        /// and the resident memory it holds.
        public var window = 256
        /// Port-primary events in flight at once. Default 8,192.
        ///
        /// Each spends most of its time in flight waiting for its row's transaction (up to
        /// `portRowLinger`, or until `maximumBatch` rows wait), so the window holds two full
        /// batches: one being written, one filling. What an event holds while it waits is its
        /// message and its row, not its invoice.
        public var portWindow = 8_192
        /// The most rows written in one SQLite transaction. Default 4,096.
        public var maximumBatch = 4_096
        /// How long the row writer lets a batch fill before its transaction (unless `maximumBatch`
        /// rows are waiting). Default 50 ms: at shadow mode's rates rows would otherwise go a few per
        /// transaction, each a commit and a wake-up of the writer's thread on the CPU the harness
        /// shares. Rows gate offset commits, so a longer linger leaves more events to be delivered
        /// again after a crash or a rebalance (docs/serve-tuning.md), and the window: legacy-primary
        /// rows also hold the legacy's `window`, which they fill only past `window` ÷ `rowLinger`
        /// events a second (5,120 by default, over ten times what one Python thread renders).
        public var rowLinger: Duration = .milliseconds(50)
        /// ``rowLinger`` for the rows of port-primary events, which hold only the deep `portWindow`.
        /// Default 200 ms.
        ///
        /// Every row's insert into the `event_id` index lands on a random page, and each page a
        /// transaction touches is one WAL frame, whatever number of rows changed it: larger
        /// transactions share pages.
        public var portRowLinger: Duration = .milliseconds(200)
        /// The most events taken from the consumer at once (whatever it holds already, never waiting
        /// for more): the events of a batch whose primary is the port are rendered one after the
        /// other in one task, stored in one object-store write, sent in one burst and recorded in one
        /// row submission. Legacy-primary events still go one task each, so none waits for another's
        /// render. Default 64.
        public var consumeBatch = 64
        /// Shadow runs in flight at once; when full, the shadow is skipped and counted. Default 32.
        public var shadowCapacity = 32
        /// How often flags are re-read (and live countries checked for regression). Default 1 s.
        public var flagRefresh = Duration.seconds(1)
        /// This instance's name, when several instances with stores of their own act as one
        /// harness: written in each comparison and flag change it makes. Default nil.
        public var instance: String?
        /// Where each event's record goes before its offset is committed: nil, the store (one
        /// process, or processes sharing one store file); a topic (`shadow.comparisons`), where the
        /// broker has it durably and every instance's store materializes it. Default nil.
        public var evidenceTopic: String?
        /// Whether the engine reverts a regressed `live` country in the store itself. Instances that
        /// share their flags turn it off: their reverts are proposed on the flags topic. Default true.
        public var automaticRevert = true
        /// The versions of both implementations, carried by the comparisons published to the
        /// evidence topic (a store that writes rows takes them from its run).
        public var versions: ShadowStore.Versions?
        /// Replaces personal data in the rows it writes and the evidence it publishes (nil: kept as is).
        public var redactor: Redactor?
        /// Delays between retries toward the store and the object store after a failure: 50 ms
        /// doubling up to 5 s. Writes are retried until they succeed; nothing is dropped.
        var retryBackoff = Backoff()

        /// Called with each flag change the engine makes by itself (an automatic revert): `--notify`.
        public var automaticChangeObserver: (@Sendable (ShadowStore.FlagChange) -> Void)?

        /// Called with each event's primary-path timing, for benchmarks; its ``PrimaryTiming/added``
        /// feeds `invoice_shadow_added_seconds`.
        public var primaryTimingObserver: (@Sendable (PrimaryTiming) -> Void)?

        /// The configuration `serve` runs with.
        public init() {}
    }

    /// Counters, for metrics and tests.
    public struct Counters: Sendable, Equatable {
        /// Events taken from the input topic.
        public var consumed = 0
        /// Events recorded and committed.
        public var completed = 0
        /// Invoices published to the output topic.
        public var published = 0
        /// Events sent to the dead-letter topic.
        public var deadLettered = 0
        /// Shadow runs skipped because the shadow queue was full.
        public var skippedShadows = 0
        /// Events taken again with an id and content already recorded or in flight: Kafka's
        /// redeliveries (after a crash, a rebalance or a lapsed session), done and published again
        /// and recorded once. Counted in `completed` too.
        public var redelivered = 0
    }
}
