import Glibc

/// CPU time consumed by the calling thread, for benchmarks that compare implementations' cost.
public enum ThreadCPUClock {
    /// The calling thread's CPU time so far (`CLOCK_THREAD_CPUTIME_ID`).
    public static func now() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
    }
}
