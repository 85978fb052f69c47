import Foundation
import ShadowReports

/// `bench.json` and `bench.md`: the figures of one `invoice-shadow bench` run, with the targets.
package struct BenchReport {
    package var quick: Bool
    package var seed: UInt64
    package var startedAt: Date
    package var seconds: Double
    package var render: Benchmarks.RenderCPU
    package var bridge: Benchmarks.BridgeOverhead
    /// The Python work per render, µs, measured alone right before and after the shadow phase.
    package var ceilingWork: (before: Double, after: Double)
    package var shadow: ServeBenchmark.Run
    package var pace: Double
    package var latency: ServeBenchmark.Run
    package var added: (p50: Double, p99: Double, max: Double)
    package var swift: ServeBenchmark.Run
    package var memory: ServeBenchmark.Run
    package var rssGrowth: Double
    package var sizes: [String: Any]
    /// `serve --workers 2` against one worker, if measured.
    package var workers: WorkersBenchmark.Scaling?

    package init(
        quick: Bool, seed: UInt64, startedAt: Date, seconds: Double, render: Benchmarks.RenderCPU,
        bridge: Benchmarks.BridgeOverhead, ceilingWork: (before: Double, after: Double), shadow: ServeBenchmark.Run,
        pace: Double, latency: ServeBenchmark.Run, added: (p50: Double, p99: Double, max: Double),
        swift: ServeBenchmark.Run, memory: ServeBenchmark.Run, rssGrowth: Double, sizes: [String: Any]
    ) {
        (self.quick, self.seed, self.startedAt, self.seconds) = (quick, seed, startedAt, seconds)
        (self.render, self.bridge, self.ceilingWork, self.shadow) = (render, bridge, ceilingWork, shadow)
        (self.pace, self.latency, self.added, self.swift) = (pace, latency, added, swift)
        (self.memory, self.rssGrowth, self.sizes) = (memory, rssGrowth, sizes)
    }

    package struct Target {
        package var name: String
        package var key: String
        package var figure: String
        package var goal: String
        package var met: Bool
    }

    /// Events per second the legacy alone could render.
    package var ceiling: Double { Self.ceiling(render: render, around: ceilingWork) }
    package var shadowFraction: Double { shadow.rate / ceiling }

    /// 1 ÷ the fastest of the three legacy-alone measurements: a slow spell of the VM during any one
    /// of them must not raise the shadow fraction.
    package static func ceiling(render: Benchmarks.RenderCPU, around: (before: Double, after: Double)) -> Double {
        1e6 / min(render.legacyWallMicroseconds, around.before, around.after)
    }

    package var targets: [Target] {
        [
            Target(
                name: "Swift cheaper than legacy (render CPU)", key: "render_cpu_ratio",
                figure: String(format: "%.1f×", render.ratio), goal: "≥ 20×", met: render.ratio >= 20),
            Target(
                name: "shadow-mode throughput, fraction of the legacy ceiling", key: "shadow_throughput_fraction",
                figure: String(format: "%.3f (%.0f of %.0f events/s)", shadowFraction, shadow.rate, ceiling),
                goal: "≥ 0.9", met: shadowFraction >= 0.9),
            Target(
                name: "latency added to the primary path, p99", key: "primary_added_latency_ms",
                figure: String(format: "p50 %.3f, p99 %.3f, max %.3f ms", added.p50, added.p99, added.max),
                goal: "p99 ≤ 2 ms", met: added.p99 <= 2),
            Target(
                name: "swift-mode throughput end to end", key: "swift_mode_events_per_s",
                figure: String(format: "%.0f events/s", swift.rate), goal: "≥ 20,000", met: swift.rate >= 20_000),
            Target(
                name: "resident memory growth in shadow mode", key: "rss_growth",
                figure: String(format: "%+.2f%%", rssGrowth * 100), goal: "≤ 5%", met: rssGrowth <= 0.05),
            Target(
                name: "shadow-mode throughput, two workers ÷ one (serve --workers)", key: "workers_scaling",
                figure: workers.map {
                    String(
                        format: "%.2f× (%.0f ÷ %.0f events/s, median of %d pairs)", $0.ratio,
                        $0.median(2, \.eventsPerSecond),
                        $0.median(1, \.eventsPerSecond), $0.runs.count / 2)
                } ?? "not measured", goal: "≥ 1.5×", met: (workers?.ratio ?? 0) >= 1.5),
            Target(
                name: "bridge overhead against plain python3 (issue 4)", key: "bridge_overhead",
                figure: String(format: "%+.2f%%", bridge.medianOverhead * 100), goal: "< 5%",
                met: bridge.medianOverhead < 0.05),
        ]
    }

    package var machine: [String: Any] {
        var machine: [String: Any] = [
            "cores": ProcessInfo.processInfo.activeProcessorCount,
            "memory_bytes": ProcessInfo.processInfo.physicalMemory,
            "os": (try? String(contentsOfFile: "/etc/debian_version", encoding: .utf8)).map {
                "Debian " + $0.trimmingCharacters(in: .whitespacesAndNewlines)
            } ?? ProcessInfo.processInfo.operatingSystemVersionString,
        ]
        if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
        {
            machine["cpu"] = line.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        }
        #if DEBUG
            machine["build"] = "debug"
        #else
            machine["build"] = "release"
        #endif
        return machine
    }

    package var json: [String: Any] {
        [
            "quick": quick, "seed": seed, "started_at": ISO8601DateFormatter().string(from: startedAt),
            "seconds": seconds, "machine": machine, "events": sizes,
            "render_cpu_ratio": render.ratio,
            "render_cpu_us": [
                "legacy": render.legacyAll, "swift": render.swiftAll,
                "by_country": Dictionary(
                    uniqueKeysWithValues: render.counts.keys.map { country in
                        (
                            country,
                            [
                                "events": render.counts[country]!, "legacy": render.legacyMicroseconds[country]!,
                                "swift": render.swiftMicroseconds[country]!,
                            ] as [String: Any]
                        )
                    }),
            ] as [String: Any],
            "bridge_overhead": bridge.medianOverhead,
            "bridge": [
                "calls_per_s": bridge.bridgeCallsPerSecond, "python3_calls_per_s": bridge.pythonCallsPerSecond,
                "overhead_on_totals": bridge.totalOverhead, "own_cost_us": bridge.ownCostMicroseconds,
                "paired_batches": bridge.batches,
            ] as [String: Any],
            "legacy_ceiling_events_per_s": ceiling,
            "legacy_python_work_us": [
                "before_shadow": ceilingWork.before, "after_shadow": ceilingWork.after,
                "render_phase": render.legacyWallMicroseconds,
            ],
            "shadow_events_per_s": shadow.rate,
            "shadow_throughput_fraction": shadowFraction,
            "shadow_skipped_shadows": shadow.skippedShadows,
            "shadow_python_work_us": shadow.legacyRenderMicroseconds.map { $0 as Any } ?? NSNull(),
            "primary_added_latency_ms": [
                "p50": added.p50, "p99": added.p99, "max": added.max, "events": latency.events,
            ],
            "primary_wait_behind_other_legacy_renders_ms": Self.figures(latency.waitBehindMilliseconds),
            "primary_consumed_to_published_ms": Self.figures(latency.totalMilliseconds),
            "primary_stages_ms": latency.stageMilliseconds.mapValues(Self.figures),
            "primary_slowest_1pct_stage_means_ms": latency.slowestStageMeans,
            "latency_feed_events_per_s": pace,
            "swift_mode_events_per_s": swift.rate,
            "cpus_busy": [
                "shadow": ["serve": shadow.cores.serve, "broker": shadow.cores.broker],
                "swift_mode": ["serve": swift.cores.serve, "broker": swift.cores.broker],
            ],
            "rss_bytes": memory.resident.map { ["events": $0.events, "bytes": $0.bytes] },
            "rss_growth": rssGrowth,
            "workers_scaling": workers.map { $0.ratio as Any } ?? NSNull(),
            "workers": workers.map { scaling in
                [
                    "runs": scaling.runs.map { run in
                        [
                            "workers": run.workers, "events_per_s": run.eventsPerSecond,
                            "cpu_per_event_us": run.cpuPerEventMicroseconds,
                            "python_cpu_per_event_us": run.pythonCPUPerEventMicroseconds,
                            "python_work_wall_us": run.pythonWorkMicroseconds, "harness_us": run.harnessMicroseconds,
                        ] as [String: Any]
                    },
                    "pair_ratios": scaling.pairRatios,
                    "harness_cpu_per_event_us": [
                        "one": scaling.median(1, \.harnessMicroseconds),
                        "two": scaling.median(2, \.harnessMicroseconds),
                    ],
                ] as [String: Any]
            } ?? NSNull(),
            "targets": Dictionary(uniqueKeysWithValues: targets.map { ($0.key, $0.met) }),
        ]
    }

    package var markdown: String {
        var text = "# invoice-shadow bench\n\n"
        let machine = self.machine
        text +=
            "\(quick ? "Quick run" : "Full run") of \(ISO8601DateFormatter().string(from: startedAt)), "
            + String(format: "%.0f s", seconds) + ", \(machine["build"]!) build, \(machine["cores"]!) cores"
            + (machine["cpu"].map { " (\($0))" } ?? "") + ", \(machine["os"]!). All figures from this one run.\n\n"
        text += "| target | figure | goal | met |\n|---|---|---|---|\n"
        for target in targets {
            text +=
                "| \(target.name) (`\(target.key)`) | \(target.figure) | \(target.goal) | \(target.met ? "yes" : "**no**") |\n"
        }
        text +=
            "\n## Render CPU per invoice\n\n| country | events | legacy µs | Swift µs | legacy ÷ Swift |\n|---|---|---|---|---|\n"
        for country in render.counts.keys.sorted() {
            let left = render.legacyMicroseconds[country]!
            let right = render.swiftMicroseconds[country]!
            text += String(
                format: "| %@ | %d | %.1f | %.2f | %.1f× |\n", country, render.counts[country]!, left, right,
                left / right)
        }
        text += String(
            format: "| all | %d | %.1f | %.2f | %.1f× |\n", render.counts.values.reduce(0, +), render.legacyAll,
            render.swiftAll, render.ratio)
        text += "\n## Serve\n\n"
        text += String(
            format:
                "- legacy ceiling: %.0f events/s (1 ÷ %.1f µs of Python work per render, the legacy alone: the "
                + "fastest of the render phase's %.1f µs and %.1f / %.1f µs right before / after the shadow phase)\n",
            ceiling, 1e6 / ceiling, render.legacyWallMicroseconds, ceilingWork.before, ceilingWork.after)
        text += String(
            format:
                "- shadow mode: %d events in %.2f s = %.0f events/s, %d shadows skipped; CPUs busy: %.2f serve, %.2f broker\n",
            shadow.events, shadow.seconds, shadow.rate, shadow.skippedShadows, shadow.cores.serve, shadow.cores.broker)
        if let work = shadow.legacyRenderMicroseconds {
            text += String(
                format: "  - Python work per render in this phase: %.1f µs (%+.1f %% against the ceiling's; the "
                    + "harness's threads share the machine's cores with the Python thread)\n", work,
                (work * ceiling / 1e6 - 1) * 100)
        }
        text += String(
            format: "- added latency at %.0f events/s over %d events: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", pace,
            latency.events, added.p50, added.p99, added.max)
        let wait = Self.figures(latency.waitBehindMilliseconds)
        let total = Self.figures(latency.totalMilliseconds)
        text += String(
            format:
                "  - not counted as added: waiting for the Python thread to finish other events' renders (the legacy alone waits as long): p50 %.3f, p99 %.3f, max %.3f ms\n",
            wait["p50"]!, wait["p99"]!, wait["max"]!)
        text += String(
            format: "  - consumed → published, everything included: p50 %.3f, p99 %.3f, max %.3f ms\n", total["p50"]!,
            total["p99"]!, total["max"]!)
        text += "  - by stage (p50 / p99 / max ms): " + latency.stageFiguresLine + "\n"
        text += "  - the slowest 1 % by added latency, mean per stage (ms): " + latency.slowestStageMeansLine + "\n"
        text += String(
            format:
                "- swift mode: %d events in %.2f s = %.0f events/s; CPUs busy: %.2f serve, %.2f broker (%.0f µs of serve CPU per event)\n",
            swift.events, swift.seconds, swift.rate, swift.cores.serve, swift.cores.broker,
            swift.events > 0 ? swift.cpuSeconds * 1e6 / Double(swift.events) : 0)
        text +=
            "- resident memory in shadow mode: "
            + memory.resident.map { "\($0.events) events: \(String(format: "%.1f", Double($0.bytes) / 1_048_576)) MiB" }
            .joined(separator: ", ") + String(format: " (growth %+.2f%%)\n", rssGrowth * 100)
        if let workers {
            let ratios = workers.pairRatios
            text += String(
                format:
                    "- serve --workers, shadow mode: one worker %.0f events/s, two %.0f (%.2f×; pairs %.2f to %.2f); "
                    + "the harness's own CPU per event (every thread but the Python thread) %.0f µs with one, %.0f µs with two; "
                    + "the Python thread's CPU per event %.0f / %.0f µs (wall time per render %.0f / %.0f µs)\n",
                workers.median(1, \.eventsPerSecond), workers.median(2, \.eventsPerSecond), workers.ratio,
                ratios.min() ?? 0, ratios.max() ?? 0, workers.median(1, \.harnessMicroseconds),
                workers.median(2, \.harnessMicroseconds), workers.median(1, \.pythonCPUPerEventMicroseconds),
                workers.median(2, \.pythonCPUPerEventMicroseconds), workers.median(1, \.pythonWorkMicroseconds),
                workers.median(2, \.pythonWorkMicroseconds))
        }
        text += String(
            format:
                "- bridge: %.0f calls/s against %.0f in plain python3 (median of %d paired batches %+.2f%%; own cost %.1f µs per call)\n",
            bridge.bridgeCallsPerSecond, bridge.pythonCallsPerSecond, bridge.batches, bridge.medianOverhead * 100,
            bridge.ownCostMicroseconds)
        return text
    }

    /// The files' name without extension: a quick run's are `bench-quick`, so that it never
    /// overwrites the full run kept as evidence.
    package var baseName: String { quick ? "bench-quick" : "bench" }

    /// Writes `baseName`.json and .md into `directory`; returns their paths.
    @discardableResult
    package func write(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        let paths = ["\(directory)/\(baseName).json", "\(directory)/\(baseName).md"]
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: paths[0])
        try AtomicFile.write(markdown, to: paths[1])
        return paths
    }

    /// p50, p99 and max of sorted milliseconds.
    package static func figures(_ sorted: [Double]) -> [String: Double] {
        [
            "p50": Benchmarks.percentile(sorted, 0.5), "p99": Benchmarks.percentile(sorted, 0.99),
            "max": sorted.last ?? 0,
        ]
    }
}
