import Synchronization

/// Paces a status line logged on a timer (serve's counters): due when the value has changed since
/// the last line, or once `heartbeat` has passed without a line while it stood still, so a week of
/// an idle stream is a line a minute rather than one per tick, and a stalled one still shows it is
/// alive.
public final class StatusLinePace<Value: Equatable & Sendable>: Sendable {
    private let heartbeat: Duration
    private let last = Mutex<(value: Value, at: ContinuousClock.Instant)?>(nil)

    /// A pace that logs every change, and an unchanged value once per `heartbeat`.
    public init(heartbeat: Duration = .seconds(60)) {
        self.heartbeat = heartbeat
    }

    /// Whether a line showing `value` is due at `now`; if so, it counts as logged.
    public func due(_ value: Value, now: ContinuousClock.Instant = .now) -> Bool {
        last.withLock { last in
            if let last, last.value == value, now - last.at < heartbeat { return false }
            last = (value, now)
            return true
        }
    }
}
