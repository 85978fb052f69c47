import EventGenerator
import Foundation
import InvoiceService
import PythonBridge
import ShadowCore

/// The measurements behind `invoice-shadow bench`, shared by its subcommands.
package enum Benchmarks {
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
        /// Legacy ÷ Swift.
        package var ratio: Double { legacyAll / swiftAll }
    }

    /// The legacy's mean Python work per render over `payloads`, rendered one after the other
    /// through the bridge with nothing else running, µs: the ceiling's denominator.
    package static func legacyPythonWork(service: LegacyInvoiceService, payloads: [[UInt8]]) async -> Double {
        var work = Duration.zero
        for payload in payloads { work += await service.render(event: payload, timeout: .seconds(60)).pythonTime }
        return work.seconds * 1e6 / Double(max(1, payloads.count))
    }

    /// Renders `payloads` once through the bridge and `swiftPasses` times through the port.
    package static func renderCPU(service: LegacyInvoiceService, payloads: [[UInt8]], swiftPasses: Int) async
        -> RenderCPU
    {
        let countries = payloads.map { EventFacts.read($0).country }
        var legacyCPU: [String: Duration] = [:]
        var swiftCPU: [String: Duration] = [:]
        var figures = RenderCPU()
        var legacyWall = Duration.zero
        for payload in payloads.prefix(300) { _ = await service.render(event: payload, timeout: .seconds(60)) }
        for (index, payload) in payloads.enumerated() {
            let run = await service.render(event: payload, timeout: .seconds(60))
            legacyCPU[countries[index], default: .zero] += run.cpuTime
            legacyWall += run.pythonTime
            figures.counts[countries[index], default: 0] += 1
        }
        let port = SwiftInvoiceService()
        for payload in payloads.prefix(300) { _ = try? port.render(event: payload) }
        for _ in 0..<swiftPasses {
            for (index, payload) in payloads.enumerated() {
                let before = ThreadCPUClock.now()
                _ = try? port.render(event: payload)
                swiftCPU[countries[index], default: .zero] += ThreadCPUClock.now() - before
            }
        }
        for (country, count) in figures.counts {
            figures.legacyMicroseconds[country] = legacyCPU[country, default: .zero].seconds * 1e6 / Double(count)
            figures.swiftMicroseconds[country] =
                swiftCPU[country, default: .zero].seconds * 1e6 / Double(count * swiftPasses)
        }
        figures.legacyAll = legacyCPU.values.reduce(.zero, +).seconds * 1e6 / Double(payloads.count)
        figures.swiftAll = swiftCPU.values.reduce(.zero, +).seconds * 1e6 / Double(payloads.count * swiftPasses)
        figures.legacyWallMicroseconds = legacyWall.seconds * 1e6 / Double(payloads.count)
        return figures
    }

    /// The bridge against a plain python3 process on the same events.
    package struct BridgeOverhead: Sendable {
        /// Calls per second through the bridge.
        package var bridgeCallsPerSecond: Double
        /// Renders per second in the plain python3 loop.
        package var pythonCallsPerSecond: Double
        /// Median over paired batches of bridge ÷ python3, minus 1.
        package var medianOverhead: Double
        /// On the totals, minus 1.
        package var totalOverhead: Double
        /// Wall time per call outside the Python work, µs.
        package var ownCostMicroseconds: Double
        /// Paired batches.
        package var batches: Int
    }

    /// Alternates the bridge and a plain `/usr/bin/python3` loop batch by batch over `lines`.
    package static func bridgeOverhead(
        service: LegacyInvoiceService, lines: [String], legacyDirectory: String, rounds: Int, batch: Int,
        concurrency: Int, progress: (String) -> Void
    ) async throws -> BridgeOverhead {
        let corpus = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-bench-\(getpid()).jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: corpus)
        defer { try? FileManager.default.removeItem(at: corpus) }
        let payloads = lines.map { Array($0.utf8) }
        let events = payloads.count
        let python = try PlainPythonLoop(legacyDirectory: legacyDirectory, corpus: corpus.path)
        // Warm-up on both sides: imports, template caches, the allocator.
        _ = try await renderAll(payloads[0..<min(500, events)], service: service, concurrency: concurrency)
        _ = try python.render(0..<min(500, events))

        // The two sides alternate batch by batch (and swap who goes first), so that the shared
        // machine's slow and fast moments fall on both alike; per-batch ratios are then robust.
        var bridgeTotal = 0.0
        var pythonTotal = 0.0
        var pythonWork = Duration.zero
        var ratios: [Double] = []
        for round in 1...rounds {
            var roundBridge = 0.0
            var roundPython = 0.0
            for (index, start) in stride(from: 0, to: events, by: batch).enumerated() {
                let range = start..<min(start + batch, events)
                var bridgeSeconds = 0.0
                var pythonSeconds = 0.0
                func bridge() async throws {
                    let started = ContinuousClock.now
                    pythonWork += try await renderAll(payloads[range], service: service, concurrency: concurrency)
                    bridgeSeconds = (ContinuousClock.now - started).seconds
                }
                if index.isMultiple(of: 2) {
                    try await bridge()
                    pythonSeconds = try python.render(range)
                } else {
                    pythonSeconds = try python.render(range)
                    try await bridge()
                }
                ratios.append(bridgeSeconds / pythonSeconds)
                roundBridge += bridgeSeconds
                roundPython += pythonSeconds
            }
            bridgeTotal += roundBridge
            pythonTotal += roundPython
            progress(
                "round \(round): bridge \(Int(Double(events) / roundBridge)) calls/s, "
                    + "python3 loop \(Int(Double(events) / roundPython)) calls/s")
        }
        let calls = Double(events * rounds)
        return BridgeOverhead(
            bridgeCallsPerSecond: calls / bridgeTotal, pythonCallsPerSecond: calls / pythonTotal,
            medianOverhead: median(ratios) - 1, totalOverhead: bridgeTotal / pythonTotal - 1,
            ownCostMicroseconds: (bridgeTotal - pythonWork.seconds) / calls * 1e6, batches: ratios.count)
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
