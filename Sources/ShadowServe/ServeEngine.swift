import BatchWriting
import CThreadTuning
import DocumentStore
import Foundation
import KafkaIO
import Logging
import Redaction
import ShadowCore
import ShadowLogging
import ShadowStore
import Synchronization

/// `invoice-shadow serve` without the command line: Kafka in, the flag's primary out, the other
/// implementation in shadow, every event recorded, offsets committed only when all of that is durable.
///
/// Its parts, each in a file of its own: ``KafkaMessageBatches`` consumes with back-pressure,
/// ``ClaimTable`` decides which of two events with one id keeps it, ``InvoicePublisher`` publishes
/// and dead-letters, ``CommitLedger`` says which offsets may be committed, and the two primaries'
/// pipelines (`ServeEngine+Pipelines.swift`) share their shadow and recording steps. This file
/// holds the loop that admits consumed events and hands them to a pipeline, and the row writer's
/// side: rows, claims released, offsets committed.
public final class ServeEngine: Sendable {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let renderers: [Implementation: any InvoiceRenderer]
    let comparator: OutcomeComparator
    let store: ShadowStore
    let publisher: InvoicePublisher
    let configuration: Configuration
    let policy: CutoverPolicy
    /// The event ids the store may hold: the duplicate check asks SQLite about these only.
    let recordedIDs: RecordedEventFilter
    /// What `GET /metrics` shows.
    public let metrics: ServeMetrics
    /// What `GET /health` shows.
    public let health: ServeHealth
    let logger: Logger
    /// Failures that repeat (a commit during every rebalance, a store that stays locked) are logged
    /// once per interval with their count.
    let failures: RepeatedFailureLog
    let state = Mutex(State())

    struct State {
        var counters = Counters()
        var flags: [String: FlagSetting] = [:]
        var shadowsInFlight = 0
        var ledger = CommitLedger()
        var claims = ClaimTable()
        var stopping = false
        /// The consumer's batches, while ``run(runID:)`` reads them (``stop()`` finishes them).
        var batches: KafkaMessageBatches?
        /// When events were last found lost before consumption.
        var lastLoss: ContinuousClock.Instant?
        /// The partitions the group had assigned to this member at the last look (nil: none yet).
        var assignment: [AssignedPartition]?
    }

    /// A message and when it was consumed.
    struct Consumed: Sendable {
        var message: KafkaMessage
        var at: ContinuousClock.Instant
    }

    /// A consumed event on its way: what it is, who serves it, and whether it took its id.
    struct Admitted: Sendable {
        var consumed: Consumed
        var facts: EventFacts
        var flag: CutoverFlag
        /// `StableHash.fnv1aHex` of the event.
        var hash: String
        /// What claiming its id in consumption order found (refused until ``admit(_:)`` claims).
        var claim = ClaimTable.Claim.refused
        /// Whether it holds its id (false: an event in flight holds the id with other content).
        var claimed: Bool { claim.holds }
    }

    /// One event done, waiting for its row.
    struct Done: Sendable {
        var record: ShadowStore.Record
        /// The event id this event claimed, released once its row is written (nil for a duplicate).
        var claimed: String? = nil
        var partition: CommitLedger.Partition
        var offset: Int64
    }

    /// Creates an engine; ``run(runID:)`` starts it. Its failures are logged through `logger`.
    public init(
        consumer: KafkaConsumer, producer: KafkaProducer, legacy: any InvoiceRenderer, swift: any InvoiceRenderer,
        comparator: OutcomeComparator, store: ShadowStore, objects: any ObjectStore,
        configuration: Configuration = Configuration(), policy: CutoverPolicy = CutoverPolicy(),
        metrics: ServeMetrics = ServeMetrics(), logger: Logger
    ) {
        var logger = logger
        logger[metadataKey: LogKey.component] = "engine"
        self.logger = logger
        failures = RepeatedFailureLog(logger: logger)
        self.metrics = metrics
        let health = ServeHealth(registry: metrics.registry, logger: logger)
        self.health = health
        self.consumer = consumer
        self.producer = producer
        renderers = [.legacy: legacy, .swift: swift]
        self.comparator = comparator
        self.store = store
        publisher = InvoicePublisher(
            producer: producer, objects: objects, outputTopic: configuration.outputTopic,
            deadLetterTopic: configuration.deadLetterTopic, metrics: metrics, health: health, failures: failures,
            backoff: configuration.retryBackoff)
        self.configuration = configuration
        self.policy = policy
        let rows: Int
        do {
            rows = try store.comparisonRowsEstimate()
        } catch {
            // Only the filter's first size depends on it: it grows itself when it fills.
            logger.warning(
                "cannot count the store's rows; the recorded-id filter starts small",
                metadata: [LogKey.error: "\(error)"])
            rows = 0
        }
        // Room for the rows there are and a million more before it rebuilds itself larger.
        recordedIDs = RecordedEventFilter(expected: rows + RecordedEventFilter.headroom)
    }

