import ShadowCore

/// The Swift port of the invoice service: pure functions from event bytes to the same rendered
/// invoice the legacy returns (canonical JSON and HTML), and the same invalid-event errors naming
/// the same fields. Reads no clock and no random source; safe to call from any thread.
public struct SwiftInvoiceService: Sendable {
    /// Creates the service.
    public init() {}

    /// Renders one event.
    /// - Parameter event: The event bytes as consumed from Kafka.
    /// - Throws: ``SwiftInvoiceError`` with code `invalid_event`, naming the field as the legacy does.
    public func render(event: [UInt8]) throws(SwiftInvoiceError) -> RenderedInvoice {
        let decoded: MoneyEvent
        do {
            decoded = try EventDecoder.decode(event)
        } catch {
            throw SwiftInvoiceError(code: .invalidEvent, message: error.reason, field: error.field)
        }
        let invoice = InvoiceCalculator.build(decoded)
        return RenderedInvoice(
            invoiceJSONBytes: InvoicePresenter.json(invoice), htmlBytes: InvoicePresenter.html(invoice, event: decoded),
            number: invoice.number)
    }
}

/// An error from the Swift port.
public struct SwiftInvoiceError: Error, Equatable, Sendable {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let description: String
        /// The event breaks the contract; ``SwiftInvoiceError/field`` names where.
        public static let invalidEvent = Code(description: "invalid_event")
    }

    /// The error's code.
    public var code: Code
    /// A message for people: for an invalid event, the reason.
    public var message: String
    /// For an invalid event, the offending field (`customer.name`, `event`, ...).
    public var field: String?
}
