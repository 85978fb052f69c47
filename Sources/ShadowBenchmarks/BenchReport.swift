import Foundation
import ShadowReports

/// `bench.json` and `bench.md`: the figures of one `invoice-shadow bench` run, with the targets.
/// Every target but memory is the median of repetitions that alternate with what they are compared
/// against, printed with its spread (lowest to highest).
package struct BenchReport {
    /// One repetition of the shadow phase, with the legacy alone measured right before and after.
    package struct ShadowRound {
        package var run: ServeBenchmark.Run
        /// The legacy's Python work per render alone, µs, right before and right after the phase,
        /// on the phase's own events.
        package var before: Double
        package var after: Double

        package init(run: ServeBenchmark.Run, before: Double, after: Double) {
            (self.run, self.before, self.after) = (run, before, after)
        }

        /// Python work per render alone: the faster of the two, so that a slow spell of the
        /// machine during either one never raises the fraction.
        package var alone: Double { min(before, after) }
        /// Events per second the legacy alone could render.
        package var ceiling: Double { 1e6 / alone }
        package var fraction: Double { run.rate / ceiling }
        /// How much slower the Python work per render was during the phase than alone.
        package var slowdown: Double { (run.legacyRenderMicroseconds ?? 0) / alone - 1 }
    }

    /// One repetition of the swift-mode phase, with the port's render CPU measured right before
    /// and after on the phase's own events.
    package struct SwiftRound {
        package var run: ServeBenchmark.Run
        package var renderBefore: Double
        package var renderAfter: Double

        package init(run: ServeBenchmark.Run, renderBefore: Double, renderAfter: Double) {
            (self.run, self.renderBefore, self.renderAfter) = (run, renderBefore, renderAfter)
        }

        /// The port's render CPU per event, µs.
        package var render: Double { (renderBefore + renderAfter) / 2 }
        /// Serve's CPU per event (every thread of the process), µs.
        package var serve: Double { run.events > 0 ? run.cpuSeconds * 1e6 / Double(run.events) : 0 }
        /// The harness's own CPU per event (serve's minus the render's) over the render's.
        package var harnessRatio: Double { render > 0 ? (serve - render) / render : 0 }
    }

    package var quick: Bool
    package var seed: UInt64
    package var startedAt: Date
    package var seconds: Double
    package var render: Benchmarks.RenderCPU
    package var bridge: Benchmarks.BridgeOverhead
    package var shadow: [ShadowRound]
    package var pace: Double
    package var latency: [ServeBenchmark.Run]
    package var swift: [SwiftRound]
    package var memory: ServeBenchmark.Run
    package var rssGrowth: Double
    package var sizes: [String: Any]
    /// `serve --workers 2` against one worker, if measured.
    package var workers: WorkersBenchmark.Scaling?
    /// What was measured: `legacy` (a hash of its files), `port_build_id` (the binary's GNU build
    /// id) and `commit` (``checkoutCommit()``), as far as known.
    package var build: [String: String] = [:]

    package init(
        quick: Bool, seed: UInt64, startedAt: Date, seconds: Double, render: Benchmarks.RenderCPU,
        bridge: Benchmarks.BridgeOverhead, shadow: [ShadowRound], pace: Double, latency: [ServeBenchmark.Run],
        swift: [SwiftRound], memory: ServeBenchmark.Run, rssGrowth: Double, sizes: [String: Any]
    ) {
        (self.quick, self.seed, self.startedAt, self.seconds) = (quick, seed, startedAt, seconds)
        (self.render, self.bridge, self.shadow) = (render, bridge, shadow)
        (self.pace, self.latency, self.swift) = (pace, latency, swift)
        (self.memory, self.rssGrowth, self.sizes) = (memory, rssGrowth, sizes)
    }

    package struct Target {
        package var name: String
        package var key: String
        package var figure: String
        package var goal: String
        package var met: Bool
    }

    package typealias Repeated = Benchmarks.Repeated

    package var shadowFraction: Repeated { Repeated(shadow.map(\.fraction)) }
    package var shadowSlowdown: Repeated { Repeated(shadow.map(\.slowdown)) }
    package var addedP99: Repeated { Repeated(latency.map { Benchmarks.percentile($0.addedMilliseconds, 0.99) }) }
    package var swiftHarness: Repeated { Repeated(swift.map(\.harnessRatio)) }
    package var swiftRate: Repeated { Repeated(swift.map(\.run.rate)) }

    /// `100000 to 1000000 events`: the two readings the growth is taken between.
    var memoryReadings: String {
        let readings = memory.resident.map(\.events).filter { $0 > 0 }
        return readings.count >= 2 ? "\(readings[0]) to \(readings[readings.count - 1]) events" : "not read"
    }

    package var targets: [Target] {
        [
            Target(
                name: "port render CPU, legacy ÷ port", key: "render_cpu_ratio",
                figure: render.roundRatios.text("%.1f×"), goal: "≥ 50×", met: render.ratio >= 50),
            Target(
                name: "swift mode: the harness's CPU per event ÷ the port's render CPU", key: "swift_mode_harness_cpu",
                figure: swiftHarness.text("%.2f×") + "; " + swiftRate.text("%.0f") + " events/s",
                goal: "≤ 1×", met: !swift.isEmpty && swiftHarness.median <= 1),
            Target(
                name: "shadow mode, fraction of the legacy-alone ceiling", key: "shadow_throughput_fraction",
                figure: shadowFraction.text("%.3f"), goal: "≥ 0.95",
                met: !shadow.isEmpty && shadowFraction.median >= 0.95),
            Target(
                name: "shadow mode, Python work per render against alone", key: "shadow_python_slowdown",
                figure: shadowSlowdown.text("%+.1f%%", scale: 100), goal: "≤ +5%",
                met: !shadow.isEmpty && shadowSlowdown.median <= 0.05),
            Target(
                name: "latency added to the primary path, p99", key: "primary_added_latency_ms",
                figure: addedP99.text("%.3f ms"), goal: "≤ 1 ms", met: !latency.isEmpty && addedP99.median <= 1),
            Target(
                name: "bridge against the floor (python3 main on the same libpython3.11.a)",
                key: "bridge_overhead_floor",
                figure: bridge.overFloor?.text("%+.2f%%", scale: 100) ?? "not measured (build python-floor)",
                goal: "≤ +2%", met: (bridge.overFloor?.median ?? 1) <= 0.02),
            Target(
                name: "resident memory growth in shadow mode, \(memoryReadings)", key: "rss_growth",
                figure: String(format: "%+.2f%% (one run)", rssGrowth * 100), goal: "≤ 2%", met: rssGrowth <= 0.02),
            Target(
                name: "shadow-mode throughput, two workers ÷ one (serve --workers)", key: "workers_scaling",
                figure: workers.map {
                    String(
                        format: "%.2f× (%.0f ÷ %.0f events/s, median of %d pairs)", $0.ratio,
                        $0.median(2, \.eventsPerSecond),
                        $0.median(1, \.eventsPerSecond), $0.runs.count / 2)
                } ?? "not measured", goal: "≥ 1.5×", met: (workers?.ratio ?? 0) >= 1.5),
        ]
    }

    /// The commit of the checkout this runs in (`-dirty` when it has changes), nil outside one or
    /// without git: bench.json then says nothing of it.
    package static func checkoutCommit() -> String? {
        func git(_ arguments: [String]) -> String? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { return nil }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let commit = git(["rev-parse", "HEAD"]) else { return nil }
        let dirty = !(git(["status", "--porcelain", "--untracked-files=no"]) ?? "").isEmpty
        return commit + (dirty ? "-dirty" : "")
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
        func run(_ run: ServeBenchmark.Run) -> [String: Any] {
            [
                "events": run.events, "seconds": run.seconds, "events_per_s": run.rate,
                "cpus_busy": ["serve": run.cores.serve, "broker": run.cores.broker],
                "serve_cpu_by_thread_s": run.threadCPUSeconds,
            ]
        }
        return [
            "quick": quick, "seed": seed, "started_at": ISO8601DateFormatter().string(from: startedAt),
            "seconds": seconds, "machine": machine, "build": build,
            "events": sizes,
            "render_cpu_ratio": render.roundRatios.json,
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
            "bridge_overhead_floor": bridge.overFloor.map { $0.json as Any } ?? NSNull(),
            "bridge_overhead_python3": bridge.overPython.json,
            "bridge_floor_over_python3": bridge.floorOverPython.map { $0.json as Any } ?? NSNull(),
            "bridge": [
                "calls_per_s": bridge.bridgeCallsPerSecond, "python3_calls_per_s": bridge.pythonCallsPerSecond,
                "floor_calls_per_s": bridge.floorCallsPerSecond.map { $0 as Any } ?? NSNull(),
                "overhead_on_totals": bridge.totalOverhead, "own_cost_us": bridge.ownCostMicroseconds,
                "batches_per_round": bridge.batches,
            ] as [String: Any],
            "shadow_throughput_fraction": shadowFraction.json,
            "shadow_python_slowdown": shadowSlowdown.json,
            "shadow_rounds": shadow.map { round in
                run(round.run).merging([
                    "ceiling_events_per_s": round.ceiling, "fraction": round.fraction,
                    "python_work_alone_us": ["before": round.before, "after": round.after],
                    "python_work_us": round.run.legacyRenderMicroseconds.map { $0 as Any } ?? NSNull(),
                    "skipped_shadows": round.run.skippedShadows,
                ]) { first, _ in first }
            },
            "primary_added_latency_ms": addedP99.json,
            "latency_feed_events_per_s": pace,
            "latency_rounds": latency.map { round in
                [
                    "events": round.events, "added_ms": Self.figures(round.addedMilliseconds),
                    "wait_behind_other_legacy_renders_ms": Self.figures(round.waitBehindMilliseconds),
                    "consumed_to_published_ms": Self.figures(round.totalMilliseconds),
                    "stages_ms": round.stageMilliseconds.mapValues(Self.figures),
                    "slowest_1pct_stage_means_ms": round.slowestStageMeans,
                ] as [String: Any]
            },
            "swift_mode_harness_cpu": swiftHarness.json,
            "swift_mode_events_per_s": swiftRate.json,
            "swift_rounds": swift.map { round in
                run(round.run).merging([
                    "serve_cpu_per_event_us": round.serve, "render_cpu_per_event_us": round.render,
                    "render_cpu_before_after_us": [round.renderBefore, round.renderAfter],
                    "harness_ratio": round.harnessRatio,
                ]) { first, _ in first }
            },
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
            + String(format: "%.0f s", seconds) + ", \(machine["build"]!) build"
            + (build["commit"].map { " of \($0.prefix(12))" } ?? "") + ", \(machine["cores"]!) cores"
            + (machine["cpu"].map { " (\($0))" } ?? "") + ", \(machine["os"]!). All figures from this one run; "
            + "each target's is the median of its repetitions, with the lowest and highest in brackets.\n\n"
        text += "| target | figure | goal | met |\n|---|---|---|---|\n"
        for target in targets {
            text +=
                "| \(target.name) (`\(target.key)`) | \(target.figure) | \(target.goal) | \(target.met ? "yes" : "**no**") |\n"
        }
        text +=
            "\n## Render CPU per invoice\n\n"
            + "\(render.roundRatios.values.count) rounds, legacy and port alternating which goes first; per country over all rounds.\n\n"
            + "| country | events | legacy µs | Swift µs | legacy ÷ Swift |\n|---|---|---|---|---|\n"
        for country in render.counts.keys.sorted() {
            let left = render.legacyMicroseconds[country]!
            let right = render.swiftMicroseconds[country]!
            text += String(
                format: "| %@ | %d | %.1f | %.2f | %.1f× |\n", country, render.counts[country]!, left, right,
                left / right)
        }
        text += String(
            format: "| all | %d | %.1f | %.2f | %.1f× |\n", render.counts.values.reduce(0, +), render.legacyAll,
            render.swiftAll, render.legacyAll / render.swiftAll)
        text += "\n## Serve\n\n"
        for (index, round) in shadow.enumerated() {
            text += String(
                format:
                    "- shadow mode, round %d: %d events in %.2f s = %.0f events/s against a ceiling of %.0f (1 ÷ %.1f µs of "
                    + "Python work per render alone, the faster of %.1f before and %.1f after): %.3f; Python work per "
                    + "render in the phase %.1f µs (%+.1f%%); %d shadows skipped; CPUs busy: %.2f serve, %.2f broker\n",
                index + 1, round.run.events, round.run.seconds, round.run.rate, round.ceiling, round.alone,
                round.before, round.after, round.fraction, round.run.legacyRenderMicroseconds ?? 0,
                round.slowdown * 100, round.run.skippedShadows, round.run.cores.serve, round.run.cores.broker)
        }
        for (index, round) in latency.enumerated() {
            let added = Self.figures(round.addedMilliseconds)
            let wait = Self.figures(round.waitBehindMilliseconds)
            let total = Self.figures(round.totalMilliseconds)
            text += String(
                format: "- added latency, round %d, at %.0f events/s over %d events: p50 %.3f, p99 %.3f, max %.3f ms\n",
                index + 1, pace, round.events, added["p50"]!, added["p99"]!, added["max"]!)
            text += String(
                format:
                    "  - not counted as added: waiting for the Python thread to finish other events' renders (the legacy alone waits as long): p50 %.3f, p99 %.3f, max %.3f ms\n",
                wait["p50"]!, wait["p99"]!, wait["max"]!)
            text += String(
                format: "  - consumed → published, everything included: p50 %.3f, p99 %.3f, max %.3f ms\n",
                total["p50"]!, total["p99"]!, total["max"]!)
            text += "  - by stage (p50 / p99 / max ms): " + round.stageFiguresLine + "\n"
            text += "  - the slowest 1 % by added latency, mean per stage (ms): " + round.slowestStageMeansLine + "\n"
        }
        for (index, round) in swift.enumerated() {
            text += String(
                format:
                    "- swift mode, round %d: %d events in %.2f s = %.0f events/s; serve CPU %.1f µs per event, the port's "
                    + "render %.1f µs (%.1f before, %.1f after): the harness's own %.1f µs = %.2f× the render; CPUs busy: "
                    + "%.2f serve, %.2f broker\n",
                index + 1, round.run.events, round.run.seconds, round.run.rate, round.serve, round.render,
                round.renderBefore, round.renderAfter, round.serve - round.render, round.harnessRatio,
                round.run.cores.serve, round.run.cores.broker)
        }
        if let last = swift.last {
            text +=
                "  - serve CPU per event by thread, last round (µs): "
                + last.run.threadCPUSeconds.sorted { $0.value > $1.value }.filter { $0.value > 0 }.map {
                    String(format: "%@ %.1f", $0.key, $0.value * 1e6 / Double(max(1, last.run.events)))
                }.joined(separator: "; ") + "\n"
        }
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
                "- bridge: %.0f calls/s; the same loop in python-floor (python3's main on the library the bridge links) %@, "
                + "in /usr/bin/python3 %.0f; per round, the median of %d batches: bridge against the floor %@, "
                + "against python3 %@, the floor against python3 %@; the bridge's own cost %.1f µs per call\n",
            bridge.bridgeCallsPerSecond,
            bridge.floorCallsPerSecond.map { String(format: "%.0f", $0) } ?? "not measured",
            bridge.pythonCallsPerSecond, bridge.batches,
            bridge.overFloor?.text("%+.2f%%", scale: 100) ?? "not measured",
            bridge.overPython.text("%+.2f%%", scale: 100),
            bridge.floorOverPython?.text("%+.2f%%", scale: 100) ?? "not measured", bridge.ownCostMicroseconds)
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
