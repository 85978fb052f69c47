import Foundation
import KafkaIO
import Logging
import ShadowCore
import ShadowLogging
import ShadowStore
import Synchronization

/// The topics through which instances (`serve --instance`) with stores of their own act as one
/// harness: each publishes its comparisons, and every store materializes all of them; a flag change
/// is proposed on the flags topic, and every store applies the changes in the topic's order.
public struct SharedTopics: Sendable, Equatable {
    /// Every instance's comparisons, keyed by event id. Default `shadow.comparisons`.
    public var comparisons = "shadow.comparisons"
    /// Flag changes, keyed by country. Default `shadow.flags`.
    public var flags = "shadow.flags"

    /// The default names.
    public init() {}

    /// Names of one's own.
    public init(comparisons: String, flags: String) {
        self.comparisons = comparisons
        self.flags = flags
    }
}

/// Reads one shared topic into a store: comparisons become rows, flag changes are applied. Each
/// batch is applied with the topic's offsets in one SQLite transaction, so a message is applied
/// exactly once however often it is read (a restart, two processes on one store file).
///
/// ``catchUp(timeout:)`` reads up to the topic's end as it is now and returns (serve does it for the
/// flags before it consumes an event; `flags set` does it before its gate check);
/// ``run()`` follows the topic until ``stop()``.
public final class TopicMaterializer: Sendable {
    /// What the topic holds.
    public enum Content: Sendable {
        /// ``ComparisonMessage``s, written as rows of this process's run.
        case comparisons(runID: Int64)
        /// ``FlagRequest``s.
        case flags
    }

    let bootstrapServers: String
    /// The topic read.
    public let topic: String
    let content: Content
    let store: ShadowStore
    let health: ServeHealth?
    let logger: Logger
    let onFlagChanges: @Sendable ([ShadowStore.FlagChange]) -> Void
    private let state = Mutex(State())

    private struct State {
        var stopping = false
        var batches: KafkaMessageBatches?
        var applied = 0
    }

    /// A reader of `topic` into `store`.
    /// - Parameters:
    ///   - onFlagChanges: Called with the flag changes each batch applied (the engine re-reads its flags).
    public init(
        bootstrapServers: String, topic: String, content: Content, store: ShadowStore, health: ServeHealth? = nil,
        logger: Logger, onFlagChanges: @escaping @Sendable ([ShadowStore.FlagChange]) -> Void = { _ in }
    ) {
        self.bootstrapServers = bootstrapServers
        self.topic = topic
        self.content = content
        self.store = store
        self.health = health
        var logger = logger
        logger[metadataKey: LogKey.component] = "shared-topics"
        logger[metadataKey: LogKey.topic] = "\(topic)"
        self.logger = logger
        self.onFlagChanges = onFlagChanges
    }

    /// Messages applied so far by this reader.
    public var applied: Int { state.withLock { $0.applied } }

