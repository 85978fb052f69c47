import GRDB
import GRDBSQLite

/// A cached GRDB statement bound and stepped through SQLite's C API, for the row writer's one
/// statement per row: GRDB's `StatementArguments` box every value as a `DatabaseValueConvertible`
/// and then a `DatabaseValue`, a visible share of the row writer's CPU at 13 values a row. Only for statements that return no rows, inside a transaction GRDB opened.
struct RawStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer?

    init(_ statement: Statement, in db: Database) {
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
    }

    /// SQLite copies the bytes before the bind returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { characters in
                if let start = characters.baseAddress {
                    _ = sqlite3_bind_text(handle, index, start, Int32(characters.count), Self.transient)
                } else {
                    _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)  // an empty text has no address
                }
            }
        }
    }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { _ = sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { _ = sqlite3_bind_int64(handle, index, value) } else { _ = sqlite3_bind_null(handle, index) }
    }

    /// Runs the statement with what is bound, then clears it for the next row.
    /// - Throws: `DatabaseError` with SQLite's code and message.
    func execute() throws {
        let code = sqlite3_step(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) })
        }
    }
}
