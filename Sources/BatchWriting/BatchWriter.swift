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
        /// The items of `pending`.
        var pendingItems = 0
        var closed = false
        /// A batch is being written (by the thread, or inline by a caller).
        var busy = false
        /// What the thread is waiting for, so that a submission wakes it only when that changes.
        var thread = ThreadWait.running
        /// Submissions that woke the thread.
        var wakeUps = 0
    }

    /// Why the writer thread is asleep (or that it is not, and looks at `pending` before it sleeps).
    private enum ThreadWait: Sendable {
        case running
        /// For anything to write.
        case work
        /// For the batch's most pressing submission to be due (or for `maximumBatch` items).
        case due(ContinuousClock.Instant)
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
        let linger = linger ?? self.linger
        // One item: a caller on the primary path at low load. (Batches come under load, when the
        // pool's threads are better left rendering.)
        if writesInlineWhenIdle, items.count == 1, try writeInlineIfIdle(items) { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            // nil: closed. Only a submission that changes what the sleeping thread waits for wakes
            // it: while a batch lingers, the others join it without a wake-up each.
            let wake = state.withLock { state -> Bool? in
                guard !state.closed else { return nil }
                // Read under the lock: submissions of one linger are due in the order they queue,
                // so a later one never wakes the thread lingering for an earlier one.
                let due = ContinuousClock.now + linger
                state.pending.append(Pending(items: items, continuation: continuation, due: due))
                state.pendingItems += items.count
                switch state.thread {
                case .running:
                    return false
                case .due(let until) where due >= until && state.pendingItems < maximumBatch:
                    return false
                case .work, .due:
                    state.thread = .running
                    state.wakeUps += 1
                    return true
                }
            }
            switch wake {
            case nil: continuation.resume(throwing: CancellationError())
            case true?: wakeup.signal()
            case false?: break
            }
        }
    }

    /// How many submissions have woken the writer thread: one per batch under a linger, not one
    /// per submission (each wake-up of a sleeping thread costs CPU on both sides).
    package var wakeUps: Int { state.withLock { $0.wakeUps } }

    /// The items queued and not yet taken into a batch.
    package var queuedItems: Int { state.withLock { $0.pendingItems } }

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
                guard !state.pending.isEmpty || state.closed, case .work = state.thread else { return false }
                state.thread = .running
                return true
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

    /// Waits until there is something to write and no caller is writing inline (or the writer is
    /// closed), spinning for `spin` first: under load the next item arrives within microseconds,
    /// while waking a sleeping thread costs 0.1-1 ms on a virtual machine (the idle vCPU halts),
    /// which a caller on the primary path pays.
    private func awaitWork() {
        let spinUntil = ContinuousClock.now + spin
        while true {
            let (ready, spinning) = state.withLock { state -> (Bool, Bool) in
                if !state.busy && (state.closed || !state.pending.isEmpty) { return (true, false) }
                if spin > .zero && ContinuousClock.now < spinUntil { return (false, true) }
                state.thread = .work
                return (false, false)
            }
            if ready { return }
            if spinning {
                sched_yield()
            } else {
                wakeup.wait()
            }
        }
    }

    /// Waits until the first pending submission is due, or `maximumBatch` items wait. A submission
    /// wakes the thread only if it is due sooner or fills the batch; so does a close.
    private func letBatchFill() {
        while true {
            let until = state.withLock { state -> ContinuousClock.Instant? in
                guard !state.closed, state.pendingItems < maximumBatch,
                    let due = state.pending.lazy.map(\.due).min(), due > .now
                else {
                    state.thread = .running
                    return nil
                }
                state.thread = .due(due)
                return due
            }
            guard let until else { return }
            let (seconds, attoseconds) = (until - .now).components
            _ = wakeup.wait(
                timeout: .now() + .nanoseconds(max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))))
        }
    }

    private func loop() {
        while true {
            awaitWork()
            letBatchFill()
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
                state.pendingItems -= items
                state.busy = !batch.isEmpty
                return (batch, state.closed)
            }
            if batch.isEmpty {
                if closed {
                    finished.signal()
                    return
                }
                continue
            }
            // What arrived during this write waits out its own linger before the next.
            let result = Result { try write(batch.count == 1 ? batch[0].items : batch.flatMap(\.items)) }
            state.withLock { $0.busy = false }
            for pending in batch { pending.continuation.resume(with: result) }
        }
    }
}
