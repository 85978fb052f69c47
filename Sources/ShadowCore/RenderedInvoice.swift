/// What either implementation returns for one valid event.
///
/// Kept as UTF-8 bytes, which is what both ends deal in (the port writes bytes; serve stores and
/// publishes bytes): as Strings, every invoice was validated as UTF-8 once made and copied back into
/// bytes once served, a visible share of the port's CPU per event in `serve`. ``invoiceJSON`` and ``html`` give
/// the text.
public struct RenderedInvoice: Equatable, Sendable {
    /// The invoice as canonical JSON (keys sorted, amounts as decimal strings), in UTF-8.
    public var invoiceJSONBytes: [UInt8]
    /// The legal document as a complete HTML page, in UTF-8.
    public var htmlBytes: [UInt8]
    /// The invoice number, when the implementation hands it over (the Swift port does): it is the
    /// JSON's `number`, so whoever needs it need not parse the JSON again (serve keys the output
    /// topic and the object store by it). Not part of equality: it is derived from the JSON.
    public var number: String?

    /// The invoice JSON as text.
    public var invoiceJSON: String {
        get { String(decoding: invoiceJSONBytes, as: UTF8.self) }
        set { invoiceJSONBytes = Array(newValue.utf8) }
    }

    /// The HTML document as text.
    public var html: String {
        get { String(decoding: htmlBytes, as: UTF8.self) }
        set { htmlBytes = Array(newValue.utf8) }
    }

    /// Creates a rendered invoice from text.
    /// - Parameters:
    ///   - invoiceJSON: The canonical invoice JSON.
    ///   - html: The HTML document.
    ///   - number: The JSON's `number`, if the implementation knows it.
    public init(invoiceJSON: String, html: String, number: String? = nil) {
        self.init(invoiceJSONBytes: Array(invoiceJSON.utf8), htmlBytes: Array(html.utf8), number: number)
    }

    /// Creates a rendered invoice from UTF-8 bytes (valid UTF-8: the text views decode it as such).
    /// - Parameters:
    ///   - invoiceJSONBytes: The canonical invoice JSON.
    ///   - htmlBytes: The HTML document.
    ///   - number: The JSON's `number`, if the implementation knows it.
    public init(invoiceJSONBytes: [UInt8], htmlBytes: [UInt8], number: String? = nil) {
        self.invoiceJSONBytes = invoiceJSONBytes
        self.htmlBytes = htmlBytes
        self.number = number
    }

    /// The same documents (`number` is derived from the JSON, and only some implementations give it).
    public static func == (left: RenderedInvoice, right: RenderedInvoice) -> Bool {
        left.invoiceJSONBytes == right.invoiceJSONBytes && left.htmlBytes == right.htmlBytes
    }
}
