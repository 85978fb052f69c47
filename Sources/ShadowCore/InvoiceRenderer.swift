/// One implementation of the invoice contract, as the harness sees it: event bytes in, an
/// outcome and its latency out. Never throws: every failure is an outcome.
public protocol InvoiceRenderer: Sendable {
    /// Which implementation this is.
    var implementation: Implementation { get }

    /// Renders one event.
    /// - Parameter event: The event bytes exactly as consumed.
    func render(event: [UInt8]) async -> SideResult
}
