import BatchWriting
import CThreadTuning
import DocumentStore
import Foundation
import KafkaIO
import ShadowCore
import ShadowStore
import Synchronization

/// `invoice-shadow serve` without the command line: Kafka in, the flag's primary out, the other
/// implementation in shadow, every event recorded, offsets committed only when all of that is durable.
public final class ServeEngine: Sendable {
    /// Topics and limits.
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
        /// The Python thread takes them one at a time, so a deeper window only lengthens its queue:
        /// both full benches with 1,024 showed resident memory growth of +6.3% from 100k to 1M events
        /// in shadow mode (+2.52% with 256, same day), over the 5% target.
        public var window = 256
        /// Port-primary events in flight at once. Default 8,192.
        ///
        /// Each spends most of its time in flight waiting for its row's transaction (up to
        /// `portRowLinger`, or until `maximumBatch` rows wait, and the transaction itself), so the
        /// window holds two full batches: one being written, one filling. (2,048, the default
        /// before, bounded swift mode: `bench serve --flag swift` kept 1.61-1.63 CPUs busy with
        /// it, 1.72-1.73 with 8,192 or 16,384.) What an event holds while it waits is its message
        /// and its row, not its invoice; resident memory in swift mode, 200,000 events: 167-170 MiB
        /// with 2,048, 225-230 with 8,192, 263-310 with 16,384.
        public var portWindow = 8_192
        /// The most rows written in one SQLite transaction. Default 4,096.
        public var maximumBatch = 4_096
        /// How long the row writer lets a batch fill before its transaction (unless `maximumBatch`
        /// rows are waiting). Default 10 ms: at ~1,000 events a second (shadow mode) rows otherwise
        /// go one per transaction, and the row writer took ~150 us of CPU per event, four times
        /// its cost in swift mode's large batches. Rows gate only offset commits and the window;
        /// legacy-primary rows also hold the legacy's `window`, which stays short this way.
        public var rowLinger: Duration = .milliseconds(10)
        /// ``rowLinger`` for the rows of port-primary events, which hold only the deep `portWindow`.
        /// Default 200 ms.
        ///
        /// Every row's insert into the `event_id` index lands on a random page, and each page a
        /// transaction touches is one WAL frame, whatever number of rows changed it: larger
        /// transactions share pages. Measured in `bench serve --flag swift` (200,000 events, this
        /// VM on a slow day), rows per transaction 336-367 (10 ms) against 1,763 (200 ms): the
        /// row writer's CPU per event 50.5-52.2 us against 38.1.
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

        /// Called with each event's primary-path timing, for benchmarks; its ``PrimaryTiming/added``
        /// feeds `invoice_shadow_added_seconds`.
        public var primaryTimingObserver: (@Sendable (PrimaryTiming) -> Void)?

