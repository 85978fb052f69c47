import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The tests that run real serve and broker processes, one at a time: several at once on two cores
/// starved each other past their timeouts (and the in-process tests beside them).
@Suite(.serialized) enum RealProcesses {}

/// A real `invoice-shadow serve` process for a test: started with `arguments`, its standard error
/// collected, its dashboard's address read from standard output (`http: http://HOST:PORT/`), and
/// signalled like an operator would.
final class ServeProcess: Sendable {
    /// Standard error as read so far, and whether it reached its end.
    private final class Collected: Sendable {
        let data = Mutex(Data())
        let finished = Mutex(false)
    }

    let process: Process
    private let collected = Collected()
    /// `http://HOST:PORT/`, once serve listens ("" if it never said).
    let address: String
    /// The embedded broker's `HOST:PORT`, when serve started one (without --brokers).
    let bootstrap: String?

    /// Starts serve with `arguments` (after `serve`; add `--http 127.0.0.1:0` for ``get(_:)``).
    init(_ arguments: [String], command: String = "serve") throws {
        process = Process()
        process.executableURL = TestSupport.executable
        process.arguments = [command] + arguments
        process.currentDirectoryURL = TestSupport.repositoryRoot
        let (stdout, stderr) = (Pipe(), Pipe())
        process.standardOutput = stdout
        process.standardError = stderr
        let collected = self.collected
        let reader = Thread {
            // A chunk at a time, so that a test can read the log while serve runs.
            let handle = stderr.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                collected.data.withLock { $0.append(chunk) }
            }
            collected.finished.withLock { $0 = true }
        }
        try process.run()
        reader.start()
        var address = ""
        var bootstrap: String?
        for _ in 0..<200 where address.isEmpty && arguments.contains("--http") {
            let chunk = String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self)
            for line in chunk.split(separator: "\n") {
                if line.hasPrefix("http: ") { address = String(line.dropFirst("http: ".count)) }
                if line.hasPrefix("bootstrap: ") { bootstrap = String(line.dropFirst("bootstrap: ".count)) }
            }
        }
        self.address = address
        self.bootstrap = bootstrap
    }

    /// GET `path` on serve's dashboard: the status and the body (nil when nothing answers).
    func get(_ path: String) async -> (status: Int, body: String)? {
        guard let url = URL(string: address + path) else { return nil }
        // A short timeout: a request to a serve that is exiting must not hold the test for a minute.
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        guard let (data, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// PUT `body` (JSON) to `path` with a bearer token: the status and the body (nil when nothing answers).
    func put(_ path: String, json body: String, token: String) async -> (status: Int, body: String)? {
        guard let url = URL(string: address + path) else { return nil }
        var request = URLRequest(url: url)
        request.httpMethod = "PUT"
        request.timeoutInterval = 15
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        guard let (data, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Sends `signal` to serve.
    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for serve to exit; returns its status.
    func waitForExit() async throws -> Int32 {
        process.waitUntilExit()
        while !collected.finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus
    }

    /// Sends `signal` and waits for serve to exit; returns its status.
    func waitForExitAfter(_ signal: Int32) async throws -> Int32 {
        self.signal(signal)
        return try await waitForExit()
    }

    /// What serve wrote on standard error so far (complete once it exited).
    var log: String { String(decoding: collected.data.withLock { $0 }, as: UTF8.self) }

    /// Ends serve if a test left it running.
    func terminateIfRunning() {
        if process.isRunning { process.terminate() }
    }
}

/// A standalone `invoice-shadow broker` for a test: it exits when the test's end of its standard
/// input closes, so it never outlives the test, even one that crashes.
final class BrokerProcess: Sendable {
    let process: Process
    private let input: Pipe
    /// `HOST:PORT`.
    let bootstrap: String

    init(partitions: Int = 32) throws {
        process = Process()
        process.executableURL = TestSupport.executable
        process.arguments = ["broker", "--exit-at-end-of-input", "--partitions", "\(partitions)"]
        let (input, output) = (Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.input = input
        var first = Data()
        while !first.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        bootstrap = String(
            String(decoding: first, as: UTF8.self).dropFirst("bootstrap: ".count).prefix { $0 != "\n" })
    }

    /// Stops the broker.
    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// A copy of the repository's legacy package with `python` appended to its `__init__.py` (a planted
/// difference: a render that wraps the real one), in `directory`; returns the copy's `--legacy` path.
func legacyCopy(in directory: URL, appending python: String) throws -> String {
    let copy = directory.appendingPathComponent("legacy")
    try FileManager.default.copyItem(
        at: URL(fileURLWithPath: TestSupport.legacyDirectory).appendingPathComponent("invoicing"),
        to: copy.appendingPathComponent("invoicing"))
    let entry = copy.appendingPathComponent("invoicing/__init__.py")
    try (try String(contentsOf: entry, encoding: .utf8) + python).write(to: entry, atomically: true, encoding: .utf8)
    return copy.path
}
