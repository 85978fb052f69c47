import Foundation

/// Progress on standard error: one line rewritten in place on a terminal, a line per 10% otherwise.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: `lastDecile` is touched only from the replay loop, one update at a time.
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDecile = -1

    init(label: String) {
        self.label = label
    }

    func show(done: Int, total: Int, atParity: Int, elapsed: Duration) {
        let seconds = max(elapsed.seconds, 0.001)
        let percent = total == 0 ? 100 : done * 100 / total
        let parity = done == 0 ? 100 : Double(atParity) * 100 / Double(done)
        let line = String(
            format: "%@: %d/%d events (%d%%), parity %.2f%%, %.0f events/s", label, done, total, percent, parity,
            Double(done) / seconds)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if percent / 10 != lastDecile {
            lastDecile = percent / 10
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
