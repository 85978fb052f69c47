import InvoiceService
import PythonBridge
import ShadowCore

/// The legacy Python service as an ``InvoiceRenderer``: runs on the embedded interpreter.
public struct LegacyRenderer: InvoiceRenderer {
    /// The embedded service.
    public let service: LegacyInvoiceService
    /// How long a render may take, queue included.
    public let timeout: Duration

    /// Wraps the embedded service.
    /// - Parameters:
    ///   - service: The embedded legacy service.
    ///   - timeout: The deadline of each render. Default 10 s.
    public init(service: LegacyInvoiceService, timeout: Duration = .seconds(10)) {
        self.service = service
        self.timeout = timeout
    }

    /// `.legacy`.
    public var implementation: Implementation { .legacy }

    /// Renders through the bridge; the latency is the Python work alone, and the time queued
    /// behind other events' renders is reported apart.
    public func render(event: [UInt8]) async -> SideResult {
        let run = await service.render(event: event, timeout: timeout)
        var result: SideResult
        switch run.result {
        case .success(let invoice):
            result = SideResult(outcome: .rendered(invoice), latency: run.pythonTime)
        case .failure(.invalidInput(let field, let reason)):
            result = SideResult(outcome: .invalidEvent(field: field, reason: reason), latency: run.pythonTime)
        case .failure(.exception(let exception)):
            result = SideResult(
                outcome: .failed(
                    RenderFailure(
                        origin: "python", type: exception.type, message: exception.message,
                        detail: exception.traceback)), latency: run.pythonTime)
        case .failure(.timeout):
            result = SideResult(outcome: .timedOut, latency: timeout)
        case .failure(.bridge(let error)):
            result = SideResult(
                outcome: .failed(RenderFailure(origin: "bridge", type: error.code.description, message: error.message)),
                latency: run.pythonTime)
        }
        result.waitBehindOtherEvents = run.waitBehindEarlierCalls
        return result
    }
}

/// The Swift port as an ``InvoiceRenderer``.
public struct SwiftRenderer: InvoiceRenderer {
    /// The Swift port that renders.
    public let service: SwiftInvoiceService

    /// Wraps the port.
    /// - Parameter service: The Swift invoice service.
    public init(service: SwiftInvoiceService = SwiftInvoiceService()) {
        self.service = service
    }

    /// `.swift`.
    public var implementation: Implementation { .swift }

    /// Renders in the calling task; the latency is the render's wall time.
    public func render(event: [UInt8]) async -> SideResult {
        let started = ContinuousClock.now
        let outcome: RenderOutcome
        do {
            outcome = .rendered(try service.render(event: event))
        } catch {
            if error.code == .invalidEvent, let field = error.field {
                outcome = .invalidEvent(field: field, reason: error.message)
            } else {
                outcome = .failed(RenderFailure(origin: "swift", type: error.code.description, message: error.message))
            }
        }
        return SideResult(outcome: outcome, latency: ContinuousClock.now - started)
    }
}
