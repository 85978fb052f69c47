/// How one implementation handled one event.
public enum RenderOutcome: Equatable, Sendable {
    /// It rendered the invoice.
    case rendered(RenderedInvoice)
    /// It rejected the event as invalid, naming the field.
    case invalidEvent(field: String, reason: String)
    /// It failed: a Python exception, a Swift error, a bridge error.
    case failed(RenderFailure)
    /// It did not answer within its deadline.
    case timedOut

    /// Whether it rendered an invoice.
    public var isRendered: Bool {
        if case .rendered = self { return true }
        return false
    }
}

/// A failure other than an invalid event, as plain values for the store and reports.
public struct RenderFailure: Equatable, Sendable, Codable {
    /// Where it came from: `python` for an exception, `bridge`, or `swift`.
    public var origin: String
    /// The exception's type or the error's code, such as `KeyError` or `not_implemented`.
    public var type: String
    /// The exception's or error's message, without its type.
    public var message: String
    /// The traceback, or other detail; empty when there is none.
    public var detail: String

    /// Creates a failure.
    /// - Parameters:
    ///   - origin: `python`, `bridge` or `swift`.
    ///   - type: The exception type or error code.
    ///   - message: The message.
    ///   - detail: The traceback or other detail.
    public init(origin: String, type: String, message: String, detail: String = "") {
        self.origin = origin
        self.type = type
        self.message = message
        self.detail = detail
    }
}

/// One side's outcome for one event, with its latency.
public struct SideResult: Equatable, Sendable {
    /// What the implementation produced for the event.
    public var outcome: RenderOutcome
    /// The time the implementation's own work took.
    public var latency: Duration
    /// Time spent waiting for the implementation to finish other events first (the legacy's one
    /// Python thread); not part of ``latency``, and not the harness's doing either.
    public var waitBehindOtherEvents: Duration

    /// Creates a side result.
    /// - Parameters:
    ///   - outcome: What happened.
    ///   - latency: The implementation's own time.
    ///   - waitBehindOtherEvents: Time queued behind the implementation's work on other events.
    public init(outcome: RenderOutcome, latency: Duration, waitBehindOtherEvents: Duration = .zero) {
        self.outcome = outcome
        self.latency = latency
        self.waitBehindOtherEvents = waitBehindOtherEvents
    }
}

/// The classification of one comparison.
public enum DiscrepancyKind: String, CaseIterable, Codable, Sendable {
    /// Both rendered the same invoice.
    case match
    /// Both rendered, and the invoices differ.
    case mismatch
    /// The legacy failed (not an invalid event) where the Swift side did not.
    case legacyError = "legacy_error"
    /// The Swift side failed, or rejected an event the legacy accepted, or the other way round.
    case swiftError = "swift_error"
    /// Both failed the same way.
    case bothErrorSame = "both_error_same"
    /// Both failed, differently.
    case bothErrorDifferent = "both_error_different"
    /// Both rejected the event as invalid, naming the same field: agreement.
    case invalidEvent = "invalid_event"
    /// A side did not answer in time.
    case timeout
    /// The shadow was not run (its queue was full).
    case skipped

    /// Whether this outcome counts toward parity: the two implementations behaved alike.
    public var isParity: Bool {
        switch self {
        case .match, .invalidEvent, .bothErrorSame: true
        default: false
        }
    }
}
