import Foundation
import Synchronization

/// The embedded CPython interpreter, owned by one dedicated thread.
///
/// That thread initializes Debian's libpython3.11 (isolated: `sys.path` is exactly
/// ``PythonConfiguration/sysPath``), imports what it is asked to preload, and then runs every
/// call in submission order, holding the GIL only while a call runs. Callers anywhere `await`
/// plain Swift values; no Python object leaves that thread.
///
/// ## Deadlines
/// Every call has a deadline. A call still queued at its deadline is answered
/// ``PythonCallFailure/timeout(_:)`` then and is never run. A call still *running* at its
/// deadline is answered `.timeout` at the deadline too, but Python cannot be stopped from outside
/// mid-call, so the bridge then:
/// 1. raises `DeadlineExceeded` (a `BaseException`, so `except Exception` does not swallow it)
///    into the Python thread with `PyThreadState_SetAsyncExc`; it lands at the next bytecode, and
/// 2. sends ``PythonConfiguration/interruptSignal`` to that thread, so a blocking system call
///    (`time.sleep`, a socket read) returns early and the exception is raised there.
///
/// The calls queued behind it wait meanwhile, each under its own deadline. Pure-Python code and
/// blocking calls are interrupted within milliseconds; C code that neither returns to the
/// interpreter nor checks signals (a long regex match, a C extension's own loop) cannot be, and
/// holds the thread until it returns: every call behind it times out, and ``statistics`` shows the
/// stuck call. The whole process must then be restarted to get the thread back.
public final class PythonInterpreter: Sendable {
    /// Counters for metrics and benchmarks.
    public struct Statistics: Sendable, Equatable {
        /// Calls handed to the Python thread so far.
        public var submitted: Int = 0
        /// Calls that returned (successfully or with an exception) before their deadline.
        public var completed: Int = 0
        /// Calls answered as timeouts (queued or running).
        public var timedOut: Int = 0
        /// Running calls the watchdog interrupted.
        public var interrupted: Int = 0
        /// Calls waiting for the Python thread now.
        public var queueDepth: Int = 0
        /// How long the call running now has run past its deadline (nil when none has): after the
        /// interrupt, a call still running is stuck in C code that cannot be interrupted.
        public var runningOverdue: Duration? = nil
    }

    private let coordinator: Coordinator
    private let interrupter: PythonInterrupter
    private static let processClaimed = Mutex(false)

    private init(coordinator: Coordinator, interrupter: PythonInterrupter) {
        self.coordinator = coordinator
        self.interrupter = interrupter
    }

    /// Starts the interpreter thread and waits until CPython is initialized and `preload` imported.
    ///
    /// A process holds one interpreter for its whole life: CPython cannot be initialized again
    /// reliably after it is finalized.
    /// - Parameters:
    ///   - configuration: Where Python finds its modules.
    ///   - preload: Functions to import now, so that a missing legacy package is reported at start-up.
    /// - Throws: ``PythonBridgeError`` with `.alreadyInitialized`, `.initializationFailed`, or
    ///   `.importFailed` (naming the function and every `sys.path` entry searched).
    public static func make(
        configuration: PythonConfiguration, preload: [PythonFunctionName] = []
    ) async throws(PythonBridgeError) -> PythonInterpreter {
        let claimed = processClaimed.withLock { claimed in
            defer { claimed = true }
            return claimed
        }
        if claimed {
            throw PythonBridgeError(
                code: .alreadyInitialized, message: "this process already started its one Python interpreter")
        }
        let coordinator = Coordinator()
        let started: Result<PythonInterrupter, PythonBridgeError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                coordinator.runPythonThread(configuration: configuration, preload: preload) {
                    continuation.resume(returning: $0)
                }
            }
            thread.name = "python"
            thread.stackSize = 16 << 20  // deep legacy recursion runs on this thread's C stack
            thread.start()
        }
        let interrupter = try started.get()
        let interpreter = PythonInterpreter(coordinator: coordinator, interrupter: interrupter)
        let watchdog = Thread { [coordinator] in coordinator.runWatchdog(interrupter: interrupter) }
        watchdog.name = "python-watchdog"
        watchdog.start()
        return interpreter
    }

    deinit {
        coordinator.requestStop()
    }

    /// Calls `function(argument)` on the Python thread; it must return `dict[str, str]`.
    /// - Parameters:
    ///   - function: The function, imported on first use and kept.
    ///   - argument: Passed as Python `bytes`.
    ///   - invalidInput: An exception class whose instances (with `field` and `reason`
    ///     attributes) are reported as ``PythonCallFailure/invalidInput(field:reason:)``.
    ///   - timeout: How long the caller waits, from now, queue time included.
    /// - Returns: The dictionary or the failure, and the time the Python work took.
    public func call(
        _ function: PythonFunctionName, argument: [UInt8], invalidInput: PythonFunctionName? = nil, timeout: Duration
    ) async -> PythonCallOutcome {
        await submit(timeout: timeout) { runtime in
            runtime.call(function, argument: argument, invalidInput: invalidInput)
        }
    }

    /// The trivial call, `{"echo": argument}`, that measures the bridge's own cost.
    /// - Parameters:
    ///   - argument: UTF-8 bytes to echo back.
    ///   - timeout: How long the caller waits.
    /// - Returns: `["echo": argument]` or the failure.
    public func ping(argument: [UInt8], timeout: Duration) async -> PythonCallOutcome {
        await submit(timeout: timeout) { runtime in runtime.ping(argument: argument) }
    }

    /// A snapshot of the counters, taken under the lock.
    public var statistics: Statistics { coordinator.statistics }

    /// Where the Python thread runs, as applied from ``PythonConfiguration/threadPlacement``.
    public var placement: PythonThreadPlacement.Applied { coordinator.placement! }

    /// Runs the calls already queued, finalizes CPython, and returns when the thread has ended.
    /// Calls submitted afterwards fail with ``PythonBridgeError/Code/shutDown``.
    public func shutdown() async {
        await withCheckedContinuation { continuation in
            coordinator.requestStop(whenStopped: continuation)
        }
    }

    private func submit(timeout: Duration, _ work: @escaping PendingCall.Work) async -> PythonCallOutcome {
        let now = ContinuousClock.now
        return await withCheckedContinuation { continuation in
            let call = PendingCall(work: work, submitted: now, deadline: now + timeout, continuation: continuation)
            if !coordinator.enqueue(call) {
                call.finish(
                    PythonCallOutcome(
                        result: .failure(
                            .bridge(PythonBridgeError(code: .shutDown, message: "the Python interpreter is shut down"))),
                        pythonTime: .zero, queueTime: .zero))
            }
        }
    }
}
