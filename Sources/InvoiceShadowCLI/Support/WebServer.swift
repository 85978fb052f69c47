import Foundation
import Hummingbird
import ShadowWeb
import Synchronization

/// The dashboard's HTTP server as serve runs it: started in a task, reporting its bound address on
/// stdout (`http: http://HOST:PORT/`), and failing loudly when it cannot listen.
final class WebServer: Sendable {
    private let address: String?
    private let configuration: ShadowWeb.Configuration
    private let task = Mutex<Task<String?, Never>?>(nil)

    init(address: String?, configuration: ShadowWeb.Configuration) {
        self.address = address
        self.configuration = configuration
    }

    /// Starts listening; the returned task ends with a message if the server fails, nil when stopped.
    func start() throws -> Task<String?, Never>? {
        guard let address else { return nil }
        let application = try ShadowWeb.buildApplication(address: address, configuration: configuration) { bound in
            FileHandle.standardOutput.write(Data("http: http://\(bound)/\n".utf8))
        }
        let running = Task<String?, Never> {
            do {
                try await application.runService(gracefulShutdownSignals: [])
                return Task.isCancelled ? nil : "the HTTP server on \(address) stopped"
            } catch {
                if Task.isCancelled { return nil }
                return
                    "the HTTP server cannot run on \(address): \(error) (choose another with --http HOST:PORT, or --no-http)"
            }
        }
        task.withLock { $0 = running }
        return running
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}
