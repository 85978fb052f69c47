import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ShadowLogging
import ShadowServe
import ShadowWeb
import Synchronization

/// The engine as a service: it runs until graceful shutdown, then stops consuming, finishes the
/// events in flight, writes their rows and commits, and returns.
struct EngineService: Service {
    let engine: ServeEngine
    let runID: Int64

    func run() async throws {
        // Cancelled (the group failed) as when shut down: stop consuming and drain, so that what
        // was consumed is recorded and committed rather than abandoned.
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await engine.run(runID: runID)
            } onGracefulShutdown: {
                engine.stop()
            }
        } onCancel: {
            engine.stop()
        }
    }
}

/// The dashboard's server as a service: the bound address on standard output
/// (`http: http://HOST:PORT/`), and a failure to listen explained with what to do about it.
struct WebService: Service {
    let address: String
    let application: any ApplicationProtocol

    func run() async throws {
        do {
            try await application.run()
        } catch {
            throw ServeFailure(
                "the HTTP server cannot run on \(address): \(error) (choose another with --http HOST:PORT, or --no-http)"
            )
        }
    }
}

/// Something that runs every `interval` until graceful shutdown (the counters line, the demo feed).
struct PeriodicService: Service {
    let interval: Duration
    let tick: @Sendable () async throws -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await tick()
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Shut down: the way this service is meant to end.
        }
    }
}

/// Ends the group after `duration` (serve --duration), as a signal would.
struct DeadlineService: Service {
    let duration: Duration

    func run() async throws {
        // Either way it ends the group: the deadline passed, or a shutdown came first (the sleep's
        // CancellationError is that, not a failure).
        try? await cancelWhenGracefulShutdown {
            try await Task.sleep(for: duration)
        }
    }
}

/// A failure that ends serve with status 1, described for the operator.
struct ServeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// SIGINT and SIGTERM for serve: the first asks the group to shut down gracefully (stop
/// consuming, finish what is in flight, commit, close); a second one, while that runs, exits at
/// once with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM); uncommitted events are
/// redelivered to whoever consumes next.
final class ShutdownSignals: Sendable {
    /// The signal sources; `@unchecked Sendable` because they are only created in `init` and
    /// cancelled once, and DispatchSource is thread-safe for both.
    private struct Sources: @unchecked Sendable {
        var sources: [DispatchSourceSignal]
    }

    /// How many signals arrived.
    private final class Count: Sendable {
        let value = Mutex(0)
    }

    private let sources: Sources

    init(logger: Logger, shutdown: @escaping @Sendable () async -> Void) {
        let received = Count()
        sources = Sources(
            sources: [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
                signal(number, SIG_IGN)  // the source, not the default action, handles it
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    let count = received.value.withLock { count in
                        count += 1
                        return count
                    }
                    let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                    if count == 1 {
                        logger.info("\(name): stopping after the events in flight (again to stop at once)")
                        Task { await shutdown() }
                    } else {
                        logger.warning("\(name) again: exiting now; uncommitted events will be redelivered")
                        exit(128 + number)
                    }
                }
                source.resume()
                return source
            })
    }

    /// Stops handling the signals.
    func cancel() {
        sources.sources.forEach { $0.cancel() }
    }
}

extension ServeHealth {
    /// The failing checks as `/health` reports them.
    var reportFailures: [HealthReport.Failure] {
        failing.map { HealthReport.Failure(check: $0.check.rawValue, reason: $0.reason, since: $0.since) }
    }
}
