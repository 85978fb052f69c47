import Foundation

/// An error opening or using the store, with a code callers can map (the web turns codes into
/// status codes) and a message that names what was refused or which file failed.
public struct ShadowStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let description: String
        /// The database file could not be opened or migrated.
        public static let cannotOpen = Code(description: "cannot_open")
        /// A flag was asked for a country outside the contract.
        public static let unknownCountry = Code(description: "unknown_country")
        /// A flag change's reason is empty or too long.
        public static let invalidReason = Code(description: "invalid_reason")
        /// The cutover gate refused a flag change.
        public static let gateRefused = Code(description: "gate_refused")
        /// The run asked for is not in the store.
        public static let noSuchRun = Code(description: "no_such_run")
        /// A stored value could not be read back (the file was changed outside the harness).
        public static let unreadableRow = Code(description: "unreadable_row")
        /// A flag change proposed on the flags topic found the country changed by another first.
        public static let superseded = Code(description: "superseded")
        /// A flag change is on the flags topic but the store has not applied it in time.
        public static let notApplied = Code(description: "not_applied")
    }

    /// What went wrong.
    public var code: Code
    /// What happened, for people.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// A JSON column read back; a value the harness did not write (the file was edited by hand, or
/// damaged) is an error naming the column, not an empty list.
func storedJSON<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    } catch {
        throw ShadowStoreError(.unreadableRow, "the store's \(column) holds unreadable JSON: \(error)")
    }
}
