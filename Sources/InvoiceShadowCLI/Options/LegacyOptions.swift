import ArgumentParser
import Foundation
import PythonBridge

/// Where the legacy Python service lives, shared by every command that runs it.
struct LegacyOptions: ParsableArguments {
    @Option(
        name: .customLong("legacy"),
        help: ArgumentHelp(
            "The legacy service's directory (the one holding invoicing/).",
            discussion: "Default: $INVOICE_SHADOW_LEGACY, else ./legacy, else legacy/ beside the build directory.",
            valueName: "DIR"))
    var directory: String?

    @Option(
        name: .customLong("python-thread"),
        help: ArgumentHelp(
            "Where the embedded Python thread runs: dedicated or shared.",
            discussion: """
                dedicated (the default): pinned to the last CPU the process may use, at nice -10, \
                so the legacy, which the GIL keeps to that one thread, is not slowed by the \
                harness's own work (nice below 0 needs root or CAP_SYS_NICE; without it the thread \
                stays pinned at the process's priority, and serve's start-up line says so). \
                shared: wherever the scheduler puts it, at the process's priority.
                """,
            valueName: "PLACEMENT"))
    var pythonThread: PythonThreadOption = .dedicated

    /// serve --workers gives each worker's Python thread a CPU of its own.
    @Option(help: .hidden) var pythonCPUFromLast = 0

    enum PythonThreadOption: String, ExpressibleByArgument, CaseIterable {
        case dedicated, shared

        var placement: PythonThreadPlacement { self == .dedicated ? .dedicated : .shared }
    }

    /// The absolute path of the legacy directory, or a validation error naming every place tried.
    func resolvedDirectory() throws -> String {
        var candidates: [String] = []
        if let directory {
            candidates = [directory]
        } else {
            if let fromEnvironment = ProcessInfo.processInfo.environment["INVOICE_SHADOW_LEGACY"] {
                candidates.append(fromEnvironment)
            }
            candidates.append(FileManager.default.currentDirectoryPath + "/legacy")
            // .build/<configuration>/invoice-shadow → the package root's legacy/
            var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                candidates.append(url.appendingPathComponent("legacy").path)
            }
        }
        // Each place once, as an absolute path (the binary's ancestors repeat at the root).
        var tried: [String] = []
        for candidate in candidates {
            let absolute = URL(fileURLWithPath: candidate).standardizedFileURL.path
            guard !tried.contains(absolute) else { continue }
            tried.append(absolute)
            if FileManager.default.fileExists(atPath: absolute + "/invoicing/__init__.py") {
                return absolute
            }
        }
        throw ValidationError(
            "cannot find the legacy service (a directory holding invoicing/__init__.py); looked in: "
                + tried.joined(separator: ", ") + ". Pass --legacy DIR.")
    }

    /// The Python thread's placement these options ask for.
    var placement: PythonThreadPlacement {
        var placement = pythonThread.placement
        placement.cpuFromLast = pythonCPUFromLast
        return placement
    }

    /// These options as arguments, for a worker process.
    var arguments: [String] {
        (directory.map { ["--legacy", $0] } ?? []) + ["--python-thread", pythonThread.rawValue]
    }

    /// Starts the embedded interpreter with the legacy service imported.
    func start() async throws -> LegacyInvoiceService {
        let directory = try resolvedDirectory()
        do {
            return try await LegacyInvoiceService.start(
                legacyDirectory: directory, threadPlacement: placement)
        } catch {
            throw CLIError("cannot start the legacy service: \(error.message)")
        }
    }
}

/// An error the CLI prints as it is, and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
