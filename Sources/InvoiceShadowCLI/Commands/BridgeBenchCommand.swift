import ArgumentParser
import EventGenerator
import Foundation
import PythonBridge

/// `invoice-shadow bench bridge`: what the CPython bridge costs, measured against plain python3.
struct BridgeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Bridge overhead against a plain /usr/bin/python3 loop, and memory over many trivial calls.",
        discussion: """
            Renders the same generated events through the embedded interpreter and in a plain
            /usr/bin/python3 loop (a second process), alternating the two batch by batch in one run,
            and reports calls/s for each and the bridge's overhead: the median over batches of
            bridge time ÷ python3 time for the same events.
            Then makes --trivial-calls calls of a trivial function and reports resident memory
            before and after, so a reference-counting leak shows up. Use a release build:
              swift build -c release && .build/release/invoice-shadow bench bridge
            """)

    @Option(help: "Generated events rendered per round, by each side.")
    var events = 10_000

    @Option(help: "The generator seed.")
    var seed: UInt64 = 1

    @Option(help: "Passes over the events by each side.")
    var rounds = 3

    @Option(help: "Events per batch; the sides alternate batch by batch.")
    var batch = 250

    @Option(help: "Trivial calls for the memory check.")
    var trivialCalls = 1_000_000

    @Option(help: "Calls in flight at once through the bridge.")
    var concurrency = 32

    @OptionGroup var legacy: LegacyOptions

    func run() async throws {
        let lines = EventGenerator().events(seed: seed, count: events)
        let corpus = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-bench-\(getpid()).jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: corpus)
        defer { try? FileManager.default.removeItem(at: corpus) }
        let payloads = lines.map { Array($0.utf8) }
        let directory = try legacy.resolvedDirectory()
        let service = try await legacy.start()
        let python = try PlainPythonLoop(legacyDirectory: directory, corpus: corpus.path)

        let cores = ProcessInfo.processInfo.activeProcessorCount
        print(
            "bridge benchmark: \(events) events (seed \(seed)) x \(rounds) rounds, batches of \(batch), \(cores) cores")
        // Warm-up on both sides: imports, template caches, the allocator.
        _ = try await renderAll(payloads[0..<min(500, events)], service: service)
        _ = try python.render(0..<min(500, events))

        // The two sides alternate batch by batch (and swap who goes first), so that the shared
        // machine's slow and fast moments fall on both alike; per-batch ratios are then robust.
        var bridgeTotal = 0.0
        var pythonTotal = 0.0
        var pythonWorkTotal = Duration.zero
        var ratios: [Double] = []
        for round in 1...rounds {
            var roundBridge = 0.0
            var roundPython = 0.0
            for (index, start) in stride(from: 0, to: events, by: batch).enumerated() {
                let range = start..<min(start + batch, events)
                var bridgeSeconds = 0.0
                var pythonSeconds = 0.0
                if index.isMultiple(of: 2) {
                    (bridgeSeconds, pythonWorkTotal) = try await timed(range, payloads, service, pythonWorkTotal)
                    pythonSeconds = try python.render(range)
                } else {
                    pythonSeconds = try python.render(range)
                    (bridgeSeconds, pythonWorkTotal) = try await timed(range, payloads, service, pythonWorkTotal)
                }
                ratios.append(bridgeSeconds / pythonSeconds)
                roundBridge += bridgeSeconds
                roundPython += pythonSeconds
            }
            bridgeTotal += roundBridge
            pythonTotal += roundPython
            print(
                "  round \(round): bridge \(rate(events, roundBridge)) calls/s, python3 loop \(rate(events, roundPython)) calls/s"
            )
        }
        let calls = events * rounds
        let medianOverhead = median(ratios) - 1
        let totalOverhead = bridgeTotal / pythonTotal - 1
        let ownCost = (bridgeTotal - pythonWorkTotal.seconds) / Double(calls)
        print("bridge calls/s:       \(rate(calls, bridgeTotal))")
        print("python3 loop calls/s: \(rate(calls, pythonTotal))")
        print(
            "bridge overhead: \(percent(medianOverhead)) (median of \(ratios.count) paired batches; "
                + "\(percent(totalOverhead)) on totals) (target < 5%)")
        print(
            "bridge's own cost per call: \(String(format: "%.1f", ownCost * 1e6)) µs "
                + "(wall time outside the Python work, over \(calls) calls)")

        let warmPings = min(20_000, trivialCalls)
        try await ping(count: warmPings, service: service)
        let before = ResourceUsage.residentBytes()
        let started = ContinuousClock.now
        try await ping(count: trivialCalls, service: service)
        let elapsed = ContinuousClock.now - started
        let after = ResourceUsage.residentBytes()
        let growth = Double(after - before) / Double(before)
        print(
            "trivial calls: \(trivialCalls) in \(String(format: "%.1f", elapsed.seconds)) s "
                + "(\(rate(trivialCalls, elapsed.seconds)) calls/s)")
        print(
            "resident memory: \(before / 1024) KiB before, \(after / 1024) KiB after, "
                + "growth \(percent(growth)) (target < 5%)")
        await service.interpreter.shutdown()
    }

    private func timed(
        _ range: Range<Int>, _ payloads: [[UInt8]], _ service: LegacyInvoiceService, _ work: Duration
    ) async throws -> (Double, Duration) {
        let started = ContinuousClock.now
        let pythonWork = try await renderAll(payloads[range], service: service)
        return ((ContinuousClock.now - started).seconds, work + pythonWork)
    }

    /// Renders every payload through the bridge, `concurrency` at a time; the Python work time summed.
    private func renderAll(_ payloads: ArraySlice<[UInt8]>, service: LegacyInvoiceService) async throws -> Duration {
        try await withThrowingTaskGroup(of: Duration.self) { group in
            var next = payloads.startIndex
            func submit() {
                let payload = payloads[next]
                next += 1
                group.addTask {
                    let run = await service.render(event: payload, timeout: .seconds(60))
                    switch run.result {
                    case .success, .failure(.invalidInput): return run.pythonTime
                    case .failure(let failure): throw CLIError("a legacy render failed: \(failure)")
                    }
                }
            }
            while next < min(payloads.startIndex + concurrency, payloads.endIndex) { submit() }
            var work = Duration.zero
            while let time = try await group.next() {
                work += time
                if next < payloads.endIndex { submit() }
            }
            return work
        }
    }

    private func ping(count: Int, service: LegacyInvoiceService) async throws {
        let payload = Array("ping".utf8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var submitted = 0
            func submit() {
                submitted += 1
                group.addTask {
                    let outcome = await service.interpreter.ping(argument: payload, timeout: .seconds(60))
                    guard case .success = outcome.result else { throw CLIError("ping failed: \(outcome.result)") }
                }
            }
            while submitted < min(concurrency * 2, count) { submit() }
            while try await group.next() != nil {
                if submitted < count { submit() }
            }
        }
    }

    private func rate(_ count: Int, _ seconds: Double) -> String { String(format: "%.0f", Double(count) / seconds) }
    private func percent(_ fraction: Double) -> String { String(format: "%+.2f%%", fraction * 100) }
    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
