import Foundation

/// The bearer tokens allowed to write (change flags), each with its owner, whom the audit names.
///
/// The operator keeps them in a file, one `OWNER TOKEN` pair per line (`#` starts a comment):
///
///     # release managers
///     alice  6f1c0e0b9d5a4c13a2b7e4d1f0c9a8b7
///     ci-bot 0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a
///
/// With no tokens every write is refused: there is no anonymous write and no default token.
public struct TokenBook: Sendable {
    /// Owner per token.
    private let owners: [(token: [UInt8], owner: String)]

    /// The shortest token accepted, in characters.
    public static let minimumLength = 16

    /// No tokens: writes refused.
    public static let none = TokenBook(pairs: [])

    /// Tokens from `OWNER TOKEN` pairs.
    public init(pairs: [(owner: String, token: String)]) {
        owners = pairs.map { (Array($0.token.utf8), $0.owner) }
    }

    /// Whether any token is configured.
    public var isEmpty: Bool { owners.isEmpty }

    /// Reads a tokens file.
    /// - Throws: ``TokenBookError`` naming the file and line of a malformed or short entry, or a
    ///   duplicate token.
    public static func load(path: String) throws -> TokenBook {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenBookError(message: "cannot read the tokens file \(path)")
        }
        var pairs: [(owner: String, token: String)] = []
        for (index, rawLine) in String(decoding: data, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false
        ).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2 else {
                throw TokenBookError(
                    message: "\(path):\(index + 1): expected `OWNER TOKEN`, got \(fields.count) fields")
            }
            let token = String(fields[1])
            guard token.count >= minimumLength else {
                throw TokenBookError(
                    message:
                        "\(path):\(index + 1): the token of \(fields[0]) is shorter than \(minimumLength) characters")
            }
            guard !pairs.contains(where: { $0.token == token }) else {
                throw TokenBookError(message: "\(path):\(index + 1): this token is already given to another owner")
            }
            pairs.append((String(fields[0]), token))
        }
        return TokenBook(pairs: pairs)
    }

    /// The owner of `token`, or nil. Compares every configured token in constant time per byte, so
    /// the response time does not tell how much of a guess was right.
    public func owner(of token: String) -> String? {
        let candidate = Array(token.utf8)
        var found: String?
        for entry in owners {
            var difference = UInt8(entry.token.count == candidate.count ? 0 : 1)
            for index in 0..<entry.token.count {
                difference |= entry.token[index] ^ (index < candidate.count ? candidate[index] : 0)
            }
            if difference == 0 { found = entry.owner }
        }
        return found
    }
}

/// A tokens file that cannot be used.
public struct TokenBookError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the file and line.
    public var message: String
    /// The message.
    public var description: String { message }
}
