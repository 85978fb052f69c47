import Foundation

/// Recorded traffic: JSON lines, one event per line, as `generate` and `record` write them.
///
/// A line is the event's bytes as they were. An event that cannot travel as one line (it holds
/// a line break, or is not UTF-8) is written as `{"$bytes":"<base64>"}` and read back byte for
/// byte. Blank lines are skipped.
public enum ReplayInput {
    /// The events of a file, in order.
    /// - Parameter path: A JSON-lines file.
    /// - Throws: An error naming the file when it cannot be read, or a line whose `$bytes` is not base64.
    public static func events(path: String) throws -> [[UInt8]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReplayError(code: .unreadableFile, message: "cannot read \(path)")
        }
        var events: [[UInt8]] = []
        for (number, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var bytes = Array(line)
            if bytes.last == 0x0D { bytes.removeLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if bytes.starts(with: Array(#"{"$bytes":""#.utf8)) {
                let text = String(decoding: bytes.dropFirst(11).dropLast(2), as: UTF8.self)
                guard bytes.suffix(2) == Array(#""}"#.utf8), let decoded = Data(base64Encoded: text) else {
                    throw ReplayError(
                        code: .malformedLine, message: "\(path):\(number + 1): a $bytes line that is not base64")
                }
                bytes = Array(decoded)
            }
            events.append(bytes)
        }
        return events
    }

    /// One event as a line of recorded traffic (without the line break).
    /// - Parameter event: The event bytes.
    public static func line(for event: [UInt8]) -> String {
        if !event.contains(0x0A), !event.contains(0x0D), let text = String(validating: event, as: UTF8.self),
            !text.hasPrefix(#"{"$bytes":"#), !event.isEmpty, !event.allSatisfy({ $0 == 0x20 || $0 == 0x09 })
        {
            return text
        }
        return #"{"$bytes":""# + Data(event).base64EncodedString() + #""}"#
    }
}

/// A problem with replay input, with a code callers can act on and a message naming the file.
public struct ReplayError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let description: String
        /// The events file cannot be read.
        public static let unreadableFile = Code(description: "unreadable_file")
        /// A line of the file is not an event in replay's format.
        public static let malformedLine = Code(description: "malformed_line")
    }

    /// What went wrong.
    public var code: Code
    /// What happened, naming the file (and line), for people.
    public var message: String
    /// The message.
    public var description: String { message }
}
