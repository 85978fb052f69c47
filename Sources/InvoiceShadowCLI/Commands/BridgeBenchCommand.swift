import ArgumentParser
import EventGenerator
import Foundation
import PythonBridge
import ShadowBenchmarks

/// `invoice-shadow bench bridge`: what the CPython bridge costs, measured against plain python3.
struct BridgeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract:
            "Bridge overhead against its floor and a plain /usr/bin/python3 loop, and memory over many trivial calls.",
        discussion: """
            Renders the same generated events through the embedded interpreter, in a plain \
            /usr/bin/python3 loop (a second process) and in the same loop in python-floor \
            (python3's own main linked with the libpython3.11.a the bridge links, built beside \
            invoice-shadow), rotating the three batch by batch in one run, and reports calls/s for \
            each and the bridge's overhead per round: the median over its batches of bridge time ÷ \
            floor time (the target, ≤ 2%) and ÷ python3 time for the same events.

            Then makes --trivial-calls calls of a trivial function and reports resident memory \
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
        let service = try await legacy.start()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print(
            "bridge benchmark: \(events) events (seed \(seed)) x \(rounds) rounds, batches of \(batch), \(cores) cores")
        let figures = try await Benchmarks.bridgeOverhead(
            service: service, lines: lines, legacyDirectory: try legacy.resolvedDirectory(), rounds: rounds,
            batch: batch, concurrency: concurrency
        ) { print("  " + $0) }
        print("bridge calls/s:       \(Int(figures.bridgeCallsPerSecond))")
        print("python3 loop calls/s: \(Int(figures.pythonCallsPerSecond))")
        if let floor = figures.floorCallsPerSecond, let over = figures.overFloor, let library = figures.floorOverPython
        {
            print("python-floor calls/s: \(Int(floor))")
            print("bridge against the floor: \(over.text("%+.2f%%", scale: 100)) (target ≤ +2%)")
            print("the floor against python3: \(library.text("%+.2f%%", scale: 100)) (the library's own cost)")
        } else {
            print("python-floor is not beside this binary: build it (swift build -c release) to measure against it")
        }
        print(
            "bridge against python3: \(figures.overPython.text("%+.2f%%", scale: 100)) (median of "
                + "\(figures.batches) batches per round; \(percent(figures.totalOverhead)) on totals)")
        print(
            "bridge's own cost per call: \(String(format: "%.1f", figures.ownCostMicroseconds)) µs "
                + "(wall time outside the Python work)")

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
                + "(\(Int(Double(trivialCalls) / elapsed.seconds)) calls/s)")
        print(
            "resident memory: \(before / 1024) KiB before, \(after / 1024) KiB after, "
                + "growth \(percent(growth)) (target < 5%)")
        await service.interpreter.shutdown()
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

    private func percent(_ fraction: Double) -> String { String(format: "%+.2f%%", fraction * 100) }
}
