import ShadowCore

/// The legacy Python invoice service (`legacy/invoicing`), called through the embedded interpreter.
public struct LegacyInvoiceService: Sendable {
    /// `invoicing.render_event(data: bytes) -> {"invoice": str, "html": str}`.
    public static let entryPoint = PythonFunctionName(module: "invoicing", name: "render_event")
    /// `invoicing.InvalidEvent`, raised with `field` and `reason` for an event that breaks the contract.
    public static let invalidEvent = PythonFunctionName(module: "invoicing", name: "InvalidEvent")

    /// The interpreter the service runs in.
    public let interpreter: PythonInterpreter
    /// The function each render calls; ``entryPoint`` unless a test wraps it.
    public let function: PythonFunctionName

    /// Wraps an interpreter whose `sys.path` holds `legacy/`.
    /// - Parameters:
    ///   - interpreter: The process's interpreter.
    ///   - function: The render function (same signature as ``entryPoint``); tests wrap the
    ///     legacy with fault-injecting functions this way.
    public init(interpreter: PythonInterpreter, function: PythonFunctionName = Self.entryPoint) {
        self.interpreter = interpreter
        self.function = function
    }

    /// Starts the process's interpreter with `legacy/` first on `sys.path` and imports the service.
    /// - Parameters:
    ///   - legacyDirectory: The absolute path of the project's `legacy/` directory.
    ///   - extraSearchPaths: More directories for `sys.path`, after `legacy/` (test fixtures).
    ///   - threadPlacement: Where the Python thread runs. Default ``PythonThreadPlacement/dedicated``.
    /// - Throws: ``PythonBridgeError``; `.importFailed` names the path searched.
    public static func start(
        legacyDirectory: String, extraSearchPaths: [String] = [],
        threadPlacement: PythonThreadPlacement = .dedicated
    ) async throws(PythonBridgeError) -> LegacyInvoiceService {
        var configuration = PythonConfiguration(searchPaths: [legacyDirectory] + extraSearchPaths)
        configuration.threadPlacement = threadPlacement
        let interpreter = try await PythonInterpreter.make(
            configuration: configuration, preload: [entryPoint, invalidEvent])
        return LegacyInvoiceService(interpreter: interpreter)
    }

    /// Renders one event with the legacy service.
    /// - Parameters:
    ///   - event: The event bytes exactly as consumed.
    ///   - timeout: How long to wait, queue time included.
    /// - Returns: The rendered invoice or the failure, and the time the Python work took.
    public func render(event: [UInt8], timeout: Duration) async -> LegacyRun {
        let outcome = await interpreter.call(
            function, argument: event, invalidInput: Self.invalidEvent, timeout: timeout)
        return LegacyRun(
            result: outcome.result.flatMap { dictionary in
                guard let invoice = dictionary["invoice"], let html = dictionary["html"] else {
                    return .failure(
                        .bridge(
                            PythonBridgeError(
                                code: .badResult,
                                message: "render_event returned keys \(dictionary.keys.sorted()), not invoice and html")
                        ))
                }
                return .success(RenderedInvoice(invoiceJSON: invoice, html: html))
            },
            pythonTime: outcome.pythonTime, cpuTime: outcome.pythonCPUTime,
            waitBehindEarlierCalls: outcome.waitBehindEarlierCalls)
    }
}

/// One run of the legacy service.
public struct LegacyRun: Sendable {
    /// The rendered invoice, or how the run failed.
    public var result: Result<RenderedInvoice, PythonCallFailure>
    /// Wall time of the Python work alone.
    public var pythonTime: Duration
    /// CPU time of the Python work alone.
    public var cpuTime: Duration = .zero
    /// Time queued while the Python thread ran earlier calls (see ``PythonCallOutcome/waitBehindEarlierCalls``).
    public var waitBehindEarlierCalls: Duration = .zero
}
