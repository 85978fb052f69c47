import CThreadTuning
import Dispatch
import Foundation
import Synchronization

/// Hands items from many tasks to one dedicated thread that writes them in batches: whatever has
/// arrived while the previous batch was being written goes into the next one, up to `maximumBatch`.
/// ``submit(_:)`` returns when the batch holding its item is written (or throws what the write
/// threw), so a caller knows its item is durable, and the number of callers waiting bounds the queue.
///
/// Blocking work (SQLite transactions, Kafka commits) stays off the cooperative pool this way.
package final class BatchWriter<Item: Sendable>: Sendable {
    /// One caller's items: written in one batch, and the caller resumed once.
    private struct Pending: Sendable {
        var items: [Item]
        var continuation: CheckedContinuation<Void, any Error>
        /// When the batch holding these items is to be written at the latest (submitted + linger).
        var due: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var pending: [Pending] = []
        var closed = false
        /// A batch is being written (by the thread, or inline by a caller).
        var busy = false
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let maximumBatch: Int
    private let write: @Sendable ([Item]) throws -> Void
    private let writesInlineWhenIdle: Bool
    private let spin: Duration
    private let linger: Duration

    /// Starts the writer thread.
    /// - Parameters:
    ///   - name: The thread's name.
    ///   - maximumBatch: The most items written at once.
    ///   - writesInlineWhenIdle: A caller of one item that finds nothing queued and nothing being
    ///     written writes it itself, on its own thread, instead of waking the writer thread and waiting to be
    ///     woken in turn (two wake-ups of an idle virtual CPU: 0.1-1 ms each here). Under load the
    ///     writer is busy and callers queue as usual.
    ///   - spin: How long the thread spins for the next item before it sleeps: for writers whose
    ///     callers are on the primary path. Spinning is CPU taken from everything else (at ~1,000
    ///     small batches a second, 300 µs of spin after each was a third of a CPU).
    ///   - linger: How long the thread lets a batch fill, once it has work, before it writes it
    ///     (not when `maximumBatch` items are already waiting): for writers nobody on the primary
    ///     path waits for. At a few hundred events a second every item would otherwise be a
    ///     transaction of its own, and a wake-up of the thread. A submission may give its own
    ///     (``submit(contentsOf:linger:)``); a batch is written when its most pressing one is due.
    ///   - write: Writes one batch; runs on the writer thread, or inline as above (one at a time).
    package init(
        name: String, maximumBatch: Int, writesInlineWhenIdle: Bool = false, spin: Duration = .zero,
        linger: Duration = .zero, write: @escaping @Sendable ([Item]) throws -> Void
    ) {
        self.maximumBatch = maximumBatch
        self.spin = spin
        self.linger = linger
        self.writesInlineWhenIdle = writesInlineWhenIdle
        self.write = write
        let thread = Thread { [self] in
            _ = thread_tuning_set_name(String(name.prefix(15)))  // the kernel's limit; what perf and top show
            loop()
        }
        thread.name = name
        thread.start()
    }

    /// Queues `item` and waits until it is written.
    package func submit(_ item: Item) async throws {
        try await submit(contentsOf: [item])
    }

    /// Queues `items` and waits until all are written: one wait for the lot, and they go into the
    /// same transaction (a batch may exceed `maximumBatch` by the last caller's items).
    /// - Parameters:
    ///   - items: The items.
    ///   - linger: How long these items may wait for a fuller batch; nil: the writer's `linger`.
    package func submit(contentsOf items: [Item], linger: Duration? = nil) async throws {
        guard !items.isEmpty else { return }
        let due = ContinuousClock.now + (linger ?? self.linger)
        // One item: a caller on the primary path at low load. (Batches come under load, when the
        // pool's threads are better left rendering.)
        if writesInlineWhenIdle, items.count == 1, try writeInlineIfIdle(items) { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.pending.append(Pending(items: items, continuation: continuation, due: due))
                return true
            }
            if accepted {
                wakeup.signal()
            } else {
                continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Writes `items` on the calling thread if nothing is queued or being written; false otherwise.
    private func writeInlineIfIdle(_ items: [Item]) throws -> Bool {
        let idle = state.withLock { state -> Bool in
            guard !state.closed, !state.busy, state.pending.isEmpty else { return false }
            state.busy = true
            return true
        }
        guard idle else { return false }
        defer {
            // Whatever queued meanwhile is the thread's (and a close waits for the thread).
            let wake = state.withLock { state -> Bool in
                state.busy = false
                return !state.pending.isEmpty || state.closed
            }
            if wake { wakeup.signal() }
        }
        try write(items)
        return true
    }

    /// Writes what is queued, then stops the thread; returns when it has stopped.
    package func close() {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        wakeup.signal()
        finished.wait()
    }

    /// Waits for the next item, spinning for `spin` first: under load the next item arrives within
    /// microseconds, while waking a sleeping thread costs 0.1-1 ms on a virtual machine (the idle
    /// vCPU halts), which a caller on the primary path pays.
    private func awaitWork() {
        if spin > .zero {
            let until = ContinuousClock.now + spin
            repeat {
                if wakeup.wait(timeout: .now()) == .success { return }
                sched_yield()
            } while ContinuousClock.now < until
        }
        wakeup.wait()
    }

    /// Waits until the first pending submission is due, or `maximumBatch` items wait (every
    /// submission signals, and may bring its due time forward; so does a close).
    private func letBatchFill() {
        while true {
            let due = state.withLock { state -> ContinuousClock.Instant? in
                guard !state.closed, state.pending.reduce(0, { $0 + $1.items.count }) < maximumBatch else { return nil }
                return state.pending.lazy.map(\.due).min()
            }
            let now = ContinuousClock.now
            guard let due, due > now else { return }
            let (seconds, attoseconds) = (due - now).components
            let timeout =
                DispatchTime.now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
            if wakeup.wait(timeout: timeout) == .timedOut { return }
        }
    }

    private func loop() {
        while true {
            awaitWork()
            letBatchFill()
            while true {
                let (batch, closed) = state.withLock { state -> ([Pending], Bool) in
                    // A caller writing inline wakes the thread when it is done.
                    guard !state.busy else { return ([], false) }
                    // Whole callers, until `maximumBatch` items.
                    var count = 0
                    var items = 0
                    while count < state.pending.count && items < maximumBatch {
                        items += state.pending[count].items.count
                        count += 1
                    }
                    let batch = Array(state.pending.prefix(count))
                    state.pending.removeFirst(count)
                    state.busy = !batch.isEmpty
                    return (batch, state.closed)
                }
                if batch.isEmpty {
                    if closed {
                        finished.signal()
                        return
                    }
                    break
                }
                let result = Result { try write(batch.count == 1 ? batch[0].items : batch.flatMap(\.items)) }
                state.withLock { $0.busy = false }
                for pending in batch { pending.continuation.resume(with: result) }
            }
        }
    }
}
