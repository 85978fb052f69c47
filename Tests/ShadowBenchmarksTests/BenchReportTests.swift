import Foundation
import Testing

@testable import ShadowBenchmarks

@Suite struct BenchReportTests {
    @Test func aRepeatedFigureIsItsMedianWithItsSpread() {
        let odd = Benchmarks.Repeated([3, 1, 2])
        #expect(odd.median == 2 && odd.low == 1 && odd.high == 3)
        #expect(odd.text("%.1f×") == "2.0× (1.0× to 3.0× over 3)")
        #expect(
            Benchmarks.Repeated([0.01, 0.04, 0.02, 0.03]).text("%+.1f%%", scale: 100) == "+2.5% (+1.0% to +4.0% over 4)"
        )
    }

    /// A serve run of `events` in one second that used `cpu` seconds, with `python` µs per legacy render.
    private func run(events: Int = 1_000, cpu: Double = 0, python: Double? = nil, added: [Double] = [])
        -> ServeBenchmark.Run
    {
        var run = ServeBenchmark.Run()
        run.events = events
        run.seconds = 1
        run.cpuSeconds = cpu
        run.legacyRenderMicroseconds = python
        run.addedMilliseconds = added
        return run
    }

    @Test func eachRoundIsJudgedAgainstWhatWasMeasuredAroundIt() {
        // The ceiling is the faster of the legacy alone before and after: a slow spell never helps
        let shadow = BenchReport.ShadowRound(run: run(events: 1_250, python: 798), before: 800, after: 760)
        #expect(abs(shadow.ceiling - 1e6 / 760) < 1e-9)
        #expect(abs(shadow.fraction - 1_250 * 760 / 1e6) < 1e-9)
        #expect(abs(shadow.slowdown - 0.05) < 1e-9)
        // The harness's CPU is serve's minus the render's, over the render's
        let swift = BenchReport.SwiftRound(run: run(events: 1_000, cpu: 0.05), renderBefore: 20, renderAfter: 22)
        #expect(abs(swift.serve - 50) < 1e-9 && swift.render == 21)
        #expect(abs(swift.harnessRatio - 29.0 / 21.0) < 1e-9)
    }

    private func report(renderRatios: [Double], harness: Double, fraction: Double, p99: Double, floor: Double)
        -> BenchReport
    {
        var render = Benchmarks.RenderCPU()
        render.counts = ["DE": 10]
        render.legacyMicroseconds = ["DE": 1_000]
        render.swiftMicroseconds = ["DE": 1_000 / renderRatios[0]]
        render.roundRatios = Benchmarks.Repeated(renderRatios)
        let bridge = Benchmarks.BridgeOverhead(
            bridgeCallsPerSecond: 1, pythonCallsPerSecond: 1, floorCallsPerSecond: 1,
            overPython: Benchmarks.Repeated([0.1, 0.1, 0.1]), overFloor: Benchmarks.Repeated([floor, floor, floor]),
            floorOverPython: Benchmarks.Repeated([0.08, 0.08, 0.08]), totalOverhead: 0.1, ownCostMicroseconds: 10,
            batches: 10)
        // Python work equal to alone; the rate is the fraction of the ceiling (1,000/s)
        let shadow = (0..<3).map { _ in
            BenchReport.ShadowRound(run: run(events: Int(fraction * 1_000), python: 1_000), before: 1_000, after: 1_100)
        }
        let latency = (0..<3).map { _ in run(added: Array(repeating: 0.2, count: 98) + [p99, p99]) }
        let swift = (0..<3).map { _ in
            BenchReport.SwiftRound(
                run: run(events: 1_000, cpu: 0.02 * (1 + harness)), renderBefore: 20, renderAfter: 20)
        }
        var memory = run()
        memory.resident = [(0, 100), (100_000, 1_000), (1_000_000, 1_010)]
        return BenchReport(
            quick: false, seed: 1, startedAt: Date(), seconds: 1, render: render, bridge: bridge, shadow: shadow,
            pace: 250, latency: latency, swift: swift, memory: memory, rssGrowth: 0.01, sizes: [:])
    }

    @Test func theTargetsAreMetOrNotByTheirMedians() throws {
        let met = report(renderRatios: [49, 52, 55], harness: 0.9, fraction: 0.96, p99: 0.9, floor: 0.015)
        let unmet = met.targets.filter { !$0.met }.map(\.key)
        #expect(unmet == ["workers_scaling"])
        let missed = report(renderRatios: [45, 48, 51], harness: 1.2, fraction: 0.94, p99: 1.2, floor: 0.03)
        #expect(
            Set(missed.targets.filter { !$0.met }.map(\.key))
                == [
                    "render_cpu_ratio", "swift_mode_harness_cpu", "shadow_throughput_fraction",
                    "primary_added_latency_ms", "bridge_overhead_floor", "workers_scaling",
                ])
        // bench.json names every target and carries each repeated figure with its spread
        let json =
            try JSONSerialization.jsonObject(
                with: try JSONSerialization.data(withJSONObject: missed.json)) as? [String: Any]
        let render = try #require(json?["render_cpu_ratio"] as? [String: Any])
        #expect(render["median"] as? Double == 48 && render["min"] as? Double == 45 && render["max"] as? Double == 51)
        #expect((json?["targets"] as? [String: Bool])?.count == missed.targets.count)
        #expect(
            missed.markdown.contains(
                "| port render CPU, legacy ÷ port (`render_cpu_ratio`) | 48.0× (45.0× to 51.0× over 3) | ≥ 50× | **no** |"
            ))
    }
}