        /// The defaults.
        public init() {}
    }

    /// One event's primary path, from consumed to its result published (acknowledged by the broker).
    public struct PrimaryTiming: Sendable {
        /// Consumed → published.
        public var total: Duration
        /// The primary render's own work.
        public var render: Duration
        /// Time the render waited for the legacy's one Python thread to finish other events (the
        /// legacy alone would have made it wait as long).
        public var waitBehindOtherEvents: Duration
        /// What the harness added: ``total`` minus ``render`` and ``waitBehindOtherEvents``.
        public var added: Duration { max(.zero, total - render - waitBehindOtherEvents) }

        /// Where ``total`` went, stage by stage (they add up to it but for a few clock reads):
        /// consumed → the primary render asked for (decoding, the duplicate check, scheduling).
        public var beforeRender: Duration = .zero
        /// The render asked for → its result back (the render, the wait behind other events, and
        /// the hand-off to and from the Python thread).
        public var renderCall: Duration = .zero
        /// The HTML and the invoice index written to the object store (zero for a dead letter).
        public var objectStore: Duration = .zero
        /// The invoice (or the dead letter) sent → acknowledged by the broker.
        public var kafka: Duration = .zero
        /// Port-primary events, rendered in batches: the time this event waited for the others of
        /// its batch (their renders and dead letters before its own store and send, and theirs
        /// after). Zero for a legacy-primary event.
        public var batchWait: Duration = .zero
        /// ``renderCall`` less the render itself and ``waitBehindOtherEvents``: the hand-off.
        public var renderHandOff: Duration { max(.zero, renderCall - render - waitBehindOtherEvents) }
    }

    /// Counters, for metrics and tests.
    public struct Counters: Sendable, Equatable {
        /// Events consumed.
        public var consumed = 0
        /// Events recorded and committed.
        public var completed = 0
        /// Invoices published.
        public var published = 0
        /// Events sent to the dead-letter topic.
        public var deadLettered = 0
        /// Shadow runs skipped because the shadow queue was full.
        public var skippedShadows = 0
    }

    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let renderers: [Implementation: any InvoiceRenderer]
    private let comparator: OutcomeComparator
    private let store: ShadowStore
    private let objects: any ObjectStore
    private let configuration: Configuration
    private let policy: CutoverPolicy
    /// The event ids the store may hold: the duplicate check asks SQLite about these only.
    private let recordedIDs: RecordedEventFilter
    /// What `GET /metrics` shows.
    public let metrics: ServeMetrics
    private let state = Mutex(State())

    private struct State {
        var counters = Counters()
        var flags: [String: CutoverFlag] = [:]
        var shadowsInFlight = 0
        var tracker = OffsetTracker()
        var stopping = false
        /// Per topic and partition, the last offset safe to commit and whether it is committed yet.
        var committable: [PartitionKey: (offset: Int64, committed: Bool)] = [:]
        /// Event ids taken by events in flight (not recorded yet), with their hashes and how many
        /// events hold each (a redelivery in flight beside its original holds it too).
        /// Keyed by code points (ExactText), as the store tells ids apart.
        var claims: [ExactText: (hash: String, holders: Int)] = [:]

        /// One holder fewer for `id`'s claim; the claim goes with its last holder.
        mutating func release(_ id: String) {
            let key = ExactText(id)
            guard let claim = claims[key] else { return }
            claims[key] = claim.holders > 1 ? (claim.hash, claim.holders - 1) : nil
        }
    }

    private struct PartitionKey: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    /// A message and when it was consumed.
    private struct Consumed: Sendable {
        var message: KafkaMessage
        var at: ContinuousClock.Instant
    }

    /// A consumed event on its way: what it is, who serves it, and whether it took its id.
    private struct Admitted: Sendable {
        var consumed: Consumed
        var facts: EventFacts
        var flag: CutoverFlag
        /// `StableHash.hex` of the event.
        var hash: String
        /// Whether it claimed its id in consumption order (false: an event in flight holds the id
        /// with other content).
        var claimed: Bool
    }

    /// One event done, waiting for its row.
    private struct Done: Sendable {
        var record: ShadowStore.Record
        /// The event id this event claimed, released once its row is written (nil for a duplicate).
        var claimed: String? = nil
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    /// Creates an engine; ``run(runID:)`` starts it.
    public init(
        consumer: KafkaConsumer, producer: KafkaProducer, legacy: any InvoiceRenderer, swift: any InvoiceRenderer,
        comparator: OutcomeComparator, store: ShadowStore, objects: any ObjectStore,
        configuration: Configuration = Configuration(), policy: CutoverPolicy = CutoverPolicy(),
        metrics: ServeMetrics = ServeMetrics()
    ) {
        self.metrics = metrics
        self.consumer = consumer
        self.producer = producer
        renderers = [.legacy: legacy, .swift: swift]
        self.comparator = comparator
        self.store = store
        self.objects = objects
        self.configuration = configuration
        self.policy = policy
        // Room for the rows there are and a million more before it rebuilds itself larger.
        recordedIDs = RecordedEventFilter(expected: ((try? store.comparisonRowsEstimate()) ?? 0) + 1_000_000)
    }

    /// Current counters.
    public var counters: Counters { state.withLock { $0.counters } }

    /// Asks ``run(runID:)`` to stop after the events in flight are done.
    public func stop() {
        state.withLock { $0.stopping = true }
    }

    /// Consumes until ``stop()``; returns when every consumed event is recorded and committed.
    public func run(runID: Int64) async throws {
        try refreshFlags()
        // The output topics' metadata now, not on the first events (a blocking call: off the pool).
        let outputs = [configuration.outputTopic, configuration.deadLetterTopic]
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [producer] in
                // A broker that is down now is retried by every send: not a reason to refuse to start.
                try? producer.prepare(topics: outputs)
                continuation.resume()
            }
        }
        // Rows are written, and offsets committed, in batches on a thread of their own, which lets
        // a batch fill for `rowLinger` (nothing on the primary path waits for a row).
        let writer = BatchWriter<Done>(
            name: "row-writer", maximumBatch: configuration.maximumBatch, linger: configuration.rowLinger
        ) { [self] batch in try write(batch, runID: runID) }
        defer {
            writer.close()
            commitCommittable(synchronously: true)
        }
        let consumeBatch = max(1, configuration.consumeBatch)
        let messages = AsyncStream<[Consumed]>(
            bufferingPolicy: .bufferingOldest(max(4, configuration.window / consumeBatch))
        ) {
            continuation in
            // poll blocks: it runs on a thread of its own.
            let thread = Thread { [self] in
                _ = thread_tuning_set_name("kafka-cons-poll")
                while !state.withLock({ $0.stopping }) {
                    if let message = consumer.poll(timeout: .milliseconds(100)) {
                        var batch = [Consumed(message: message, at: ContinuousClock.now)]
                        // What the consumer already holds joins the batch; nothing waits for more.
                        while batch.count < consumeBatch, let next = consumer.poll(timeout: .zero) {
                            batch.append(Consumed(message: next, at: ContinuousClock.now))
                        }
                        while case .dropped = continuation.yield(batch) {
                            Thread.sleep(forTimeInterval: 0.001)  // full: wait for the pipeline (back-pressure)
                            if state.withLock({ $0.stopping }) { break }
                        }
                    }
                }
                continuation.finish()
            }
            thread.name = "kafka-cons-poll"
            thread.start()
        }
        // Each task returns the number of events it has finished, legacy-primary and port-primary.
        try await withThrowingTaskGroup(of: (legacy: Int, port: Int).self) { group in
            group.addTask { [self] in
                while !state.withLock({ $0.stopping }) {
                    // Ids recorded since the last tick (all of them, the first time), a chunk at a
                    // time. (An error leaves the filter answering "maybe": the check asks SQLite.)
                    while (try? recordedIDs.catchUp(from: store, run: runID)) == true, !state.withLock({ $0.stopping })
                    {
                        await Task.yield()
                    }
                    try? await Task.sleep(for: configuration.flagRefresh)
                    try? refreshFlags()
                    updateLag()
                }
                return (0, 0)
            }
            // In flight: legacy-primary events (bounded by `window`), port-primary (by `portWindow`).
            var legacyInFlight = 0
            var portInFlight = 0
            for await batch in messages {
                let flags = state.withLock { state in
                    for consumed in batch {
                        state.counters.consumed += 1
                        state.tracker.started(partition: consumed.message.partition, at: consumed.message.offset)
                    }
                    return state.flags
                }
                metrics.events.increment(by: Int64(batch.count))
                metrics.inFlight.increment(by: Double(batch.count))
                // Ids are claimed here, in consumption order: of two events with one id, the first
                // consumed keeps it, however the tasks are scheduled.
                var admitted = batch.map { consumed in
                    let facts = EventFacts.read(consumed.message.value)
                    return Admitted(
                        consumed: consumed, facts: facts, flag: flags[facts.country] ?? ShadowStore.defaultFlag,
                        hash: StableHash.hex(consumed.message.value), claimed: false)
                }
                claimInFlight(&admitted)
                // A batch served by one side only (as in legacy or swift mode) is passed on whole: a
                // filter copies each event, retaining and then releasing its ten references.
                let byPort = { (event: Admitted) in event.flag.primary == .swift }
                let portCount = admitted.count(where: byPort)
                let (legacy, port): ([Admitted], [Admitted]) =
                    portCount == 0
                    ? (admitted, [])
                    : portCount == admitted.count
                        ? ([], admitted) : (admitted.filter { !byPort($0) }, admitted.filter(byPort))
                while (legacyInFlight > 0 && legacyInFlight + legacy.count > configuration.window)
                    || (portInFlight > 0 && portInFlight + port.count > configuration.portWindow)
                {
                    let finished = try await group.next() ?? (0, 0)
                    legacyInFlight -= finished.legacy
                    portInFlight -= finished.port
                }
                legacyInFlight += legacy.count
                portInFlight += port.count
                // Legacy-primary: one task each (none waits for another's render); port-primary: one
                // task for the batch.
                for event in legacy {
                    group.addTask { [self] in
                        try await process(event, writer: writer)
                        return (1, 0)
                    }
                }
                if !port.isEmpty {
                    group.addTask { [self] in
                        try await processPortPrimary(port, writer: writer)
                        return (0, port.count)
                    }
                }
            }
            stop()
            try await group.waitForAll()
        }
    }

    private func refreshFlags() throws {
        for country in ContractCountry.codes where state.withLock({ $0.flags[country] }) == .live {
            _ = try store.revertIfRegressed(country: country, policy: policy)
        }
        let flags = try store.flags()
        state.withLock { $0.flags = flags }
    }

    /// Consumer lag: per assigned partition, log end minus the lowest offset not done (or the log
    /// start, for a partition this member has not consumed from yet).
    private func updateLag() {
        let watermarks = consumer.watermarks()
        let lag = state.withLock { state in
            watermarks.reduce(Int64(0)) { sum, partition in
                sum
                    + max(
                        0, partition.high - (state.tracker.nextUndone(partition: partition.partition) ?? partition.low))
            }
        }
        metrics.consumerLag.set(Double(lag))
    }

    /// Writes one batch of rows in one transaction, then moves the committable offsets forward and
    /// commits them without waiting (the last commit, at the end of ``run(runID:)``, waits).
    private func write(_ batch: [Done], runID: Int64) throws {
        // Elements are read in place, field by field, after this one copy: a copy of a Done or a
        // Record retains every reference it holds (a lazy map's iterator copies each element).
        let records = batch.map(\.record)
        try store.record(records, runID: runID)
        // Before the claims go: from then on only the filter and the store know these ids.
        recordedIDs.insert(records.map { $0.comparison.facts.eventID })
        state.withLock { state in
            for index in batch.indices {
                if let id = batch[index].claimed { state.release(id) }
                state.counters.completed += 1
                let partition = batch[index].partition
                if let offset = state.tracker.finish(partition: partition, offset: batch[index].offset) {
                    state.committable[PartitionKey(topic: batch[index].topic, partition: partition)] = (offset, false)
                }
            }
        }
        metrics.recorded(records)
        metrics.inFlight.decrement(by: Double(batch.count))
        commitCommittable(synchronously: false)
    }

    private func commitCommittable(synchronously: Bool) {
        let offsets = state.withLock { state -> [(topic: String, partition: Int32, through: Int64)] in
            var offsets: [(topic: String, partition: Int32, through: Int64)] = []
            for (key, value) in state.committable where synchronously || !value.committed {
                offsets.append((key.topic, key.partition, value.offset))
                state.committable[key] = (value.offset, true)
            }
            return offsets
        }
        if synchronously {
            for entry in offsets {
                try? consumer.commit(topic: entry.topic, partition: entry.partition, through: entry.through)
            }
        } else {
            try? consumer.commitAsync(offsets)
        }
    }

    /// Port-primary events of one batch: one duplicate-id query, the renders one after the other,
    /// one object-store write, one burst of sends, one row submission.
    private func processPortPrimary(_ events: [Admitted], writer: BatchWriter<Done>) async throws {
        let held = try confirmClaims(events)
        var rendered:
            [(index: Int, primary: SideResult, asked: ContinuousClock.Instant, back: ContinuousClock.Instant)] =
                []
        rendered.reserveCapacity(events.count)
        // Events are read in place, field by field: a copy of an Admitted retains its ten
        // references (the message, the facts' strings, the hash) and releases them again.
        let swift = renderers[.swift]!
        for index in events.indices {
            guard held[index] else {
                try await recordDuplicate(events[index], writer: writer)
                continue
            }
            let asked = ContinuousClock.now
            let primary = await swift.render(event: events[index].consumed.message.value)
            rendered.append((index, primary, asked, ContinuousClock.now))
        }
        // Invoices: stored together, then sent together. Other outcomes are dead-lettered one by one.
        var invoices: [(index: Int, number: String, json: [UInt8])] = []
        var documents: [RenderedDocument] = []
        // By event index (a dictionary here was a hash and an insert per event): each event's
        // stages, and when its own store and send began and ended (the rest is the batch's).
        var stages = [(objectStore: Duration, kafka: Duration)](repeating: (.zero, .zero), count: events.count)
        let batchStart = ContinuousClock.now
        var own = [(began: ContinuousClock.Instant, ended: ContinuousClock.Instant)](
            repeating: (batchStart, batchStart), count: events.count)
        for entry in rendered {
            if case .rendered(let invoice) = entry.primary.outcome {
                let json = invoice.invoiceJSONBytes
                let number = Self.invoiceNumber(invoice, json: json, facts: events[entry.index].facts)
                invoices.append((entry.index, number, json))
                documents.append(RenderedDocument(number: number, json: json, html: invoice.htmlBytes))
            } else {
                let began = ContinuousClock.now
                stages[entry.index] = try await publish(
                    entry.primary.outcome, event: events[entry.index].consumed.message.value,
                    facts: events[entry.index].facts, implementation: .swift)
                own[entry.index] = (began, ContinuousClock.now)
            }
        }
        if !documents.isEmpty {
            let started = ContinuousClock.now
            let keys = try await objects.storeRendered(documents)
            let stored = ContinuousClock.now
            let messages = zip(invoices, keys).map { invoice, key in
                invoiceMessage(
                    number: invoice.number, json: invoice.json, htmlKey: key, facts: events[invoice.index].facts,
                    implementation: .swift)
            }
            for report in await producer.sendAll(messages) { _ = try report.get() }
            let sent = ContinuousClock.now
            state.withLock { $0.counters.published += documents.count }
            metrics.published.increment(by: Int64(documents.count))
            for invoice in invoices {
                stages[invoice.index] = (stored - started, sent - stored)
                own[invoice.index] = (started, sent)
            }
        }
        let finished = ContinuousClock.now
        var dones: [Done] = []
        dones.reserveCapacity(rendered.count)
        var shadowed: [(index: Int, primary: SideResult)] = []
        for entry in rendered {
            let index = entry.index
            let consumedAt = events[index].consumed.at
            var timing = PrimaryTiming(
                total: finished - consumedAt, render: entry.primary.latency,
                waitBehindOtherEvents: entry.primary.waitBehindOtherEvents)
            timing.beforeRender = entry.asked - consumedAt
            timing.renderCall = entry.back - entry.asked
            (timing.objectStore, timing.kafka) = stages[index]
            timing.batchWait = max(.zero, own[index].began - entry.back) + (finished - own[index].ended)
            metrics.added.record(timing.added)
            configuration.primaryTimingObserver?(timing)
            if events[index].flag.shadow == nil {
                let comparison = await shadowAndCompare(
                    event: events[index].consumed.message.value, facts: events[index].facts,
                    flag: events[index].flag, primary: entry.primary)
                dones.append(done(events[index], comparison: comparison))
            } else {
                shadowed.append((index, entry.primary))
            }
        }
        // Shadows at low priority, in a task group only when there are any (swift mode has none).
        if !shadowed.isEmpty {
            await withTaskGroup(of: (Int, Comparison).self) { group in
                for (index, primary) in shadowed {
                    let event = events[index]
                    group.addTask(priority: .low) { [self] in
                        (
                            index,
                            await shadowAndCompare(
                                event: event.consumed.message.value, facts: event.facts, flag: event.flag,
                                primary: primary)
                        )
                    }
                }
                for await (index, comparison) in group {
                    dones.append(done(events[index], comparison: comparison))
                }
            }
        }
        // The rows hold what is written; the invoices go now, not once the rows are (thousands of
        // events wait for theirs in the window).
        (rendered, invoices, documents, shadowed) = ([], [], [], [])
        try await writer.submit(contentsOf: dones, linger: configuration.portRowLinger)
    }

    /// `event`'s row; `claimed` when the event holds its id (its claim is released once written).
    private func done(_ event: Admitted, comparison: Comparison, claimed: Bool = true) -> Done {
        let message = event.consumed.message
        return Done(
            record: ShadowStore.Record(
                comparison: comparison, event: message.value, primary: event.flag.primary, recordedAt: Date(),
                eventHash: event.hash
            ).withoutUnwrittenBytes(),
            claimed: claimed ? event.facts.eventID : nil, topic: message.topic, partition: message.partition,
            offset: message.offset)
    }

    /// The invoice's number (its key on the output topic and in the object store's index).
    /// The number the implementation gave, else the JSON's (the legacy's), else the event id.
    private static func invoiceNumber(_ invoice: RenderedInvoice, json: [UInt8], facts: EventFacts) -> String {
        invoice.number ?? JSONValue.topLevelStrings(["number"], in: json)[0] ?? facts.eventID
    }

    /// The invoice as it goes out on the output topic.
    private func invoiceMessage(
        number: String, json: [UInt8], htmlKey: String, facts: EventFacts, implementation: Implementation
    ) -> OutgoingMessage {
        OutgoingMessage(
            topic: configuration.outputTopic, key: Array(number.utf8), value: json,
            headers: [
                ("implementation", Array(implementation.rawValue.utf8)), ("html-object", Array(htmlKey.utf8)),
                ("event-id", Array(facts.eventID.utf8)),
            ])
    }

    private func process(_ admitted: Admitted, writer: BatchWriter<Done>) async throws {
        let message = admitted.consumed.message
        let consumed = admitted.consumed.at
        let event = message.value
        let (facts, flag) = (admitted.facts, admitted.flag)
        guard try confirmClaims([admitted])[0] else {
            try await recordDuplicate(admitted, writer: writer)
            return
        }
        let renderAsked = ContinuousClock.now
        let primary = await renderers[flag.primary]!.render(event: event)
        let rendered = ContinuousClock.now
        let stages = try await publish(primary.outcome, event: event, facts: facts, implementation: flag.primary)
        var timing = PrimaryTiming(
            total: ContinuousClock.now - consumed, render: primary.latency,
            waitBehindOtherEvents: primary.waitBehindOtherEvents)
        timing.beforeRender = renderAsked - consumed
        timing.renderCall = rendered - renderAsked
        (timing.objectStore, timing.kafka) = stages
        metrics.added.record(timing.added)
        configuration.primaryTimingObserver?(timing)

        // A shadow and its comparison are off the primary path: at low priority, so that the next
        // events' primary work is scheduled first on the cooperative pool. Without a shadow the
        // one-sided classification is cheap and stays inline (no task per event).
        let comparison =
            flag.shadow == nil
            ? await shadowAndCompare(event: event, facts: facts, flag: flag, primary: primary)
            : await Task(priority: .low) { [self] in
                await shadowAndCompare(event: event, facts: facts, flag: flag, primary: primary)
            }.value
        try await writer.submit(done(admitted, comparison: comparison))
    }

    /// Claims each event's id for it, in order, unless an event in flight holds the id with other
    /// content (a redelivery in flight beside its original shares the claim).
    private func claimInFlight(_ events: inout [Admitted]) {
        state.withLock { state in
            // In place: a copy of each event would retain and release its every reference.
            for index in events.indices {
                let id = ExactText(events[index].facts.eventID)
                if let claim = state.claims[id] {
                    events[index].claimed = claim.hash == events[index].hash
                    if events[index].claimed { state.claims[id] = (claim.hash, claim.holders + 1) }
                } else {
                    state.claims[id] = (events[index].hash, 1)
                    events[index].claimed = true
                }
            }
        }
    }

    /// Per event, whether it keeps its id: it claimed it in flight and the store does not hold the
    /// id with other content (then the claim is released). The claim came first, so there is no
    /// gap in which two events with one id could both pass: a holder's row is written before its
    /// claim is released.
    private func confirmClaims(_ events: [Admitted]) throws -> [Bool] {
        var held = events.map(\.claimed)
        let claimed = events.filter(\.claimed).map(\.facts.eventID)
        let recorded = try store.recordedEventHashes(
            eventIDs: zip(claimed, recordedIDs.mayContain(claimed)).compactMap { $1 ? $0 : nil })
        var released: [String] = []
        for (index, event) in events.enumerated() where held[index] {
            if let hash = recorded[ExactText(event.facts.eventID)], hash != event.hash {
                held[index] = false
                released.append(event.facts.eventID)
            }
        }
        if !released.isEmpty { state.withLock { state in released.forEach { state.release($0) } } }
        return held
    }

    /// Another event already holds this event's id: it keeps its row and its invoice; this one is
    /// dead-lettered and recorded under an id of its own. (A redelivery has the same bytes and is
    /// processed again, idempotently.)
    private func recordDuplicate(_ event: Admitted, writer: BatchWriter<Done>) async throws {
        let id = event.facts.eventID
        let reason = "duplicate event_id: \(id) is already taken by an event with different content"
        var duplicate = event.facts
        duplicate.eventID = id + "#" + event.hash
        let gate = SideResult(outcome: .invalidEvent(field: "event_id", reason: reason), latency: .zero)
        try await deadLetter(
            event.consumed.message.value, reason: "invalid event: event_id: \(reason)",
            headers: [("implementation", Array("invoice-shadow".utf8))])
        try await writer.submit(
            done(event, comparison: comparator.compare(facts: duplicate, legacy: gate, swift: gate), claimed: false))
    }

    /// Runs the shadow side (when the flag has one and there is room) and compares.
    private func shadowAndCompare(event: [UInt8], facts: EventFacts, flag: CutoverFlag, primary: SideResult) async
        -> Comparison
    {
        var shadow: SideResult?
        if let shadowSide = flag.shadow {
            let admitted = state.withLock { state -> Bool in
                guard state.shadowsInFlight < configuration.shadowCapacity else {
                    state.counters.skippedShadows += 1
                    metrics.skippedShadows.increment()
                    return false
                }
                state.shadowsInFlight += 1
                return true
            }
            if admitted {
                metrics.shadowsInFlight.increment()
                shadow = await renderers[shadowSide]!.render(event: event)
                state.withLock { $0.shadowsInFlight -= 1 }
                metrics.shadowsInFlight.decrement()
            }
        }
        let (legacy, swift): (SideResult?, SideResult?) =
            flag.primary == .legacy ? (primary, shadow) : (shadow, primary)
        if let legacy, let swift {
            return comparator.compare(facts: facts, legacy: legacy, swift: swift)
        } else {
            // Only one side ran (legacy or swift mode, or the shadow queue was full).
            return comparator.compare(facts: facts, legacy: legacy ?? primary, swift: nil)
        }
    }

    /// Publishes the primary's result; returns how long the object store and the broker took.
    private func publish(_ outcome: RenderOutcome, event: [UInt8], facts: EventFacts, implementation: Implementation)
        async throws -> (objectStore: Duration, kafka: Duration)
    {
        let source = ("implementation", Array(implementation.rawValue.utf8))
        let started = ContinuousClock.now
        switch outcome {
        case .rendered(let invoice):
            let json = invoice.invoiceJSONBytes
            let number = Self.invoiceNumber(invoice, json: json, facts: facts)
            let key = try await objects.storeRendered(number: number, json: json, html: invoice.htmlBytes)
            let stored = ContinuousClock.now
            let message = invoiceMessage(
                number: number, json: json, htmlKey: key, facts: facts, implementation: implementation)
            _ = try await producer.send(
                topic: message.topic, key: message.key, value: message.value, headers: message.headers)
            state.withLock { $0.counters.published += 1 }
            metrics.published.increment()
            return (stored - started, ContinuousClock.now - stored)
        case .invalidEvent(let field, let reason):
            try await deadLetter(event, reason: "invalid event: \(field): \(reason)", headers: [source])
        case .failed(let failure):
            try await deadLetter(
                event, reason: "\(implementation.rawValue) failed: \(failure.type): \(failure.message)",
                headers: [source])
        case .timedOut:
            try await deadLetter(event, reason: "\(implementation.rawValue) timed out", headers: [source])
        }
        return (.zero, ContinuousClock.now - started)
    }

    /// Sends `event` to the dead-letter topic with its reason. An event the broker refuses as too
    /// large goes as its first 64 KiB with `truncated-from` (its size) and `sha` headers; the store
    /// row keeps the whole event.
    private func deadLetter(_ event: [UInt8], reason: String, headers: [(String, [UInt8])]) async throws {
        let all = headers + [("reason", Array(reason.utf8))]
        var refused: KafkaError?
        do {
            _ = try await producer.send(topic: configuration.deadLetterTopic, key: nil, value: event, headers: all)
        } catch {
            refused = error
        }
        if let refused, refused.isMessageTooLarge {
            _ = try await producer.send(
                topic: configuration.deadLetterTopic, key: nil, value: Array(event.prefix(65_536)),
                headers: all + [
                    ("truncated-from", Array(String(event.count).utf8)), ("sha", Array(StableHash.hex(event).utf8)),
                ])
        } else if let refused {
            throw refused
        }
        state.withLock { $0.counters.deadLettered += 1 }
        metrics.deadLettered.increment()
    }
}
