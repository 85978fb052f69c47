import ShadowCore

/// The Swift port of the invoice service. Filled in by the port issue; until then every event
/// fails honestly with ``SwiftInvoiceError/Code/notImplemented``.
public struct SwiftInvoiceService: Sendable {
    /// Creates the service.
    public init() {}

    /// Renders one event.
    /// - Parameter event: The event bytes as consumed from Kafka.
    /// - Throws: ``SwiftInvoiceError`` for every event until the port exists.
    public func render(event: [UInt8]) throws(SwiftInvoiceError) -> RenderedInvoice {
        throw SwiftInvoiceError(code: .notImplemented, message: "the Swift port is not written yet")
    }
}

/// An error from the Swift port.
public struct SwiftInvoiceError: Error, Equatable, Sendable {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let description: String
        /// The port does not implement this yet.
        public static let notImplemented = Code(description: "not_implemented")
    }

    /// The error's code.
    public var code: Code
    /// A message for people.
    public var message: String
}
