import EventGenerator
import Foundation
import InvoiceService
import PythonBridge
import ShadowCore

/// The measurements behind `invoice-shadow bench`, shared by its subcommands.
package enum Benchmarks {
    /// A figure measured several times in one run, its repetitions alternating with what it is
    /// compared against: the median is the figure, the lowest and highest its spread. One
    /// measurement on these shared machines says little (the same code moved by tens of percent
    /// from one minute to the next); a median and its spread say what the machine did.
    package struct Repeated: Sendable {
        /// Each repetition's figure, in the order measured.
        package var values: [Double]

        package init(_ values: [Double]) { self.values = values }

        package var median: Double { Benchmarks.median(values) }
        package var low: Double { values.min() ?? 0 }
        package var high: Double { values.max() ?? 0 }

        /// `34.8 (33.9 to 35.6 over 3)`, each number `scale`d and printed with `format`.
        package func text(_ format: String, scale: Double = 1) -> String {
            String(format: format, median * scale) + " ("
                + String(format: format, low * scale) + " to " + String(format: format, high * scale)
                + " over \(values.count))"
        }

        /// For bench.json.
        package var json: [String: Any] { ["median": median, "min": low, "max": high, "values": values] }
    }

    /// Render CPU per invoice, per country.
    package struct RenderCPU: Sendable {
        /// Events per country.
        package var counts: [String: Int] = [:]
        /// Legacy Python-thread CPU per invoice, µs, per country.
        package var legacyMicroseconds: [String: Double] = [:]
        /// Swift CPU per invoice, µs, per country.
        package var swiftMicroseconds: [String: Double] = [:]
        /// Over all events.
        package var legacyAll = 0.0
        /// Over all events.
        package var swiftAll = 0.0
        /// Mean wall time of the legacy's Python work per render, µs (its throughput ceiling is 1 ÷ this).
        package var legacyWallMicroseconds = 0.0
        /// Legacy ÷ Swift in each round (legacy and port alternating which goes first).
        package var roundRatios = Repeated([])
        /// Legacy ÷ Swift: the median of the rounds.
        package var ratio: Double { roundRatios.median }
    }

    /// The legacy's mean Python work per render over `payloads`, rendered one after the other
    /// through the bridge with nothing else running, µs: the ceiling's denominator.
    package static func legacyPythonWork(service: LegacyInvoiceService, payloads: [[UInt8]]) async -> Double {
        var work = Duration.zero
        for payload in payloads { work += await service.render(event: payload, timeout: .seconds(60)).pythonTime }
        return work.seconds * 1e6 / Double(max(1, payloads.count))
    }

    /// The port's CPU per render over `payloads`, µs, `passes` times over (after a warm-up). The
    /// generated mix holds invalid events, which the port answers by throwing: that answer's cost
    /// counts like any other, so the error itself is dropped.
    package static func portRenderCPU(_ payloads: [[UInt8]], passes: Int = 1) -> Double {
        let port = SwiftInvoiceService()
        for payload in payloads.prefix(300) { _ = try? port.render(event: payload) }
        let before = ThreadCPUClock.now()
        for _ in 0..<passes {
            for payload in payloads { _ = try? port.render(event: payload) }
        }
        return (ThreadCPUClock.now() - before).seconds * 1e6 / Double(max(1, payloads.count * passes))
    }

    /// Renders `payloads` through the bridge once and through the port `swiftPasses` times, in
    /// `rounds` rounds that alternate which side goes first; each round gives a ratio.
    package static func renderCPU(service: LegacyInvoiceService, payloads: [[UInt8]], swiftPasses: Int, rounds: Int = 1)
        async -> RenderCPU
    {
        let countries = payloads.map { EventFacts.read($0).country }
        var legacyCPU: [String: Duration] = [:]
        var swiftCPU: [String: Duration] = [:]
        var figures = RenderCPU()
        var legacyWall = Duration.zero
        for payload in payloads.prefix(300) { _ = await service.render(event: payload, timeout: .seconds(60)) }
        let port = SwiftInvoiceService()
        // Invalid events throw: their cost counts like any other (see portRenderCPU).
        for payload in payloads.prefix(300) { _ = try? port.render(event: payload) }
        for country in countries { figures.counts[country, default: 0] += 1 }
        let byCountry = Dictionary(grouping: payloads.indices) { countries[$0] }
            .sorted { $0.key < $1.key }
            .map { ($0.key, $0.value.map { payloads[$0] }) }
        var ratios: [Double] = []
        for round in 0..<rounds {
            var legacyRound = Duration.zero
            var swiftRound = Duration.zero
            func legacy() async {
                for (index, payload) in payloads.enumerated() {
                    let run = await service.render(event: payload, timeout: .seconds(60))
                    legacyCPU[countries[index], default: .zero] += run.cpuTime
                    legacyRound += run.cpuTime
                    legacyWall += run.pythonTime
                }
            }
            // Country by country, the clock read around each country's events rather than around
            // each render: the thread's CPU clock is a system call, and two per render weigh on the
            // port's short renders where the legacy's long ones barely notice them.
            func swift() {
                for _ in 0..<swiftPasses {
                    for (country, group) in byCountry {
                        let before = ThreadCPUClock.now()
                        // An invalid event's error is its answer: its cost counts, the error is dropped.
                        for payload in group { _ = try? port.render(event: payload) }
                        let spent = ThreadCPUClock.now() - before
                        swiftCPU[country, default: .zero] += spent
                        swiftRound += spent
                    }
                }
            }
            if round.isMultiple(of: 2) {
                await legacy()
                swift()
            } else {
                swift()
                await legacy()
            }
            ratios.append(legacyRound.seconds * Double(swiftPasses) / swiftRound.seconds)
        }
        for (country, count) in figures.counts {
            figures.legacyMicroseconds[country] =
                legacyCPU[country, default: .zero].seconds * 1e6 / Double(count * rounds)
            figures.swiftMicroseconds[country] =
                swiftCPU[country, default: .zero].seconds * 1e6 / Double(count * swiftPasses * rounds)
        }
        figures.legacyAll = legacyCPU.values.reduce(.zero, +).seconds * 1e6 / Double(payloads.count * rounds)
        figures.swiftAll =
            swiftCPU.values.reduce(.zero, +).seconds * 1e6 / Double(payloads.count * swiftPasses * rounds)
        figures.legacyWallMicroseconds = legacyWall.seconds * 1e6 / Double(payloads.count * rounds)
        figures.roundRatios = Repeated(ratios)
        return figures
    }

    /// The bridge against a plain python3 process, and against the floor, on the same events.
    package struct BridgeOverhead: Sendable {
        /// Calls per second through the bridge.
        package var bridgeCallsPerSecond: Double
        /// Renders per second in the plain python3 loop.
        package var pythonCallsPerSecond: Double
        /// Renders per second in the same loop in `python-floor`, if it was found.
        package var floorCallsPerSecond: Double?
        /// Per round, the median over its batches of bridge ÷ python3, minus 1.
        package var overPython: Repeated
        /// Per round, the median over its batches of bridge ÷ floor, minus 1 (nil without the floor).
        package var overFloor: Repeated?
        /// Per round, the median over its batches of floor ÷ python3, minus 1: what the library
        /// costs before any bridge (nil without the floor).
        package var floorOverPython: Repeated?
        /// On the totals, minus 1.
        package var totalOverhead: Double
        /// Wall time per call outside the Python work, µs.
        package var ownCostMicroseconds: Double
        /// Batches per side.
        package var batches: Int
    }

    /// Where `python-floor` is: beside this executable (`swift build -c release` builds both).
    package static var floorExecutable: String? {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("python-floor").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Alternates the bridge, a plain `/usr/bin/python3` loop and, if `floor` names it, the same
    /// loop in `python-floor`, batch by batch over `lines` (the order rotating from batch to batch).
    package static func bridgeOverhead(
        service: LegacyInvoiceService, lines: [String], legacyDirectory: String, floor: String? = floorExecutable,
        rounds: Int, batch: Int, concurrency: Int, progress: (String) -> Void
    ) async throws -> BridgeOverhead {
        let corpus = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-bench-\(getpid()).jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: corpus)
        defer { try? FileManager.default.removeItem(at: corpus) }
        let payloads = lines.map { Array($0.utf8) }
        let events = payloads.count
        // The loops run where the bridge's Python thread runs, at its priority (they never run at
        // the same time as it): unpinned, a loop moved between CPUs and shared them with the
        // harness's threads, and the comparison measured the placement, not the bridge.
        let placement = service.interpreter.placement
        let python = try PlainPythonLoop(
            legacyDirectory: legacyDirectory, corpus: corpus.path, cpu: placement.cpu, nice: placement.nice)
        let floorLoop = try floor.map {
            try PlainPythonLoop(
                executable: $0, legacyDirectory: legacyDirectory, corpus: corpus.path, cpu: placement.cpu,
                nice: placement.nice)
        }
        // Warm-up on every side: imports, template caches, the allocator.
        _ = try await renderAll(payloads[0..<min(500, events)], service: service, concurrency: concurrency)
        _ = try python.render(0..<min(500, events))
        _ = try floorLoop?.render(0..<min(500, events))

        // The sides alternate batch by batch (the order rotating), so that the shared machine's
        // slow and fast moments fall on all alike; per-batch ratios are then robust.
        enum Side { case bridge, python, floor }
        let sides: [Side] = floorLoop == nil ? [.bridge, .python] : [.bridge, .python, .floor]
        var totals: [Side: Double] = [:]
        var pythonWork = Duration.zero
        var overPython: [Double] = []
        var overFloor: [Double] = []
        var floorOverPython: [Double] = []
        for round in 1...rounds {
            var roundSeconds: [Side: Double] = [:]
            var ratios: (python: [Double], floor: [Double], floorPython: [Double]) = ([], [], [])
            for (index, start) in stride(from: 0, to: events, by: batch).enumerated() {
                let range = start..<min(start + batch, events)
                var seconds: [Side: Double] = [:]
                for offset in 0..<sides.count {
                    let side = sides[(index + offset) % sides.count]
                    switch side {
                    case .bridge:
                        let started = ContinuousClock.now
                        pythonWork += try await renderAll(payloads[range], service: service, concurrency: concurrency)
                        seconds[.bridge] = (ContinuousClock.now - started).seconds
                    case .python: seconds[.python] = try python.render(range)
                    case .floor: seconds[.floor] = try floorLoop!.render(range)
                    }
                }
                ratios.python.append(seconds[.bridge]! / seconds[.python]!)
                if let floorSeconds = seconds[.floor] {
                    ratios.floor.append(seconds[.bridge]! / floorSeconds)
                    ratios.floorPython.append(floorSeconds / seconds[.python]!)
                }
                for (side, value) in seconds { roundSeconds[side, default: 0] += value }
            }
            for (side, value) in roundSeconds { totals[side, default: 0] += value }
            overPython.append(median(ratios.python) - 1)
            if !ratios.floor.isEmpty {
                overFloor.append(median(ratios.floor) - 1)
                floorOverPython.append(median(ratios.floorPython) - 1)
            }
            progress(
                "round \(round): bridge \(Int(Double(events) / roundSeconds[.bridge]!)) calls/s, "
                    + "python3 loop \(Int(Double(events) / roundSeconds[.python]!))"
                    + (roundSeconds[.floor].map { ", python-floor loop \(Int(Double(events) / $0))" } ?? "")
                    + String(format: "; bridge %+.2f%% against python3", overPython.last! * 100)
                    + (overFloor.last.map { String(format: ", %+.2f%% against the floor", $0 * 100) } ?? ""))
        }
        let calls = Double(events * rounds)
        return BridgeOverhead(
            bridgeCallsPerSecond: calls / totals[.bridge]!, pythonCallsPerSecond: calls / totals[.python]!,
            floorCallsPerSecond: totals[.floor].map { calls / $0 }, overPython: Repeated(overPython),
            overFloor: overFloor.isEmpty ? nil : Repeated(overFloor),
            floorOverPython: floorOverPython.isEmpty ? nil : Repeated(floorOverPython),
            totalOverhead: totals[.bridge]! / totals[.python]! - 1,
            ownCostMicroseconds: (totals[.bridge]! - pythonWork.seconds) / calls * 1e6,
            batches: (events + batch - 1) / batch)
    }

    /// Renders every payload through the bridge, `concurrency` at a time; the Python work time summed.
    package static func renderAll(_ payloads: ArraySlice<[UInt8]>, service: LegacyInvoiceService, concurrency: Int)
        async throws -> Duration
    {
        try await withThrowingTaskGroup(of: Duration.self) { group in
            var next = payloads.startIndex
            func submit() {
                let payload = payloads[next]
                next += 1
                group.addTask {
                    let run = await service.render(event: payload, timeout: .seconds(60))
                    switch run.result {
                    case .success, .failure(.invalidInput): return run.pythonTime
                    case .failure(let failure): throw BenchmarkError("a legacy render failed: \(failure)")
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

    package static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The `p` quantile (0...1) of `values`, nearest rank.
    package static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }
}
