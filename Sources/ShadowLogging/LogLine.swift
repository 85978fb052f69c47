import Foundation
import Logging
import ShadowCore
import Synchronization

/// How log lines are written: `text` for a person at a terminal, `json` (one object per line) for a
/// log shipper.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `2026-12-03T10:00:00.123Z warning serve: the store is full store.file=shadow.db`.
    case text
    /// `{"time":"…","level":"warning","label":"serve","message":"…","metadata":{…}}`.
    case json
}

/// Where log lines go: a file descriptor (standard error by default), one `write` per line under a
/// lock, so lines from many threads never interleave; or, for tests, memory.
public final class LogOutput: Sendable {
    private let descriptor: Int32?
    private let captured = Mutex<[String]>([])
    private let lock = Mutex(())

    private init(descriptor: Int32?) {
        self.descriptor = descriptor
    }

    /// Standard error.
    public static let standardError = LogOutput(descriptor: 2)

    /// Lines kept in memory, for tests (``lines``).
    public static func capture() -> LogOutput { LogOutput(descriptor: nil) }

    /// The lines written to a capturing output, in order.
    public var lines: [String] { captured.withLock { $0 } }

    func write(_ line: String) {
        guard let descriptor else {
            captured.withLock { $0.append(line) }
            return
        }
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a closed standard error: there is nowhere left to say so
                }
                offset += written
            }
        }
    }
}

/// The project's log handler: one line per event, as text or JSON, to a ``LogOutput``.
public struct ShadowLogHandler: LogHandler {
    /// The logger's label (the part of the program: `serve`, `kafka`, `store`).
    public let label: String
    /// Text or JSON lines.
    public let format: LogFormat
    /// Where the lines go.
    public let output: LogOutput
    /// The least severe level written.
    public var logLevel: Logger.Level
    /// Metadata every line of this logger carries.
    public var metadata: Logger.Metadata = [:]
    /// Adds metadata from the task's context, if set.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler writing `format` lines at `level` and above to `output`.
    public init(label: String, format: LogFormat, level: Logger.Level, output: LogOutput) {
        self.label = label
        self.format = format
        logLevel = level
        self.output = output
    }

    /// One metadata value of this logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        if let error = event.error { all[LogKey.error] = "\(error)" }
        output.write(
            Self.line(
                time: Date(), level: event.level, label: label, message: event.message.description, metadata: all,
                format: format))
    }

    /// One log line, without its newline.
    static func line(
        time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, format: LogFormat
    ) -> String {
        let stamp = timestamp(time)
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var line = "\(stamp) \(level.rawValue) \(label): \(message)"
            for key in keys { line += " \(key)=\(text(metadata[key]!))" }
            return line
        case .json:
            var line = #"{"time":"# + "\"\(stamp)\","
            line += #""level":"# + "\"\(level.rawValue)\","
            line += #""label":"#
            JSONValue.writeString(label, into: &line)
            line += #","message":"#
            JSONValue.writeString(message, into: &line)
            line += #","metadata":{"#
            for (index, key) in keys.enumerated() {
                if index > 0 { line += "," }
                JSONValue.writeString(key, into: &line)
                line += ":"
                JSONValue.writeString(text(metadata[key]!), into: &line)
            }
            return line + "}}"
        }
    }

    /// A metadata value as one piece of text (lists and dictionaries in brackets).
    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(text).joined(separator: ", ") + "]"
        case .dictionary(let values):
            "{" + values.sorted { $0.key < $1.key }.map { "\($0.key): \(text($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// ISO 8601 in UTC with milliseconds (`2026-12-03T10:00:00.123Z`).
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let milliseconds = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis =
            milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}

extension Logger {
    /// A logger writing through ``ShadowLogHandler``; made once, at the command line's edge, and
    /// handed down (nothing here bootstraps swift-log's global system).
    /// - Parameters:
    ///   - label: The part of the program.
    ///   - format: Text or JSON lines.
    ///   - level: The least severe level written.
    ///   - output: Where the lines go. Default standard error.
    public static func shadow(
        label: String, format: LogFormat, level: Logger.Level, output: LogOutput = .standardError
    ) -> Logger {
        Logger(label: label) { label in
            ShadowLogHandler(label: label, format: format, level: level, output: output)
        }
    }
}