    /// Reads from where the store is to the topic's end as it is at the call, then returns. Blocks:
    /// call it off the cooperative pool, or where blocking is fine (a command's start).
    /// - Throws: ``KafkaError`` when the broker does not answer within `timeout`, or the store's error.
    public func catchUp(timeout: Duration = .seconds(30)) throws {
        let consumer = try KafkaConsumer.reading(
            bootstrapServers: bootstrapServers, topic: topic, from: try store.topicOffsets(topic: topic),
            timeout: timeout, logger: logger)
        defer { consumer.close() }
        let ends = try consumer.endOffsets(topic: topic, timeout: timeout)
        var remaining = Set(ends.filter { $0.value.high > $0.value.low }.keys)
        // Partitions the store has read to their end already.
        for (partition, next) in try store.topicOffsets(topic: topic) where next >= ends[partition]?.high ?? 0 {
            remaining.remove(partition)
        }
        try store.noteRead(topic: topic, offsets: ends.filter { $0.value.high == $0.value.low }.mapValues(\.high))
        let deadline = ContinuousClock.now + timeout
        var pending: [KafkaMessage] = []
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw CatchUpTimeout(
                    description:
                        "\(topic) was not read to its end within \(timeout) (\(remaining.count) partitions left): does the broker answer?"
                )
            }
            if let message = consumer.poll(timeout: .milliseconds(100)) {
                pending.append(message)
                if message.offset + 1 >= ends[message.partition]?.high ?? 0 { remaining.remove(message.partition) }
            }
            if pending.count >= 512 || (remaining.isEmpty && !pending.isEmpty) {
                try apply(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Follows the topic until ``stop()``, from where the store is. A batch the store cannot take is
    /// retried with backoff (the `store` health check fails meanwhile); nothing is skipped.
    public func run() async throws {
        let consumer = try KafkaConsumer.reading(
            bootstrapServers: bootstrapServers, topic: topic, from: try store.topicOffsets(topic: topic), logger: logger
        )
        defer { consumer.close() }
        let batches = KafkaMessageBatches(
            consumer: consumer, maximumBatch: 1024, bufferedBatches: 4, threadName: "shared-topic-poll")
        let stopped = state.withLock { state in
            state.batches = batches
            return state.stopping
        }
        if stopped { batches.finish() }
        let backoff = Backoff()
        for await batch in batches {
            var attempt = 0
            while true {
                do {
                    try apply(batch.messages)
                    if attempt > 0 { health?.pass(.store) }
                    break
                } catch {
                    attempt += 1
                    health?.fail(.store, "cannot apply \(topic) to \(store.path): \(error)")
                    if state.withLock({ $0.stopping }) {
                        // Not lost: the store's offsets did not move, so the next start reads them again.
                        logger.warning(
                            "stopping with \(batch.messages.count) messages not applied; they are read again at the next start",
                            metadata: [LogKey.error: "\(error)"])
                        return
                    }
                    try? await Task.sleep(for: backoff.delay(attempt: attempt))  // cancelled: retried at once
                }
            }
        }
    }

    /// Ends ``run()`` after the batch it is applying.
    public func stop() {
        let batches = state.withLock { state in
            state.stopping = true
            return state.batches
        }
        batches?.finish()
    }

    private func apply(_ messages: [KafkaMessage]) throws {
        var unreadable: [(offset: Int64, error: any Error)] = []
        switch content {
        case .comparisons(let runID):
            let decoded = messages.map { message -> TopicMessage<ShadowStore.Record> in
                do {
                    return TopicMessage(
                        partition: message.partition, offset: message.offset,
                        value: try ComparisonMessage.decode(message.value))
                } catch {
                    unreadable.append((message.offset, error))
                    return TopicMessage(partition: message.partition, offset: message.offset, value: nil)
                }
            }
            let result = try store.materialize(topic: topic, decoded, runID: runID)
            report(gaps: result.gaps)
            state.withLock { $0.applied += result.applied }
        case .flags:
            let decoder = JSONDecoder()
            let decoded = messages.map { message -> TopicMessage<FlagsTopicMessage> in
                do {
                    return TopicMessage(
                        partition: message.partition, offset: message.offset,
                        value: try decoder.decode(FlagsTopicMessage.self, from: Data(message.value)))
                } catch {
                    unreadable.append((message.offset, error))
                    return TopicMessage(partition: message.partition, offset: message.offset, value: nil)
                }
            }
            let applied = try store.applyFlagsTopic(topic: topic, decoded)
            for change in applied.changes {
                logger.notice(
                    "flag \(change.country): \(change.fromSetting.description) → \(change.toSetting.description) by \(change.actor)\(change.forced ? " (forced)" : ""): \(change.reason)",
                    metadata: [LogKey.instance: "\(change.instance ?? "-")"])
            }
            for plan in applied.plans {
                logger.notice(
                    "plan \(plan.country): \(plan.status.rawValue) (\(plan.steps.map(\.description).joined(separator: ", ")) → \(plan.target.rawValue), by \(plan.actor))",
                    metadata: [LogKey.country: "\(plan.country)"])
            }
            for (request, reason) in applied.refusedPlans {
                // Another instance's command came first (two plans created at once): its proposer is told.
                logger.info(
                    "plan command \(request.action.rawValue) for \(request.country) by \(request.actor) superseded: \(reason)",
                    metadata: [LogKey.country: "\(request.country)"])
            }
            state.withLock { $0.applied += applied.changes.count + applied.plans.count }
            if !applied.changes.isEmpty { onFlagChanges(applied.changes) }
        }
        if let first = unreadable.first {
            // Skipped, not retried: the same bytes would fail again. A newer instance's format is
            // the likely cause; the health check says so until someone looks.
            logger.error(
                "\(unreadable.count) messages of \(topic) are unreadable and were skipped (first at offset \(first.offset))",
                metadata: [LogKey.error: "\(first.error)"])
            health?.fail(.sharedTopics, "\(unreadable.count) unreadable messages on \(topic): \(first.error)")
        }
    }

    private func report(gaps: [ShadowStore.TopicGap]) {
        for gap in gaps {
            logger.error(
                "\(gap.last - gap.first + 1) messages of \(topic) were dropped by the broker before this store read them: their comparisons are missing here",
                metadata: [LogKey.partition: "\(gap.partition)", LogKey.offset: "\(gap.first)"])
            health?.fail(
                .sharedTopics,
                "\(topic)[\(gap.partition)] offsets \(gap.first)...\(gap.last) dropped before they were read")
        }
    }
}

/// A topic not read to its end in the time given.
public struct CatchUpTimeout: Error, CustomStringConvertible {
    /// Which topic, and how far from its end.
    public var description: String
}

/// Proposes flag changes on the flags topic and reports what became of each in this store: applied,
/// or superseded by a change another instance made first.
public struct FlagPublisher: Sendable {
    let producer: KafkaProducer
    let topic: String
    let store: ShadowStore

    /// A publisher to `topic` whose outcomes are read from `store`.
    public init(producer: KafkaProducer, topic: String, store: ShadowStore) {
        self.producer = producer
        self.topic = topic
        self.store = store
    }

    /// Publishes `request` and waits until `store` has read the topic past it.
    /// - Parameters:
    ///   - request: The change, gate-checked by its proposer.
    ///   - timeout: How long to wait for the store to apply it.
    ///   - catchUp: Reads the topic into the store once (a process that does not follow the topic,
    ///     such as `flags set`); nil waits for the process's follower.
    /// - Returns: The change as applied.
    /// - Throws: ``ShadowStoreError`` `.superseded` when another change to the country came first,
    ///   ``KafkaError`` when the topic did not take it.
    public func publish(
        _ request: FlagRequest, timeout: Duration = .seconds(10), catchUp: (@Sendable () throws -> Void)? = nil
    ) async throws -> ShadowStore.FlagChange {
        try await deliver(request, key: request.country, timeout: timeout, catchUp: catchUp)
        if let change = try store.flagChange(requestID: request.requestID) { return change }
        let now = try store.flags()[request.country] ?? ShadowStore.defaultFlag
        throw ShadowStoreError(
            .superseded,
            "\(request.country) was changed by someone else first (it is \(now.rawValue) now, not \(request.from.rawValue)); nothing was changed: look at the history and try again"
        )
    }

    /// Publishes a plan command and waits until `store` has read the topic past it, as
    /// ``publish(_:timeout:catchUp:)-(FlagRequest,_,_)`` does.
    /// - Returns: The plan as the command left it.
    /// - Throws: ``ShadowStoreError`` `.superseded` when another command came first and this one no
    ///   longer fits, ``KafkaError`` when the topic did not take it.
    public func publish(
        _ request: PlanRequest, timeout: Duration = .seconds(10), catchUp: (@Sendable () throws -> Void)? = nil
    ) async throws -> ShadowStore.RampPlan {
        try await deliver(request, key: request.country, timeout: timeout, catchUp: catchUp)
        if let plan = try store.plan(requestID: request.requestID) { return plan }
        let now = try store.plan(country: request.country)
        throw ShadowStoreError(
            .superseded,
            "another command for \(request.country)'s plan came first (the plan is \(now?.status.rawValue ?? "gone") now); nothing was changed: look at the plans and try again"
        )
    }

    private func deliver(
        _ message: some Encodable, key: String, timeout: Duration, catchUp: (@Sendable () throws -> Void)?
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let delivered = try await producer.send(
            topic: topic, key: Array(key.utf8), value: Array(try encoder.encode(message)))
        let deadline = ContinuousClock.now + timeout
        while (try store.topicOffsets(topic: topic)[delivered.partition] ?? 0) <= delivered.offset {
            guard ContinuousClock.now < deadline else {
                throw ShadowStoreError(
                    .notApplied,
                    "the change is on \(topic) (partition \(delivered.partition), offset \(delivered.offset)) but \(store.path) has not applied it within \(timeout): is serve following the topic?"
                )
            }
            if let catchUp { try catchUp() } else { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// Proposes the automatic revert of every `live` country whose recent comparisons regressed,
    /// as ``ShadowStore/revertIfRegressed(country:policy:now:)`` decides it, on the topic: every
    /// instance may propose it, the first applies, the others are superseded, so it happens once.
    /// - Returns: The reverts this call applied.
    public func revertRegressed(policy: CutoverPolicy, instance: String?, logger: Logger) async
        -> [ShadowStore.FlagChange]
    {
        var reverted: [ShadowStore.FlagChange] = []
        do {
            for (country, flag) in try store.flags().sorted(by: { $0.key < $1.key }) where flag == .live {
                guard let request = try store.proposeRevert(country: country, policy: policy, instance: instance)
                else { continue }
                do {
                    let change = try await publish(request)
                    logger.warning(
                        "\(country) reverted to shadow: \(change.reason)", metadata: [LogKey.country: "\(country)"])
                    reverted.append(change)
                } catch let error as ShadowStoreError where error.code == .superseded {
                    logger.info(
                        "\(country): another instance's change came first", metadata: [LogKey.country: "\(country)"])
                }
            }
        } catch {
            logger.error("cannot check the live countries for a regression", metadata: [LogKey.error: "\(error)"])
        }
        return reverted
    }

    /// Proposes the next step of every running ramp plan that may move, as
    /// ``ShadowStore/advancePlans(policy:now:)`` decides it, on the topic: every instance may propose
    /// it, the first applies, so each step happens once.
    /// - Returns: The steps this call applied.
    public func advancePlans(policy: CutoverPolicy, instance: String?, logger: Logger) async
        -> [ShadowStore.FlagChange]
    {
        var applied: [ShadowStore.FlagChange] = []
        do {
            for request in try store.proposePlanSteps(policy: policy, instance: instance) {
                do {
                    let change = try await publish(request)
                    logger.notice(
                        "\(change.country): \(change.fromSetting.description) → \(change.toSetting.description) (\(change.reason))",
                        metadata: [LogKey.country: "\(change.country)"])
                    applied.append(change)
                } catch let error as ShadowStoreError where error.code == .superseded {
                    logger.info(
                        "\(request.country): another instance's change came first",
                        metadata: [LogKey.country: "\(request.country)"])
                }
            }
        } catch {
            logger.error("cannot advance the ramp plans", metadata: [LogKey.error: "\(error)"])
        }
        return applied
    }
}
