import Foundation

/// A plain `/usr/bin/python3` process (or the `python-floor` one, Python's own main linked with the
/// library the bridge links) that renders slices of the same corpus on request, so that benchmark
/// rounds can alternate with the bridge batch by batch and share the machine's slow and fast
/// moments. Timing is taken inside Python around the loop only.
package final class PlainPythonLoop {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var pending = Data()

    private static let script = """
        import sys, time
        sys.path.insert(0, sys.argv[1])
        from invoicing import render_event, InvalidEvent
        events = [line.rstrip(b"\\n") for line in open(sys.argv[2], "rb")]
        print("ready", flush=True)
        for command in sys.stdin:
            start, end = (int(part) for part in command.split())
            started = time.perf_counter()
            for event in events[start:end]:
                try:
                    render_event(event)
                except InvalidEvent:
                    pass
            print(time.perf_counter() - started, flush=True)
        """

    /// Starts `executable -I` with the legacy service and the corpus loaded, on `cpu` at `nice` if
    /// given: where and at what priority the bridge's Python thread runs, so that the loop and the
    /// bridge are compared on the same footing.
    package init(
        executable: String = "/usr/bin/python3", legacyDirectory: String, corpus: String, cpu: Int32? = nil,
        nice: Int32? = nil
    ) throws {
        var command = [executable, "-I", "-c", Self.script, legacyDirectory, corpus]
        if let nice { command = ["/usr/bin/nice", "-n", "\(nice)"] + command }
        if let cpu { command = ["/usr/bin/taskset", "-c", "\(cpu)"] + command }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        guard try readLine() == "ready" else {
            throw BenchmarkError("the plain loop in \(command.joined(separator: " ").prefix(80)) did not start")
        }
    }

    /// Renders events `range` of the corpus; the seconds Python measured around its loop.
    package func render(_ range: Range<Int>) throws -> Double {
        input.fileHandleForWriting.write(Data("\(range.lowerBound) \(range.upperBound)\n".utf8))
        guard let seconds = Double(try readLine()) else {
            throw BenchmarkError("the plain python3 loop answered nonsense")
        }
        return seconds
    }

    private func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                throw BenchmarkError("the plain python3 loop exited (status \(process.terminationStatus))")
            }
            pending.append(chunk)
        }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
