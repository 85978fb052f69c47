import Synchronization

/// The result of one call through the bridge, with the time the Python work itself took.
public struct PythonCallOutcome: Sendable {
    /// What the function returned (`dict[str, str]`), or how it failed.
    public var result: Result<[String: String], PythonCallFailure>
    /// Wall time of the Python work alone, GIL held; zero when the call never ran (timed out while queued).
    public var pythonTime: Duration
    /// Time from submission until the Python thread picked the call up (or until it timed out in the queue).
    public var queueTime: Duration
    /// CPU time the Python thread spent on the call (`CLOCK_THREAD_CPUTIME_ID`); zero when it never ran.
    public var pythonCPUTime: Duration = .zero
    /// The part of ``queueTime`` spent while the Python thread was busy with earlier calls: the
    /// legacy's own single-threadedness, not the bridge's. The rest of the queue time is the
    /// bridge's hand-over (waking the Python thread).
    public var waitBehindEarlierCalls: Duration = .zero

    /// Creates an outcome.
    /// - Parameters:
    ///   - result: The returned dictionary or the failure.
    ///   - pythonTime: Wall time of the Python work.
    ///   - queueTime: Time spent waiting for the Python thread.
    public init(result: Result<[String: String], PythonCallFailure>, pythonTime: Duration, queueTime: Duration) {
        self.result = result
        self.pythonTime = pythonTime
        self.queueTime = queueTime
    }
}

/// One submitted call: its work, its deadline, and the caller waiting for it. Finished exactly
/// once, by whichever comes first: the Python thread, the watchdog (deadline), or shutdown.
final class PendingCall: Sendable {
    typealias Work = @Sendable (PythonRuntime) -> Result<[String: String], PythonCallFailure>

    let work: Work
    let submitted: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    private let continuation: Mutex<CheckedContinuation<PythonCallOutcome, Never>?>

    init(
        work: @escaping Work, submitted: ContinuousClock.Instant, deadline: ContinuousClock.Instant,
        continuation: CheckedContinuation<PythonCallOutcome, Never>
    ) {
        self.work = work
        self.submitted = submitted
        self.deadline = deadline
        self.continuation = Mutex(continuation)
    }

    var isFinished: Bool { continuation.withLock { $0 == nil } }

    /// Resumes the caller unless someone already did. Returns whether this call did.
    @discardableResult
    func finish(_ outcome: PythonCallOutcome) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(returning: outcome)
        return true
    }
}
