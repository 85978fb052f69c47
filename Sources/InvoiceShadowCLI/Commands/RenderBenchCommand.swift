import ArgumentParser
import EventGenerator
import Foundation
import InvoiceService
import PythonBridge
import ShadowBenchmarks
import ShadowCore

/// `invoice-shadow bench render`: render CPU per invoice, legacy against the port, per country.
struct RenderBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render CPU per invoice: the legacy (through the bridge) against the Swift port, per country.",
        discussion: """
            Renders the same generated events with both implementations in one run and compares \
            the CPU time each spends per invoice: the legacy's is the Python thread's own CPU time \
            per call (CLOCK_THREAD_CPUTIME_ID, bridge excluded), the port's is the calling \
            thread's CPU time around each render. Target: the port at least 50 times cheaper. Use \
            a release build:
              swift build -c release && .build/release/invoice-shadow bench render

            `--port-only` times the port alone (no interpreter is started), for iterating on the \
            port: its figure is only comparable with another `--port-only` run in the same \
            minutes.
            """)

    @Option(help: "Generated events.")
    var events = 10_000

    @Option(help: "The generator seed.")
    var seed: UInt64 = 3

    @Option(help: "Passes of the port over the events (its cost per render is averaged over all).")
    var swiftPasses = 5

    @Option(help: "Rounds, legacy and port alternating which goes first; the ratio is their median.")
    var rounds = 3

    @Flag(help: "Time the port alone: its CPU per render in each round, and their median.")
    var portOnly = false

    @OptionGroup var legacy: LegacyOptions

    func run() async throws {
        let payloads = EventGenerator().events(seed: seed, count: events).map { Array($0.utf8) }
        if portOnly {
            let figures = Benchmarks.Repeated(
                (0..<max(1, rounds)).map { _ in Benchmarks.portRenderCPU(payloads, passes: swiftPasses) })
            print(
                "port CPU per render, \(events) events (seed \(seed)) × \(swiftPasses) passes: "
                    + figures.text("%.2f µs"))
            return
        }
        let service = try await legacy.start()
        let figures = await Benchmarks.renderCPU(
            service: service, payloads: payloads, swiftPasses: swiftPasses, rounds: rounds)
        await service.interpreter.shutdown()

        print(
            "render CPU per invoice, \(events) events (seed \(seed)), \(rounds) rounds of legacy once and port \(swiftPasses)×"
        )
        print("country  events  legacy µs  swift µs   legacy ÷ swift")
        for country in figures.counts.keys.sorted() {
            let left = figures.legacyMicroseconds[country]!
            let right = figures.swiftMicroseconds[country]!
            print(
                country.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + String(format: " %6d  %9.1f  %8.2f   %6.1f×", figures.counts[country]!, left, right, left / right)
            )
        }
        print(
            String(
                format: "all      %6d  %9.1f  %8.2f   %@  (target ≥ 50×)", events, figures.legacyAll,
                figures.swiftAll, figures.roundRatios.text("%.1f×")))
    }
}
