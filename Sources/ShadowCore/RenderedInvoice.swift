/// What either implementation returns for one valid event.
public struct RenderedInvoice: Equatable, Sendable {
    /// The invoice as canonical JSON (keys sorted, amounts as decimal strings).
    public var invoiceJSON: String
    /// The legal document as a complete HTML page.
    public var html: String
    /// The invoice number, when the implementation hands it over (the Swift port does): it is the
    /// JSON's `number`, so whoever needs it need not parse the JSON again (serve keys the output
    /// topic and the object store by it). Not part of equality: it is derived from `invoiceJSON`.
    public var number: String?

    /// Creates a rendered invoice.
    /// - Parameters:
    ///   - invoiceJSON: The canonical invoice JSON.
    ///   - html: The HTML document.
    ///   - number: The JSON's `number`, if the implementation knows it.
    public init(invoiceJSON: String, html: String, number: String? = nil) {
        self.invoiceJSON = invoiceJSON
        self.html = html
        self.number = number
    }

    /// The same documents (`number` is derived from the JSON, and only some implementations give it).
    public static func == (left: RenderedInvoice, right: RenderedInvoice) -> Bool {
        left.invoiceJSON == right.invoiceJSON && left.html == right.html
    }
}
