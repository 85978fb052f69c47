import CThreadTuning
import Foundation

/// The queue between callers and the Python thread, and the watchdog that enforces deadlines.
///
/// `@unchecked Sendable`: every stored property is read and written only with `condition`
/// locked; the Python thread, the watchdog thread and callers all go through it.
final class Coordinator: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [PendingCall] = []
    private var head = 0
    private var running: PendingCall?
    private var runningInterruptRequested = false
    private var workerIdle = false
    private var watchdogWakesAt: ContinuousClock.Instant?
    private var stopping = false
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var counters = PythonInterpreter.Statistics()
    private var appliedPlacement: PythonThreadPlacement.Applied?
    /// Whether the Python thread polls briefly before sleeping: when it has a CPU of its own.
    private var pollsBeforeSleeping: Bool { appliedPlacement?.cpu != nil }
    private let interruptQueue = DispatchQueue(label: "python-interrupt")

    var placement: PythonThreadPlacement.Applied? { condition.withLock { appliedPlacement } }

    var statistics: PythonInterpreter.Statistics {
        condition.withLock {
            var snapshot = counters
            snapshot.queueDepth = queue.count - head
            if let running {
                let overdue = ContinuousClock.now - running.deadline
                if overdue > .zero { snapshot.runningOverdue = overdue }
            }
            return snapshot
        }
    }

    // MARK: - Callers

    /// Queues a call; false once the interpreter is stopping.
    func enqueue(_ call: PendingCall) -> Bool {
        condition.withLock {
            guard !stopping else { return false }
            queue.append(call)
            counters.submitted += 1
            let watchdogMustWake = watchdogWakesAt.map { call.deadline < $0 } ?? true
            if workerIdle || watchdogMustWake { condition.broadcast() }
            return true
        }
    }

    func requestStop(whenStopped continuation: CheckedContinuation<Void, Never>? = nil) {
        let alreadyStopped = condition.withLock {
            stopping = true
            if let continuation, !stopped { stopWaiters.append(continuation) }
            condition.broadcast()
            return stopped
        }
        if alreadyStopped { continuation?.resume() }
    }

    // MARK: - The Python thread

    /// The body of the Python thread: start CPython, report, serve calls until stopped, finalize.
    func runPythonThread(
        configuration: PythonConfiguration, preload: [PythonFunctionName],
        started: (Result<PythonInterrupter, PythonBridgeError>) -> Void
    ) {
        // The kernel's name for the thread, as top -H, perf and /proc show it (Foundation's
        // Thread.name does not reach it here: perf showed this thread as "oot.default-qos").
        _ = thread_tuning_set_name("python")
        let placement = configuration.threadPlacement.applyToCurrentThread()
        condition.withLock { appliedPlacement = placement }
        let runtime: PythonRuntime
        do {
            runtime = try PythonRuntime.start(configuration)
        } catch {
            markStopped()
            return started(.failure(error))
        }
        for name in preload {
            let loaded = runtime.withGIL { Result { () throws(PythonBridgeError) in try runtime.preload(name) } }
            if case .failure(let error) = loaded {
                runtime.finalize()
                markStopped()
                return started(.failure(error))
            }
        }
        let interrupter = runtime.withGIL { runtime.makeInterrupter(signal: configuration.interruptSignal) }
        started(.success(interrupter))

        // When the previous call finished: a call submitted before then waited behind it.
        var previousFinished: ContinuousClock.Instant?
        while let call = nextCall() {
            let picked = ContinuousClock.now
            let cpuBefore = ThreadCPUClock.now()
            let result = runtime.withGIL {
                let result = call.work(runtime)
                // Cleared with the GIL still held: an interrupt checks `running` under the GIL.
                condition.withLock { running = nil }
                return result
            }
            let finished = ContinuousClock.now
            var outcome = PythonCallOutcome(
                result: result, pythonTime: finished - picked, queueTime: picked - call.submitted)
            outcome.pythonCPUTime = ThreadCPUClock.now() - cpuBefore
            if let previousFinished, previousFinished > call.submitted {
                outcome.waitBehindEarlierCalls = min(previousFinished, picked) - call.submitted
            }
            previousFinished = finished
            if call.finish(outcome) {
                condition.withLock { counters.completed += 1 }
            }
        }
        interrupter.finalize { runtime.finalize() }
        markStopped()
    }

    /// Blocks until a live call is queued (and marks it running), or returns nil when stopping with an empty queue.
    private func nextCall() -> PendingCall? {
        condition.withLock {
            // Before sleeping, the thread polls for a moment: waking a sleeping thread costs 0.1-1 ms
            // on a virtual machine, paid by the next event's latency. With a CPU of its own
            // (PythonThreadPlacement.dedicated) the polling takes nothing from anyone.
            let pollUntil = ContinuousClock.now + (pollsBeforeSleeping ? .microseconds(500) : .zero)
            while true {
                while head == queue.count {
                    if stopping { return nil }
                    if ContinuousClock.now < pollUntil {
                        condition.unlock()
                        sched_yield()
                        condition.lock()
                        continue
                    }
                    workerIdle = true
                    condition.wait()
                    workerIdle = false
                }
                let call = queue[head]
                head += 1
                if head > 1024 && head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                if call.isFinished { continue }  // timed out while queued
                running = call
                runningInterruptRequested = false
                return call
            }
        }
    }

    private func markStopped() {
        let waiters = condition.withLock {
            stopped = true
            stopping = true
            condition.broadcast()
            defer { stopWaiters = [] }
            return stopWaiters
        }
        for waiter in waiters { waiter.resume() }
        // Anything still queued can no longer run.
        let orphans = condition.withLock {
            defer {
                queue = []
                head = 0
            }
            return Array(queue[head...])
        }
        for call in orphans {
            call.finish(
                PythonCallOutcome(
                    result: .failure(
                        .bridge(PythonBridgeError(code: .shutDown, message: "the Python interpreter shut down"))),
                    pythonTime: .zero, queueTime: ContinuousClock.now - call.submitted))
        }
    }

    // MARK: - The watchdog thread

    /// Answers calls whose deadline has passed, and interrupts a running one that overstays.
    func runWatchdog(interrupter: PythonInterrupter) {
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            let now = ContinuousClock.now
            var expired: [PendingCall] = []
            var overdue: PendingCall?
            var earliest: ContinuousClock.Instant?
            var index = head
            while index < queue.count {
                let call = queue[index]
                if call.deadline <= now {
                    expired.append(call)
                } else if earliest.map({ call.deadline < $0 }) ?? true {
                    earliest = call.deadline
                }
                index += 1
            }
            if let running, !runningInterruptRequested {
                if running.deadline <= now {
                    overdue = running
                    runningInterruptRequested = true
                } else if earliest.map({ running.deadline < $0 }) ?? true {
                    earliest = running.deadline
                }
            }
            if expired.isEmpty && overdue == nil {
                watchdogWakesAt = earliest
                if let earliest {
                    let seconds = Double((earliest - now) / .microseconds(1)) / 1e6
                    _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
                } else {
                    condition.wait()
                }
                continue
            }
            // Expired queued calls stay in the queue; the Python thread skips them as finished.
            condition.unlock()
            var answered = 0
            for call in expired + (overdue.map { [$0] } ?? []) {
                let waited = now - call.submitted
                if call.finish(
                    PythonCallOutcome(result: .failure(.timeout(waited)), pythonTime: .zero, queueTime: waited))
                {
                    answered += 1
                }
            }
            if let overdue {
                interruptQueue.async { [self] in
                    interrupter.interrupt(if: { condition.withLock { running === overdue } })
                }
            }
            condition.lock()
            counters.timedOut += answered
            if overdue != nil { counters.interrupted += 1 }
        }
    }
}
