/// Differences a team decided not to count, stated explicitly and always listed in reports.
///
/// Loaded from a JSON file:
/// ```json
/// {"ignore": [
///   {"path": "/legal_notes/*", "reason": "notes are reworded in the port, approved by Finance"},
///   {"pattern": "^/seller/", "reason": "..."}
/// ]}
/// ```
/// `path` is a JSON pointer where `*` stands for any one token; `pattern` is a regular
/// expression matched against the pointer. The path `html` stands for the whole HTML document.
public struct IgnoreRules: Sendable, Equatable {
    /// A JSON-pointer path (`*` matches one array index or key) whose differences are not counted, with why.
    public struct Rule: Sendable, Equatable, Codable {
        /// A JSON pointer with `*` wildcards.
        public var path: String?
        /// A regular expression over JSON pointers.
        public var pattern: String?
        /// Why this difference does not count.
        public var reason: String

        /// Creates a rule.
        /// - Parameters:
        ///   - path: A JSON pointer with `*` wildcards.
        ///   - pattern: A regular expression over pointers.
        ///   - reason: Why it does not count.
        public init(path: String? = nil, pattern: String? = nil, reason: String) {
            self.path = path
            self.pattern = pattern
            self.reason = reason
        }

        /// `path` or `/pattern/`, for reports.
        public var display: String { path ?? "/\(pattern ?? "")/" }
    }

    /// The rules, in file order.
    public var rules: [Rule]

    /// Creates rules.
    /// - Parameter rules: The rules.
    public init(rules: [Rule] = []) {
        self.rules = rules
    }

    /// Whether a difference at `pointer` is ignored.
    /// - Parameter pointer: A JSON pointer, or `html`.
    public func ignores(_ pointer: String) -> Bool {
        rules.contains { rule in
            if let path = rule.path, Self.matches(pattern: path, pointer) { return true }
            if let pattern = rule.pattern, let regex = try? Regex(pattern), pointer.contains(regex) { return true }
            return false
        }
    }

    private static func matches(pattern: String, _ pointer: String) -> Bool {
        let expected = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let actual = pointer.split(separator: "/", omittingEmptySubsequences: false)
        guard expected.count == actual.count else { return false }
        return zip(expected, actual).allSatisfy { $0 == "*" || $0 == $1 }
    }
}