    /// A snapshot of the counters (consumed, recorded, published, dead-lettered, skipped shadows).
    public var counters: Counters {
        let published = publisher.published
        var counters = state.withLock { $0.counters }
        (counters.published, counters.deadLettered) = (published.invoices, published.deadLetters)
        return counters
    }

    /// Whether the engine consumes: ``run(runID:)`` started and ``stop()`` was not called.
    public var isConsuming: Bool { state.withLock { $0.batches != nil && !$0.stopping } }

    /// Asks ``run(runID:)`` to stop after the events in flight are done.
    public func stop() {
        let batches = state.withLock { state in
            state.stopping = true
            return state.batches
        }
        batches?.finish()
    }

    /// Consumes until ``stop()``; returns when every consumed event is recorded and committed.
    public func run(runID: Int64) async throws {
        try refreshFlags()
        // The output topics' metadata now, not on the first events (a blocking call: off the pool).
        let outputs = [configuration.outputTopic, configuration.deadLetterTopic]
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [producer, logger] in
                // A broker that is down now is retried by every send: not a reason to refuse to start.
                do {
                    try producer.prepare(topics: outputs)
                } catch {
                    logger.warning(
                        "the output topics' metadata did not arrive; the first sends will wait for it",
                        metadata: [LogKey.error: "\(error)"])
                }
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
            commit(all: true)
        }
        let consumeBatch = max(1, configuration.consumeBatch)
        let batches = KafkaMessageBatches(
            consumer: consumer, maximumBatch: consumeBatch, bufferedBatches: max(4, configuration.window / consumeBatch)
        )
        let stopped = state.withLock { state in
            state.batches = batches
            return state.stopping
        }
        if stopped { batches.finish() }
        // Each task returns the number of events it has finished, legacy-primary and port-primary.
        try await withThrowingTaskGroup(of: (legacy: Int, port: Int).self) { group in
            group.addTask { [self] in
                await maintain(runID: runID)
                return (0, 0)
            }
            // In flight: legacy-primary events (bounded by `window`), port-primary (by `portWindow`).
            var legacyInFlight = 0
            var portInFlight = 0
            for await batch in batches {
                let (legacy, port) = admit(batch)
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
                        try await processLegacyPrimary(event, writer: writer)
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

    /// Counts a consumed batch, reads each event's facts and flag, claims ids in consumption order,
    /// and splits the batch by primary.
    private func admit(_ batch: KafkaMessageBatches.Batch) -> (legacy: [Admitted], port: [Admitted]) {
        var gaps: [CommitLedger.Gap] = []
        let flags = state.withLock { state in
            state.counters.consumed += batch.messages.count
            for message in batch.messages {
                let partition = CommitLedger.Partition(topic: message.topic, partition: message.partition)
                if let gap = state.ledger.consumed(partition, offset: message.offset) { gaps.append(gap) }
            }
            return state.flags
        }
        if !gaps.isEmpty { reportLosses(gaps) }
        metrics.events.increment(by: Int64(batch.messages.count))
        metrics.inFlight.increment(by: Double(batch.messages.count))
        var admitted = batch.messages.map { message in
            let facts = EventFacts.read(message.value)
            let setting = flags[facts.country] ?? FlagSetting(ShadowStore.defaultFlag)
            // A partial ramp serves by the customer's bucket: the event is read in full for its id.
            let flag =
                setting.isPartial
                ? setting.flag(country: facts.country, customerID: Self.customerID(message.value)) : setting.state
            return Admitted(
                consumed: Consumed(message: message, at: batch.polledAt), facts: facts, flag: flag,
                hash: StableHash.fnv1aHex(message.value))
        }
        state.withLock { state in
            // In place: a copy of each event would retain and release its every reference.
            for index in admitted.indices {
                admitted[index].claim = state.claims.claim(admitted[index].facts.eventID, hash: admitted[index].hash)
            }
        }
        // A batch served by one side only (as in legacy or swift mode) is passed on whole: a filter
        // copies each event, retaining and then releasing its references.
        let byPort = { (event: Admitted) in event.flag.primary == .swift }
        let portCount = admitted.count(where: byPort)
        if portCount == 0 { return (admitted, []) }
        if portCount == admitted.count { return ([], admitted) }
        return (admitted.filter { !byPort($0) }, admitted.filter(byPort))
    }

    /// The event's `customer.id`, if it has one. Bytes that do not parse have none: such an event is
    /// invalid, and whichever side serves it dead-letters it, so nothing is hidden by the nil.
    static func customerID(_ event: [UInt8]) -> String? {
        guard case .object(let fields)? = try? JSONValue.parse(String(decoding: event, as: UTF8.self)),
            case .object(let customer)? = fields["customer"], case .string(let id)? = customer["id"]
        else { return nil }
        return id
    }

    /// Events the broker dropped before they were consumed: logged, counted, recorded in the store
    /// (reports and the dashboard show them) and failing the `events_lost` health check. Silent
    /// loss is the one failure a harness may never have.
    private func reportLosses(_ gaps: [CommitLedger.Gap]) {
        state.withLock { $0.lastLoss = ContinuousClock.now }
        for gap in gaps {
            logger.error(
                "\(gap.count) events lost before they were consumed: the broker dropped offsets \(gap.first)...\(gap.last)",
                metadata: [
                    LogKey.topic: "\(gap.partition.topic)", LogKey.partition: "\(gap.partition.partition)",
                    LogKey.offset: "\(gap.first)",
                ])
            metrics.eventsLost.increment(by: gap.count)
            health.fail(
                .eventsLost,
                "\(gap.count) events of \(gap.partition.topic)[\(gap.partition.partition)] dropped by the broker before they were consumed"
            )
            do {
                try store.recordLoss(
                    ShadowStore.EventLoss(
                        topic: gap.partition.topic, partition: gap.partition.partition, firstOffset: gap.first,
                        lastOffset: gap.last, detected: Date()))
            } catch {
                logger.error(
                    "cannot record the loss in the store (it is in this log and in /metrics)",
                    metadata: [LogKey.error: "\(error)"])
            }
        }
    }

    /// Until ``stop()``: keeps the recorded-id filter caught up with the store (ids another process
    /// recorded), re-reads flags (reverting regressed live countries) and updates the lag gauge.
    private func maintain(runID: Int64) async {
        while !state.withLock({ $0.stopping }) {
            // Ids recorded since the last tick (all of them, the first time), a chunk at a time.
            // (An error leaves the filter answering "maybe": the check asks SQLite.)
            do {
                while try recordedIDs.catchUp(from: store, run: runID), !state.withLock({ $0.stopping }) {
                    await Task.yield()
                }
                failures.resolved("store.catch_up")
            } catch {
                failures.failure(
                    "store.catch_up", level: .warning,
                    "cannot read the ids recorded since the last tick; the duplicate check asks the store instead",
                    metadata: [LogKey.error: "\(error)"])
            }
            // Cancelled only when the run ends; the loop's condition sees `stopping` next.
            try? await Task.sleep(for: configuration.flagRefresh)
            do {
                try refreshFlags()
                failures.resolved("store.flags")
            } catch {
                failures.failure(
                    "store.flags", "cannot re-read the cutover flags; serving with the last ones read",
                    metadata: [LogKey.error: "\(error)"])
            }
            updateLag()
            noteAssignment()
            await checkBrokers()
            // A loss stays on /health for 10 minutes: long enough to be seen, not forever.
            if let last = state.withLock({ $0.lastLoss }), ContinuousClock.now - last > .seconds(600) {
                health.pass(.eventsLost)
            }
        }
    }

    /// librdkafka reports every broker down but not their return: while it has, ask for the output
    /// topics' metadata (on a thread of its own, it blocks) until a broker answers.
    private func checkBrokers() async {
        guard producer.brokersReportedDown || consumer.brokersReportedDown else { return }
        let topics = [configuration.outputTopic]
        let answer: (any Error)? = await withCheckedContinuation { continuation in
            Thread.detachNewThread { [producer] in
                do {
                    try producer.prepare(topics: topics, timeout: .milliseconds(500))
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            }
        }
        if let answer {
            health.fail(.broker, "no broker answers: \(answer)")
        } else {
            producer.clearBrokersDown()
            consumer.clearBrokersDown()
            health.pass(.broker)
        }
    }

    /// Re-reads the flags now (a flag change arrived through the flags topic).
    public func reloadFlags() throws {
        let flags = try store.flagSettings()
        state.withLock { $0.flags = flags }
    }

    private func refreshFlags() throws {
        for country in ContractCountry.codes
        where configuration.automaticRevert && state.withLock({ $0.flags[country]?.state }) == .live {
            if let change = try store.revertIfRegressed(country: country, policy: policy) {
                logger.warning(
                    "\(country) reverted to shadow: \(change.reason)", metadata: [LogKey.country: "\(country)"])
                configuration.automaticChangeObserver?(change)
            }
        }
        if configuration.automaticRevert {
            // Ramp plans advance where reverts are made: one store, one decision per step.
            for change in try store.advancePlans(policy: policy) {
                logger.notice(
                    "\(change.country): \(change.fromSetting.description) → \(change.toSetting.description) (\(change.reason))",
                    metadata: [LogKey.country: "\(change.country)"])
                configuration.automaticChangeObserver?(change)
            }
        }
        let flags = try store.flagSettings()
        state.withLock { $0.flags = flags }
    }

    /// Logs a change of the partitions the group assigns to this member, and counts it: a rebalance
    /// (an instance joined or left, or this one's session lapsed) moves partitions, and the events
    /// done after their last commit are delivered again to whoever gets them.
    private func noteAssignment() {
        let now = consumer.assignment()
        let (before, changed) = state.withLock { state in
            let before = state.assignment
            // Nothing assigned yet is not a change.
            let changed = before != now && (before != nil || !now.isEmpty)
            if changed { state.assignment = now }
            return (before, changed)
        }
        guard changed else { return }
        metrics.assignedPartitions.set(Double(now.count))
        let kept = Set(before ?? []).intersection(now)
        let taken = now.filter { !kept.contains($0) }
        let given = (before ?? []).filter { !kept.contains($0) }
        var metadata: Logger.Metadata = ["partitions": "\(now.count)"]
        if !taken.isEmpty { metadata["assigned"] = "\(taken.map(\.description).joined(separator: ","))" }
        if !given.isEmpty { metadata["revoked"] = "\(given.map(\.description).joined(separator: ","))" }
        if before == nil {
            logger.info("the consumer group assigned this member its partitions", metadata: metadata)
        } else {
            metrics.assignmentChanges.increment()
            logger.notice(
                "the consumer group moved partitions; events done since their last commit are delivered again",
                metadata: metadata)
        }
    }

    /// Consumer lag: per assigned partition, log end minus the lowest offset not done (or the log
    /// start, for a partition this member has not consumed from yet).
    private func updateLag() {
        let watermarks = consumer.watermarks()
        let lag = state.withLock { state in
            watermarks.reduce(Int64(0)) { sum, watermark in
                let partition = CommitLedger.Partition(topic: watermark.topic, partition: watermark.partition)
                return sum + max(0, watermark.high - (state.ledger.nextUndone(partition) ?? watermark.low))
            }
        }
        metrics.consumerLag.set(Double(lag))
    }

    /// Writes one batch of rows in one transaction, then moves the committable offsets forward and
    /// commits them without waiting (the last commit, at the end of ``run(runID:)``, waits).
    private func write(_ batch: [Done], runID: Int64) throws {
        // Elements are read in place, field by field, after this one copy: a copy of a Done or a
        // Record retains every reference it holds (a lazy map's iterator copies each element).
        // Redacted here, the one door to the store and the comparisons topic (a row at parity keeps
        // no event and passes through).
        var records =
            configuration.redactor.map { redactor in batch.map { redactor.redact($0.record) } }
            ?? batch.map(\.record)
        if configuration.evidenceTopic != nil, let versions = configuration.versions {
            for index in records.indices { records[index].versions = versions }
        }
        // A store that cannot take the rows (a full disk, a lock held too long) is retried with
        // backoff, never given up on: the row writer waits, so the windows fill, the dispatch loop
        // stops taking batches and the consumer stops polling, until the store takes them.
        if let topic = configuration.evidenceTopic {
            publishEvidence(records, to: topic)
        } else {
            writeRows(records, runID: runID)
        }
        // Before the claims go: from then on only the filter and the store know these ids.
        recordedIDs.insert(records.map { $0.comparison.facts.eventID })
        state.withLock { state in
            for index in batch.indices {
                if let id = batch[index].claimed { state.claims.release(id) }
                state.counters.completed += 1
                state.ledger.finished(batch[index].partition, offset: batch[index].offset)
            }
        }
        metrics.recorded(records)
        metrics.inFlight.decrement(by: Double(batch.count))
        commit(all: false)
    }

    /// Writes rows to the store, retrying until it takes them.
    private func writeRows(_ records: [ShadowStore.Record], runID: Int64) {
        var attempt = 0
        while true {
            do {
                try store.record(records, runID: runID)
                if attempt > 0 {
                    failures.resolved("store.write")
                    logger.notice("the store takes rows again", metadata: [LogKey.attempt: "\(attempt + 1)"])
                }
                health.pass(.store)
                break
            } catch {
                attempt += 1
                let delay = configuration.retryBackoff.delay(attempt: attempt)
                health.fail(.store, "cannot write rows to \(store.path): \(error)")
                failures.failure(
                    "store.write",
                    "cannot write \(records.count) rows; retrying, consuming paused until they are written",
                    metadata: [
                        LogKey.file: "\(store.path)", LogKey.error: "\(error)", LogKey.attempt: "\(attempt)",
                        LogKey.backoffSeconds: "\(delay.seconds)",
                    ])
                metrics.retries(.store)
                // On the row writer's own thread: nothing else waits on it but the rows.
                Thread.sleep(forTimeInterval: delay.seconds)
            }
        }
    }

    /// Publishes records to the comparisons topic (keyed by event id: an event's records stay in
    /// one partition, in order) and waits until the broker has every one; a message the broker did
    /// not take is sent again with backoff, as rows are written again. Its offset is committed only
    /// after, so an event is in the topic before it is done.
    private func publishEvidence(_ records: [ShadowStore.Record], to topic: String) {
        var pending: [OutgoingMessage] = []
        pending.reserveCapacity(records.count)
        for index in records.indices {
            do {
                pending.append(
                    OutgoingMessage(
                        topic: topic, key: Array(records[index].comparison.facts.eventID.utf8),
                        value: try ComparisonMessage.encode(records[index])))
            } catch {
                // JSONEncoder fails only on values JSON cannot hold (a NaN); none is in a record.
                logger.critical(
                    "a comparison cannot be encoded; it is not published",
                    metadata: [LogKey.eventID: "\(records[index].comparison.facts.eventID)", LogKey.error: "\(error)"])
            }
        }
        var attempt = 0
        while !pending.isEmpty {
            let results = runBlocking { [producer, pending] in await producer.sendAll(pending) }
            var failed: [OutgoingMessage] = []
            var lastError: KafkaError?
            for (message, result) in zip(pending, results) {
                if case .failure(let error) = result {
                    failed.append(message)
                    lastError = error
                }
            }
            pending = failed
            guard let lastError else {
                if attempt > 0 {
                    failures.resolved("evidence.publish")
                    health.pass(.broker)
                }
                break
            }
            attempt += 1
            let delay = configuration.retryBackoff.delay(attempt: attempt)
            health.fail(.broker, "cannot publish comparisons to \(topic): \(lastError)")
            failures.failure(
                "evidence.publish",
                "cannot publish \(failed.count) comparisons to \(topic); retrying, consuming paused until they are published",
                metadata: [
                    LogKey.topic: "\(topic)", LogKey.error: "\(lastError)", LogKey.attempt: "\(attempt)",
                    LogKey.backoffSeconds: "\(delay.seconds)",
                ])
            metrics.retries(.broker)
            Thread.sleep(forTimeInterval: delay.seconds)
        }
    }

    /// Commits what the ledger says may be: without waiting for the broker, or (`all`, at the end of
    /// a run) every committable offset, waiting for each.
    private func commit(all: Bool) {
        let commits = state.withLock { $0.ledger.takeCommits(all: all) }
        if all {
            do {
                try consumer.commit(commits.map { ($0.topic, $0.partition, $0.through) }, wait: true)
            } catch {
                // Not lost: the events after the last committed offset are redelivered, and
                // recorded again idempotently.
                logger.warning(
                    "the last commit failed; the events after the committed offsets will be redelivered",
                    metadata: [LogKey.error: "\(error)"])
            }
        } else if !commits.isEmpty {
            do {
                try consumer.commitAsync(commits.map { ($0.topic, $0.partition, $0.through) })
                failures.resolved("kafka.commit")
            } catch {
                failures.failure(
                    "kafka.commit", level: .warning,
                    "a commit failed; a later one covers these offsets (a crash before it redelivers them)",
                    metadata: [LogKey.error: "\(error)"])
            }
        }
    }
}

/// Runs `body` on the cooperative pool and waits for its result on the calling thread: for a thread
/// of its own (the row writer) that needs an async call. Never call it from the pool itself.
private func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}
