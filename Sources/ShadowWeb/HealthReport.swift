import Foundation

/// What `GET /health` and `GET /ready` answer from: each health check of the running serve, and
/// whether it is consuming.
public struct HealthReport: Sendable, Equatable {
    /// A health check that fails.
    public struct Failure: Sendable, Equatable {
        /// The check's name (`store`, `object_store`, `broker`).
        public var check: String
        /// What failed, as the part reported it.
        public var reason: String
        /// When it started failing.
        public var since: Date

        /// A failing check.
        public init(check: String, reason: String, since: Date) {
            self.check = check
            self.reason = reason
            self.since = since
        }
    }

    /// Every check serve runs, passing or not, in a stable order.
    public var checks: [String]
    /// The checks that fail now.
    public var failing: [Failure]
    /// Whether serve is consuming (started, and not stopping).
    public var consuming: Bool

    /// A report.
    public init(checks: [String], failing: [Failure], consuming: Bool) {
        self.checks = checks
        self.failing = failing
        self.consuming = consuming
    }

    /// No engine (the dashboard alone): nothing fails, nothing is consumed.
    public static let noEngine = HealthReport(checks: [], failing: [], consuming: false)
}
