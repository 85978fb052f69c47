import Foundation
import Logging
import Synchronization

/// Logs failures that may repeat many times a second (a full disk, a broker that is down) without
/// flooding the log or dropping any: the first of a kind is logged at once; the ones after it,
/// within `interval`, are counted, and the next one after the interval is logged with how many
/// there were (`repeated`, `repeated.seconds`). ``flush()`` logs what is still counted.
public final class RepeatedFailureLog: Sendable {
    private struct Entry: Sendable {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let logger: Logger
    private let interval: Duration
    private let entries = Mutex<[String: Entry]>([:])

    /// Failures logged through `logger`, each kind at most once per `interval` (default 10 s).
    public init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Logs a failure of kind `key` now, or counts it if one of its kind was logged within the interval.
    /// - Parameters:
    ///   - key: What failed, stable across occurrences (`store.write`, `kafka.commit`).
    ///   - level: The level. Default `.error`.
    ///   - message: What failed and why.
    ///   - metadata: Its details.
    public func failure(
        _ key: String, level: Logger.Level = .error, _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> Logger.Metadata = [:]
    ) {
        let now = ContinuousClock.now
        let text = message()
        let details = metadata()
        let repeated = entries.withLock { entries -> Int? in
            if var entry = entries[key], now - entry.lastLogged < interval {
                entry.suppressed += 1
                (entry.level, entry.message, entry.metadata) = (level, text, details)
                entries[key] = entry
                return nil
            }
            let suppressed = entries[key]?.suppressed ?? 0
            entries[key] = Entry(lastLogged: now, suppressed: 0, level: level, message: text, metadata: details)
            return suppressed
        }
        guard let repeated else { return }
        var all = details
        if repeated > 0 {
            all[LogKey.repeated] = "\(repeated)"
            all[LogKey.repeatedSeconds] = "\(interval.components.seconds)"
        }
        logger.log(level: level, "\(text)", metadata: all)
    }

    /// Says a failure of kind `key` is over: if any were counted since the last line, they are
    /// logged now; the next failure of the kind is logged at once.
    public func resolved(_ key: String) {
        let entry = entries.withLock { $0.removeValue(forKey: key) }
        guard let entry, entry.suppressed > 0 else { return }
        var all = entry.metadata
        all[LogKey.repeated] = "\(entry.suppressed)"
        logger.log(level: entry.level, "\(entry.message)", metadata: all)
    }

    /// Logs every failure still counted (at a clean stop, so that none is lost).
    public func flush() {
        let keys = entries.withLock { Array($0.keys) }
        for key in keys { resolved(key) }
    }
}
