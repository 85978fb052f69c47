import CThreadTuning
import Foundation
import Synchronization

/// What a consumer holds, a batch at a time, as an async sequence with back-pressure.
///
/// A thread of its own polls (``KafkaConsumer/poll(timeout:)`` blocks, so it never runs on the
/// cooperative pool). Each batch is the message the poll waited for plus whatever the consumer
/// already held, up to `maximumBatch`: nothing waits for more. At most `bufferedBatches` batches wait
/// to be taken; when they are all there the thread stops polling until one is taken, so a slow
/// pipeline holds messages in librdkafka's bounded fetch queue, not in memory here.
///
/// The sequence ends after ``finish()`` (the batches already polled are still delivered), or once
/// `idleTimeout` passes without a message, if one is given.
public final class KafkaMessageBatches: AsyncSequence, Sendable {
    /// Messages polled together, and when the first of them arrived.
    public struct Batch: Sendable {
        /// The messages, in the order the consumer gave them.
        public var messages: [KafkaMessage]
        /// When the poll returned the first message: where an event's time in the harness starts.
        public var polledAt: ContinuousClock.Instant
    }

    /// A batch of messages.
    public typealias Element = Batch

    private struct State: Sendable {
        var buffered: [Batch] = []
        var waiting: CheckedContinuation<Batch?, Never>?
        /// No more batches will be polled (finish() was called, or the consumer went idle).
        var ended = false
        var finishing = false
    }

    private let state = Mutex(State())
    /// The poll thread waits on this while the buffer is full; the reader signals it as it takes a
    /// batch. (A condition, not a counting semaphore: libdispatch traps when a semaphore is
    /// released below its initial count, which a reader that stops early would leave behind.)
    private let space = NSCondition()
    private let capacity: Int

    /// Starts polling `consumer` on a thread named `threadName`.
    /// - Parameters:
    ///   - consumer: The consumer to poll.
    ///   - maximumBatch: The most messages in one batch. Default 64.
    ///   - bufferedBatches: The most batches polled ahead of the reader. Default 4.
    ///   - idleTimeout: End the sequence after this long without a message; nil never does.
    ///   - threadName: The polling thread's name, for `top -H` and `perf`.
    public init(
        consumer: KafkaConsumer, maximumBatch: Int = 64, bufferedBatches: Int = 4, idleTimeout: Duration? = nil,
        threadName: String = "kafka-cons-poll"
    ) {
        capacity = Swift.max(1, bufferedBatches)
        let maximumBatch = Swift.max(1, maximumBatch)
        let thread = Thread { [self] in
            _ = thread_tuning_set_name(threadName)
            var lastMessage = ContinuousClock.now
            while !state.withLock({ $0.finishing }) {
                // Wait for room; wake up now and then to see whether finish() was called.
                space.lock()
                let full = state.withLock { $0.buffered.count >= capacity }
                if full { _ = space.wait(until: Date(timeIntervalSinceNow: 0.1)) }
                space.unlock()
                if full { continue }
                var batch: Batch?
                while batch == nil, !state.withLock({ $0.finishing }) {
                    if let message = consumer.poll(timeout: .milliseconds(100)) {
                        var messages = [message]
                        let polledAt = ContinuousClock.now
                        while messages.count < maximumBatch, let next = consumer.poll(timeout: .zero) {
                            messages.append(next)
                        }
                        batch = Batch(messages: messages, polledAt: polledAt)
                        lastMessage = polledAt
                    } else if let idleTimeout, ContinuousClock.now - lastMessage >= idleTimeout {
                        state.withLock { $0.finishing = true }
                    }
                }
                guard let batch else { break }
                deliver(batch)
            }
            end()
        }
        thread.name = threadName
        thread.start()
    }

    /// Batches polled and not taken yet (never more than `bufferedBatches`), for tests.
    package var bufferedCount: Int { state.withLock { $0.buffered.count } }

    /// Stops polling; the sequence ends once the batches already polled are taken.
    public func finish() {
        state.withLock { $0.finishing = true }
    }

    private func deliver(_ batch: Batch) {
        let waiting = state.withLock { state -> CheckedContinuation<Batch?, Never>? in
            if let waiting = state.waiting {
                state.waiting = nil
                return waiting
            }
            state.buffered.append(batch)
            return nil
        }
        waiting?.resume(returning: batch)
    }

    private func end() {
        let waiting = state.withLock { state -> CheckedContinuation<Batch?, Never>? in
            state.ended = true
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume(returning: nil)
    }

    /// The next batch, or nil once the sequence has ended. A cancelled reader ends the sequence
    /// (the batches already polled are still handed to the next call).
    func next() async -> Batch? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Batch?, Never>) in
                let answer = state.withLock { state -> Batch?? in
                    if !state.buffered.isEmpty { return .some(state.buffered.removeFirst()) }
                    if state.ended { return .some(nil) }
                    state.waiting = continuation
                    return nil
                }
                if let answer {
                    if answer != nil {
                        space.lock()
                        space.signal()
                        space.unlock()
                    }
                    continuation.resume(returning: answer)
                }
            }
        } onCancel: {
            finish()
        }
    }

    /// Iterates the batches.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let batches: KafkaMessageBatches

        /// The next batch, or nil once the sequence has ended.
        public mutating func next() async -> Batch? {
            await batches.next()
        }
    }

    /// An iterator; one reader at a time.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(batches: self)
    }
}
