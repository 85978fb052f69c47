import Foundation
import KafkaIO
import PythonBridge
import Synchronization

/// Paths and the one embedded interpreter that every test in this process shares.
public enum TestSupport {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `legacy/`.
    public static var legacyDirectory: String { repositoryRoot.appendingPathComponent("legacy").path }

    /// `Tests/TestSupport/python`, holding `bridge_fixtures.py`.
    public static var fixturesDirectory: String {
        repositoryRoot.appendingPathComponent("Tests/TestSupport/python").path
    }

    private static let shared = Task {
        try await LegacyInvoiceService.start(legacyDirectory: legacyDirectory, extraSearchPaths: [fixturesDirectory])
    }

    /// The process's interpreter, with `legacy/` and the fixtures on `sys.path`. A process can
    /// initialize CPython once, so every test uses this one.
    public static func legacy() async throws -> LegacyInvoiceService {
        try await shared.value
    }

    /// A fixture function from `bridge_fixtures.py`.
    public static func fixture(_ name: String) -> PythonFunctionName {
        PythonFunctionName(module: "bridge_fixtures", name: name)
    }

    /// The bytes of a file under the repository root.
    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: repositoryRoot.appendingPathComponent(relativePath)))
    }
}

extension TestSupport {
    /// The sample DE eats event (`legacy/samples/de-eats.json`) with changes applied, as bytes.
    /// - Parameter change: Edits the event as a JSON object.
    public static func sampleEvent(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> [UInt8] {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("legacy/samples/de-eats.json"))
        guard var event = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        change(&event)
        return Array(try JSONSerialization.data(withJSONObject: event))
    }

    /// Parses JSON text into an object, for assertions.
    public static func object(_ json: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }
}

/// The result of running the `invoice-shadow` binary.
public struct CommandResult: Sendable {
    /// The exit status.
    public var status: Int32
    /// Standard output.
    public var output: Data
    /// Standard error, as text.
    public var error: String

    /// Standard output as text.
    public var text: String { String(decoding: output, as: UTF8.self) }
}

extension TestSupport {
    /// The built `invoice-shadow` binary beside this test bundle.
    public static var executable: URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("invoice-shadow")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return repositoryRoot.appendingPathComponent(".build/debug/invoice-shadow")
    }

    /// Runs `invoice-shadow` with `arguments`, from the repository root, and waits for it.
    /// - Parameters:
    ///   - arguments: The command line after the program name.
    ///   - input: Bytes for standard input.
    ///   - environment: Extra environment variables.
    public static func run(_ arguments: [String], input: Data = Data(), environment: [String: String] = [:]) throws
        -> CommandResult
    {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        // Read both pipes while the process runs, so a full pipe never blocks it.
        let errorData = Mutex(Data())
        let errorReader = Thread {
            let data = stderr.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
        }
        errorReader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errorReader.isExecuting || !errorReader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return CommandResult(
            status: process.terminationStatus, output: output,
            error: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
    }
}

extension TestSupport {
    /// Waits until `condition` holds, looking every 250 ms; returns whether it did within `timeout`.
    public static func eventually(_ timeout: Duration = .seconds(120), _ condition: () throws -> Bool) async throws
        -> Bool
    {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(250))
        }
        return true
    }

    /// Polls `consumer` on a thread of its own (poll blocks) until `count` messages arrived or
    /// `timeout` passed.
    public static func consume(_ consumer: KafkaConsumer, count: Int, timeout: Duration) async -> [KafkaMessage] {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var messages: [KafkaMessage] = []
                let deadline = ContinuousClock.now + timeout
                while messages.count < count, ContinuousClock.now < deadline {
                    if let message = consumer.poll(timeout: .milliseconds(200)) { messages.append(message) }
                }
                continuation.resume(returning: messages)
            }
            thread.start()
        }
    }
}
