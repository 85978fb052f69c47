import ArgumentParser
import EventGenerator
import Foundation
import InvoiceRenderers
import KafkaIO
import ShadowBenchmarks
import ShadowCore
import ShadowStore

/// `invoice-shadow bench` (`bench all`): every figure the migration is judged by, in one run.
struct BenchAllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Every benchmark in one run; writes bench.json and bench.md (the default of `bench`).",
        discussion: """
            On the same generated events, in one process run:
              1. render CPU per invoice, legacy (through the bridge) against the port, per \
            country; and the bridge against a plain /usr/bin/python3 loop;
              2. serve throughput in shadow mode (legacy primary, Swift shadow, diff, SQLite, \
            Kafka in and out) as a fraction of the legacy-alone ceiling, 1 ÷ legacy render time \
            (the fastest of three measurements: the render phase, right before and right after, \
            all on the phase's own events);
              3. latency serve adds to the primary path: event consumed → primary published \
            (acknowledged by the broker), minus the primary render and its wait for the Python \
            thread to finish other events (the legacy alone waits as long; shown apart), at a \
            quarter of the ceiling;
              4. swift-mode throughput end to end (Kafka in, Swift, Kafka out, SQLite, HTML \
            objects);
              5. resident memory in shadow mode at 0, 100k and 1M events;
              6. serve --workers 2 against --workers 1 in shadow mode (real processes, \
            alternating, three pairs): workers_scaling, and the harness's own CPU per event beside \
            it.

            The broker is librdkafka's embedded cluster in a child process (`invoice-shadow \
            broker`), so memory and CPU read here are the harness's. The full run takes about an \
            hour on two cores, most of it phase 5's million events in shadow mode; --quick takes \
            about six minutes. Use a release build:
              swift build -c release && .build/release/invoice-shadow bench [--quick]
            """)

    @Flag(
        help: """
            Fewer events everywhere: the same measurements and keys in under a minute, written to \
            bench-quick.json and bench-quick.md (a full run's bench.json and bench.md stay as they are).
            """)
    var quick = false

    @Option(help: ArgumentHelp("Where bench.json and bench.md (or bench-quick.*) are written.", valueName: "DIR"))
    var output = "shadow-reports"

    @Option(help: "The generator seed.")
    var seed: UInt64 = 20_261_122

    @OptionGroup var legacy: LegacyOptions

    struct Sizes {
        /// Repetitions of each measured target (alternating with what it is compared against).
        var repetitions: Int
        var render: Int
        var swiftPasses: Int
        var bridge: Int
        var bridgeBatch: Int
        var shadow: Int
        var latency: Int
        var swift: Int
        var memory: [Int]
        var workers: Int
        var workerPairs: Int
    }

    func run() async throws {
        let sizes =
            quick
            ? Sizes(
                repetitions: 3, render: 3_000, swiftPasses: 3, bridge: 1_000, bridgeBatch: 100, shadow: 3_000,
                latency: 1_000, swift: 20_000, memory: [0, 2_000, 10_000], workers: 3_000, workerPairs: 3)
            : Sizes(
                repetitions: 3, render: 10_000, swiftPasses: 5, bridge: 5_000, bridgeBatch: 250, shadow: 5_000,
                latency: 3_000, swift: 200_000, memory: [0, 100_000, 1_000_000], workers: 10_000,
                workerPairs: 3)
        let started = Date()
        #if DEBUG
            log("bench: this is a debug build; figures are only meaningful from `swift build -c release`")
        #endif
        let generator = EventGenerator()
        let service = try await legacy.start()
        log("bench: \(service.interpreter.placement)")
        log("bench 1/6: render CPU, \(sizes.render) events, and the bridge against python3, \(sizes.bridge) events")
        // The shadow phase runs the first of the render phase's events, so that the three
        // legacy-alone measurements behind the ceiling are taken on the same mix as the phase they
        // bound: the legacy's cost varies with the mix of events, and a ceiling from cheaper events
        // would understate the fraction.
        let corpus = generator.events(seed: seed, count: max(sizes.render, sizes.shadow))
        let renderLines = Array(corpus.prefix(sizes.render))
        let render = await Benchmarks.renderCPU(
            service: service, payloads: renderLines.map { Array($0.utf8) }, swiftPasses: sizes.swiftPasses,
            rounds: sizes.repetitions)
        log(
            String(
                format: "  legacy %.1f µs, swift %.2f µs per invoice: %@", render.legacyAll, render.swiftAll,
                render.roundRatios.text("%.1f×")))
        let bridge = try await Benchmarks.bridgeOverhead(
            service: service, lines: Array(renderLines.prefix(sizes.bridge)),
            legacyDirectory: try legacy.resolvedDirectory(), rounds: sizes.repetitions, batch: sizes.bridgeBatch,
            concurrency: 32
        ) { log("  " + $0) }
        if bridge.overFloor == nil {
            log(
                "  python-floor is not beside this binary: build it (swift build -c release) to measure the bridge against its floor"
            )
        }

        let bench = try ServeBenchmark(legacy: LegacyRenderer(service: service, timeout: .seconds(10)))
        defer { bench.close() }
        log("bench 2/6: serve in shadow mode, \(sizes.shadow) events preloaded, \(sizes.repetitions) rounds")
        let shadowEvents = corpus.prefix(sizes.shadow).map { Array($0.utf8) }
        try await bench.produce(shadowEvents, topic: "bench.shadow")
        // Each round measures the legacy alone right before and right after its phase, on the
        // phase's own events: these machines' speed drifts by tens of percent within minutes, and
        // the faster of the two makes the target hardest to meet (README, "Ceiling").
        var shadow: [BenchReport.ShadowRound] = []
        for round in 1...sizes.repetitions {
            let before = await Benchmarks.legacyPythonWork(service: service, payloads: shadowEvents)
            let run = try await bench.run(
                flag: .shadow, topic: "bench.shadow", expected: sizes.shadow, repetition: round, progress: log)
            let after = await Benchmarks.legacyPythonWork(service: service, payloads: shadowEvents)
            shadow.append(BenchReport.ShadowRound(run: run, before: before, after: after))
            log(
                String(
                    format:
                        "  round %d: %.0f events/s against a ceiling of %.0f/s: %.3f; Python work per render %.1f µs "
                        + "in the phase, %.1f before and %.1f after alone", round, run.rate, shadow.last!.ceiling,
                    shadow.last!.fraction, run.legacyRenderMicroseconds ?? 0, before, after))
        }

        let pace = Benchmarks.median(shadow.map(\.ceiling)) / 4
        log("bench 3/6: added latency, \(sizes.latency) events fed at \(Int(pace))/s, \(sizes.repetitions) rounds")
        var latency: [ServeBenchmark.Run] = []
        for round in 1...sizes.repetitions {
            let events = generator.events(seed: seed + 2 + UInt64(round), count: sizes.latency).map { Array($0.utf8) }
            let topic = "bench.latency.\(round)"
            let run = try await bench.run(
                flag: .shadow, topic: topic, expected: sizes.latency, recordsTimings: true, repetition: round,
                feed: ServeBenchmark.pacedFeed(events, topic: topic, perSecond: pace), progress: log)
            latency.append(run)
            let added = run.addedMilliseconds
            log(
                String(
                    format: "  round %d: p50 %.3f ms, p99 %.3f ms, max %.3f ms", round,
                    Benchmarks.percentile(added, 0.5),
                    Benchmarks.percentile(added, 0.99), added.last ?? 0))
        }

        log("bench 4/6: serve in swift mode, \(sizes.swift) events preloaded, \(sizes.repetitions) rounds")
        var swiftSample: [[UInt8]] = []
        for chunk in stride(from: 0, to: sizes.swift, by: 10_000) {
            let events = generator.events(seed: seed + 1_000 + UInt64(chunk), count: min(10_000, sizes.swift - chunk))
                .map { Array($0.utf8) }
            // The port's render CPU is measured on the phase's own events (the first 20,000).
            if swiftSample.count < 20_000 { swiftSample += events.prefix(20_000 - swiftSample.count) }
            try await bench.produce(events, topic: "bench.swift")
        }
        var swift: [BenchReport.SwiftRound] = []
        for round in 1...sizes.repetitions {
            let before = Benchmarks.portRenderCPU(swiftSample)
            let run = try await bench.run(
                flag: .swift, topic: "bench.swift", expected: sizes.swift, repetition: round, progress: log)
            let after = Benchmarks.portRenderCPU(swiftSample)
            swift.append(BenchReport.SwiftRound(run: run, renderBefore: before, renderAfter: after))
            log(
                String(
                    format:
                        "  round %d: %.0f events/s; serve CPU %.1f µs per event, render %.1f: harness %.2f× the render",
                    round, run.rate, swift.last!.serve, swift.last!.render, swift.last!.harnessRatio))
        }

        let memoryTarget = sizes.memory.last!
        log(
            "bench 5/6: resident memory in shadow mode at \(sizes.memory.map(String.init).joined(separator: ", ")) events"
        )
        let memorySeed = seed + 10_000_000
        let memory = try await bench.run(
            flag: .shadow, topic: "bench.memory", expected: memoryTarget, residentAt: sizes.memory,
            feed: ServeBenchmark.followingFeed(seed: memorySeed, count: memoryTarget, topic: "bench.memory"),
            progress: log)
        let residents = memory.resident
        let middle = residents.first { $0.events >= sizes.memory[1] }?.bytes ?? 0
        let last = residents.last?.bytes ?? 0
        let growth = middle > 0 ? Double(last - middle) / Double(middle) : 0
        log(
            String(
                format: "  %@; growth %+.2f%%",
                residents.map { "\($0.events): \($0.bytes / 1_048_576) MiB" }.joined(separator: ", "), growth * 100))
        await service.interpreter.shutdown()

        log(
            "bench 6/6: serve --workers 1 against --workers 2 in shadow mode, \(sizes.workers) events, \(sizes.workerPairs) pairs"
        )
        try await bench.produce(
            generator.events(seed: seed + 20_000_000, count: sizes.workers).map { Array($0.utf8) },
            topic: "money.events")
        let workers = try await WorkersBenchmark.run(
            bootstrap: bench.bootstrap, events: sizes.workers, repetitions: sizes.workerPairs,
            directory: FileManager.default.temporaryDirectory.appendingPathComponent(
                "invoice-shadow-bench-workers-\(getpid())"),
            log: log)
        log(String(format: "  workers_scaling %.2f×", workers.ratio))

        var report = BenchReport(
            quick: quick, seed: seed, startedAt: started, seconds: Date().timeIntervalSince(started), render: render,
            bridge: bridge, shadow: shadow, pace: pace, latency: latency, swift: swift, memory: memory,
            rssGrowth: growth, sizes: sizes.dictionary)
        report.workers = workers
        let versions = ShadowStore.Versions.current(legacyDirectory: try legacy.resolvedDirectory())
        report.build = ["legacy": versions.legacy, "port_build_id": versions.port]
        report.build["commit"] = BenchReport.checkoutCommit()
        let paths = try report.write(to: output)
        print(report.markdown)
        log("bench: wrote " + paths.joined(separator: " and "))
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension BenchAllCommand.Sizes {
    var dictionary: [String: Any] {
        [
            "repetitions": repetitions, "render": render, "swift_passes": swiftPasses, "bridge": bridge,
            "shadow": shadow, "ceiling_renders": shadow, "latency": latency, "swift_mode": swift,
            "memory_checkpoints": memory, "workers": workers, "worker_pairs": workerPairs,
        ]
    }
}
