/// What either implementation returns for one valid event.
public struct RenderedInvoice: Equatable, Sendable {
    /// The invoice as canonical JSON (keys sorted, amounts as decimal strings).
    public var invoiceJSON: String
    /// The legal document as a complete HTML page.
    public var html: String

    /// Creates a rendered invoice.
    /// - Parameters:
    ///   - invoiceJSON: The canonical invoice JSON.
    ///   - html: The HTML document.
    public init(invoiceJSON: String, html: String) {
        self.invoiceJSON = invoiceJSON
        self.html = html
    }
}
