import Foundation
import Redaction
import ShadowCore
import ShadowStore

/// Runs both implementations over recorded events, compares, and records: `invoice-shadow replay`
/// without the command line. No Kafka: the events come from files.
public struct ReplayEngine: Sendable {
    /// Progress after each batch is recorded.
    public struct Progress: Sendable {
        /// Events compared and recorded so far.
        public var done: Int
        /// Events in the replay.
        public var total: Int
        /// Of those, at parity.
        public var atParity: Int
        /// Time since the replay started.
        public var elapsed: Duration
    }

    /// The legacy implementation (the primary, as in `shadow` mode).
    public var legacy: any InvoiceRenderer
    /// The Swift implementation (the shadow).
    public var swift: any InvoiceRenderer
    /// How the outcomes are compared.
    public var comparator: OutcomeComparator
    /// Where comparisons are recorded.
    public var store: ShadowStore
    /// Run the legacy twice per event and treat what differs between its runs as noise.
    public var noiseCheck: Bool
    /// Events in flight at once (the legacy serializes on its one Python thread; this keeps it busy).
    public var concurrency: Int
    /// Comparisons recorded per transaction.
    public var batchSize: Int
    /// Replaces personal data in what is recorded (nil: kept as is).
    public var redactor: Redactor?
    /// The versions of both implementations, recorded with the run.
    public var versions: ShadowStore.Versions?

    /// Creates an engine.
    /// - Parameters:
    ///   - legacy: The legacy renderer.
    ///   - swift: The Swift renderer.
    ///   - comparator: The comparator, with its ignore rules.
    ///   - store: The store.
    ///   - noiseCheck: Whether to run the legacy twice per event. Default false.
    ///   - concurrency: Events in flight. Default 32.
    ///   - batchSize: Rows per transaction. Default 500.
    public init(
        legacy: any InvoiceRenderer, swift: any InvoiceRenderer, comparator: OutcomeComparator, store: ShadowStore,
        noiseCheck: Bool = false, concurrency: Int = 32, batchSize: Int = 500
    ) {
        self.legacy = legacy
        self.swift = swift
        self.comparator = comparator
        self.store = store
        self.noiseCheck = noiseCheck
        self.concurrency = concurrency
        self.batchSize = batchSize
    }

    /// Replays `events` as one run and returns its number.
    /// - Parameters:
    ///   - events: The event bytes.
    ///   - source: What is replayed, for the run row and reports.
    ///   - progress: Called after each recorded batch.
    public func replay(
        _ events: [[UInt8]], source: String, progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Int64 {
        let runID = try store.startRun(
            source: source, ignoreRules: comparator.ignoreRules, noiseCheck: noiseCheck, startedAt: Date(),
            versions: versions)
        let started = ContinuousClock.now
        var pending: [ShadowStore.Record] = []
        var done = 0
        var atParity = 0
        try await withThrowingTaskGroup(of: ShadowStore.Record.self) { group in
            var next = 0
            func submit() {
                let event = events[next]
                next += 1
                group.addTask { await compare(event) }
            }
            while next < min(concurrency, events.count) { submit() }
            while let record = try await group.next() {
                if next < events.count { submit() }
                pending.append(record)
                if record.comparison.kind.isParity { atParity += 1 }
                if pending.count >= batchSize {
                    try store.record(pending, runID: runID)
                    done += pending.count
                    pending.removeAll(keepingCapacity: true)
                    progress(Progress(done: done, total: events.count, atParity: atParity, elapsed: .now - started))
                }
            }
        }
        try store.record(pending, runID: runID)
        done += pending.count
        progress(Progress(done: done, total: events.count, atParity: atParity, elapsed: .now - started))
        try store.finishRun(runID, finishedAt: Date())
        return runID
    }

    /// Runs both sides on one event and compares them.
    public func compare(_ event: [UInt8]) async -> ShadowStore.Record {
        let facts = EventFacts.read(event)
        let legacyResult = await legacy.render(event: event)
        let repeatResult = noiseCheck ? await legacy.render(event: event) : nil
        let swiftResult = await swift.render(event: event)
        let comparison = comparator.compare(
            facts: facts, legacy: legacyResult, swift: swiftResult, legacyRepeat: repeatResult)
        let record = ShadowStore.Record(comparison: comparison, event: event, primary: .legacy, recordedAt: Date())
        return redactor.map { $0.redact(record) } ?? record
    }
}
