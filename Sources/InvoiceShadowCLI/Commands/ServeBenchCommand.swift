import ArgumentParser
import EventGenerator
import Foundation
import InvoiceRenderers
import ShadowBenchmarks
import ShadowCore

/// `invoice-shadow bench serve`: one serve phase of `bench` on its own, to iterate on serve's speed.
struct ServeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve throughput in one mode (phases 2 to 5 of `bench`), alone.",
        discussion: """
            Preloads generated events into the embedded broker (a child process; --fed or --paced \
            feed them while serve runs instead), runs the real serve engine on them with every \
            country's flag set to --flag, and prints events per second, the CPUs busy (this \
            process and the broker's) and serve's CPU per event. Faster to repeat than the whole \
            `bench` when working on serve's speed; writes no report. It logs the CLOCK_MONOTONIC \
            time of the first event consumed and the last recorded, for `perf record -k \
            CLOCK_MONOTONIC` and `perf report --time START,END`. Use a release build:
              swift build -c release && .build/release/invoice-shadow bench serve --flag swift
            """)

    @Option(help: "Every country's flag: legacy, shadow, live or swift.")
    var flag: CutoverFlag = .swift

    @Option(help: "Events preloaded and served.")
    var events = 50_000

    @Option(
        help: ArgumentHelp(
            "Recorded-event counts at which to read resident memory, comma-separated (phase 5 of bench reads 0, "
                + "100000 and 1000000).", valueName: "LIST"))
    var residentAt = ""

    @Option(
        help: ArgumentHelp(
            "Feed the events at this many a second instead of preloading them, and print the latency the "
                + "harness adds to the primary path (phase 3 of bench feeds a quarter of the legacy ceiling).",
            valueName: "RATE"))
    var paced: Double?

    @Flag(
        help: ArgumentHelp(
            "Feed the events as serve takes them, at most 10,000 ahead, instead of preloading them (as phase 5 of "
                + "bench does): for runs longer than the embedded broker keeps, such as memory over millions of "
                + "events with --resident-at."))
    var fed = false

    @Option(help: "Legacy-primary events in flight at once (serve's window; default: serve's).")
    var window: Int?

    @Option(help: "Port-primary events in flight at once (serve's portWindow; default: serve's).")
    var portWindow: Int?

    @Option(help: "The most events taken from the consumer at once (default: serve's).")
    var consumeBatch: Int?

    @Option(help: "The most rows written in one SQLite transaction (serve's maximumBatch; default: serve's).")
    var maximumBatch: Int?

    @Option(
        help: ArgumentHelp(
            "Milliseconds the row writer lets a batch of legacy-primary rows fill (serve's rowLinger; "
                + "default: serve's).", valueName: "MS"))
    var rowLinger: Int?

    @Option(
        help: ArgumentHelp(
            "Milliseconds the row writer lets a batch of port-primary rows fill (serve's portRowLinger; "
                + "default: serve's).", valueName: "MS"))
    var portRowLinger: Int?

    @Option(help: "The generator seed.")
    var seed: UInt64 = 20_261_123

    @OptionGroup var legacy: LegacyOptions

    func validate() throws {
        if fed && paced != nil { throw ValidationError("--fed and --paced are two ways to feed: choose one.") }
        for (name, value) in [
            ("--window", window), ("--port-window", portWindow), ("--consume-batch", consumeBatch),
            ("--maximum-batch", maximumBatch),
        ] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1 (got \(value)).") }
        }
        for (name, value) in [("--row-linger", rowLinger), ("--port-row-linger", portRowLinger)] {
            if let value, value < 0 { throw ValidationError("\(name) must be 0 or more milliseconds (got \(value)).") }
        }
    }

    func run() async throws {
        let service = try await legacy.start()
        let bench = try ServeBenchmark(legacy: LegacyRenderer(service: service, timeout: .seconds(10)))
        defer { bench.close() }
        let generator = EventGenerator()
        var feed: ServeBenchmark.Feed?
        if let paced {
            feed = ServeBenchmark.pacedFeed(
                generator.events(seed: seed, count: events).map { Array($0.utf8) }, topic: "bench.swift",
                perSecond: paced)
        } else if fed {
            feed = ServeBenchmark.followingFeed(seed: seed, count: events, topic: "bench.swift")
        } else {
            for chunk in stride(from: 0, to: events, by: 10_000) {
                try await bench.produce(
                    generator.events(seed: seed + UInt64(chunk), count: min(10_000, events - chunk)).map {
                        Array($0.utf8)
                    }, topic: "bench.swift")
            }
        }
        let log = { (line: String) in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        // CLOCK_MONOTONIC stamps (the first event consumed, the last recorded): `perf record -k
        // CLOCK_MONOTONIC` then `perf report --time start,end` profiles serve at work alone.
        let run = try await bench.run(
            flag: flag, topic: "bench.swift", expected: events,
            residentAt: residentAt.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) },
            recordsTimings: paced != nil, feed: feed,
            tune: { [window, portWindow, consumeBatch, maximumBatch, rowLinger, portRowLinger] configuration in
                if let window { configuration.window = window }
                if let portWindow { configuration.portWindow = portWindow }
                if let consumeBatch { configuration.consumeBatch = consumeBatch }
                if let maximumBatch { configuration.maximumBatch = maximumBatch }
                if let rowLinger { configuration.rowLinger = .milliseconds(rowLinger) }
                if let portRowLinger { configuration.portRowLinger = .milliseconds(portRowLinger) }
            }, progress: log)
        await service.interpreter.shutdown()
        let cores = run.cores
        print(
            String(
                format: "%@ mode: %d events in %.2f s: %.0f events/s; CPUs busy: serve %.2f, broker %.2f; "
                    + "%.0f µs of serve CPU per event", flag.rawValue, run.events, run.seconds, run.rate, cores.serve,
                cores.broker, run.cpuSeconds / Double(max(1, run.events)) * 1e6))
        // Per thread: a change to one part of serve shows in its own threads' figures, which
        // the VM's swings of the total hide.
        let perEvent = run.threadCPUSeconds.filter { $0.value > 0 }.sorted { $0.value > $1.value }
            .map { String(format: "%@ %.1f", $0.key, $0.value / Double(max(1, run.events)) * 1e6) }
        print("µs of CPU per event by thread: " + perEvent.joined(separator: ", "))
        if !run.resident.isEmpty {
            print(
                "resident memory: "
                    + run.resident.map {
                        String(format: "%d events: %.1f MiB", $0.events, Double($0.bytes) / 1_048_576)
                    }
                    .joined(separator: ", "))
        }
        if paced != nil {
            func figures(_ sorted: [Double]) -> String {
                String(
                    format: "p50 %.3f / p99 %.3f / max %.3f ms", Benchmarks.percentile(sorted, 0.5),
                    Benchmarks.percentile(sorted, 0.99), sorted.last ?? 0)
            }
            print("added to the primary path: " + figures(run.addedMilliseconds))
            print("by stage (p50 / p99 / max ms): " + run.stageFiguresLine)
            print("the slowest 1 % by added latency, mean per stage (ms): " + run.slowestStageMeansLine)
        }
        if let work = run.legacyRenderMicroseconds {
            print(String(format: "Python work per legacy render: %.1f µs", work))
        }
    }
}

extension CutoverFlag: ExpressibleByArgument {}
