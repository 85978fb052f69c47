/// Delays between retries toward a dependency that failed (the store, the object store): short at
/// first, doubling up to a ceiling, so that a dependency that comes back is used again soon and
/// one that stays down is not hammered.
struct Backoff: Sendable {
    /// The first delay. Default 50 ms.
    var initial: Duration = .milliseconds(50)
    /// The longest delay. Default 5 s.
    var maximum: Duration = .seconds(5)

    /// The delay before retry number `attempt` (1 for the first retry).
    func delay(attempt: Int) -> Duration {
        var delay = initial
        for _ in 1..<max(1, attempt) where delay < maximum { delay = delay * 2 }
        return min(delay, maximum)
    }
}
