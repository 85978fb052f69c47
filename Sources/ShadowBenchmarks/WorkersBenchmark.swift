import Foundation
import ShadowStore

/// Shadow-mode throughput of `serve --workers 2` against `serve --workers 1`, as real processes on
/// the benchmark's broker, alternating, each run on the same preloaded events in a consumer group of
/// its own; and the harness's own CPU per event beside it (the workers' CPU per event less the
/// Python work per render they recorded).
package enum WorkersBenchmark {
    /// One run's figures.
    package struct Run: Sendable {
        package var workers: Int
        package var eventsPerSecond: Double
        /// The workers' CPU (every thread), µs per event.
        package var cpuPerEventMicroseconds: Double
        /// The CPU of the workers' `python` threads, µs per event: the legacy's work.
        package var pythonCPUPerEventMicroseconds: Double
        /// The mean `legacy_us` of the run's rows: the Python work per render as the wall clock saw
        /// it (above its CPU when the thread waits for a core).
        package var pythonWorkMicroseconds: Double

        /// What the harness spent per event: every thread's CPU but the Python thread's.
        package var harnessMicroseconds: Double { cpuPerEventMicroseconds - pythonCPUPerEventMicroseconds }
    }

    /// Every run, in the order made.
    package struct Scaling: Sendable {
        package var runs: [Run]

        package func median(_ workers: Int, _ figure: (Run) -> Double) -> Double {
            let values = runs.filter { $0.workers == workers }.map(figure).sorted()
            return values.isEmpty ? 0 : values[values.count / 2]
        }

        /// Median events/s with two workers ÷ median with one.
        package var ratio: Double {
            let one = median(1, \.eventsPerSecond)
            return one > 0 ? median(2, \.eventsPerSecond) / one : 0
        }

        /// The spread of the per-pair ratios (run 2k ÷ run 2k-1): smallest and largest.
        package var pairRatios: [Double] {
            stride(from: 1, to: runs.count, by: 2).map { runs[$0].eventsPerSecond / runs[$0 - 1].eventsPerSecond }
        }
    }

    /// Runs `repetitions` pairs (one worker, then two) of `serve --workers` on `events` events already
    /// in `money.events` of the broker at `bootstrap`.
    package static func run(
        bootstrap: String, events: Int, repetitions: Int, directory: URL, log: (String) -> Void
    ) async throws -> Scaling {
        var runs: [Run] = []
        for repetition in 0..<repetitions {
            for workers in [1, 2] {
                let run = try await once(
                    workers: workers, bootstrap: bootstrap, events: events,
                    directory: directory.appendingPathComponent("workers-\(repetition)-\(workers)"))
                log(
                    String(
                        format:
                            "  %d worker%@: %.0f events/s, %.0f µs CPU per event: %.0f in the Python thread (%.0f µs of wall time per render), %.0f the harness's",
                        workers, workers == 1 ? "" : "s", run.eventsPerSecond, run.cpuPerEventMicroseconds,
                        run.pythonCPUPerEventMicroseconds, run.pythonWorkMicroseconds, run.harnessMicroseconds))
                runs.append(run)
            }
        }
        return Scaling(runs: runs)
    }

    private static func once(workers: Int, bootstrap: String, events: Int, directory: URL) async throws -> Run {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // a temporary directory left behind is harmless
        let db = directory.appendingPathComponent("shadow.db").path
        let store = try ShadowStore.open(path: db)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        serve.arguments = [
            "serve", "--workers", "\(workers)", "--brokers", bootstrap, "--group", "bench-workers-\(UUID().uuidString)",
            "--db", db, "--objects", directory.appendingPathComponent("objects").path, "--no-http",
            "--log-level", "warning",
        ]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer {
            if serve.isRunning {
                serve.terminate()
                serve.waitUntilExit()
            }
        }
        // Measured from 5% of the events to 95%: the workers' start and their last partitions'
        // tails are not what the rate is about.
        func waitFor(_ count: Int) async throws -> (
            at: ContinuousClock.Instant, rows: Int, cpu: (all: Double, python: Double)
        ) {
            let deadline = ContinuousClock.now + .seconds(600)
            while true {
                let rows = try store.comparisonRowsEstimate()
                if rows >= count { return (.now, rows, workersCPUSeconds(of: serve.processIdentifier)) }
                guard ContinuousClock.now < deadline, serve.isRunning else {
                    throw BenchmarkError("serve --workers \(workers) recorded \(rows) of \(count) events, then stalled")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let start = try await waitFor(events / 20)
        let end = try await waitFor(events - events / 20)
        let seconds =
            Double((end.at - start.at).components.attoseconds) / 1e18 + Double((end.at - start.at).components.seconds)
        let counted = Double(end.rows - start.rows)
        serve.interrupt()
        serve.waitUntilExit()
        return Run(
            workers: workers, eventsPerSecond: counted / seconds,
            cpuPerEventMicroseconds: (end.cpu.all - start.cpu.all) * 1e6 / counted,
            pythonCPUPerEventMicroseconds: (end.cpu.python - start.cpu.python) * 1e6 / counted,
            pythonWorkMicroseconds: try store.meanLatencyMicroseconds(side: "legacy"))
    }

    /// CPU seconds (user and system) of the children of `parent`, from /proc: of every thread, and
    /// of the threads named `python` (the interpreter's: PythonBridge names it).
    static func workersCPUSeconds(of parent: Int32) -> (all: Double, python: Double) {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        /// utime + stime of a `stat` line, in ticks, and the line's parent pid.
        func parse(_ stat: String) -> (ticks: Double, parent: Int32)? {
            guard let close = stat.lastIndex(of: ")") else { return nil }
            // Fields after "pid (comm)": state, ppid, ...; utime is the 12th, stime the 13th.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let parent = Int32(fields[1]), let user = Double(fields[11]),
                let system = Double(fields[12])
            else { return nil }
            return (user + system, parent)
        }
        var total = (all: 0.0, python: 0.0)
        // Processes and threads come and go between listing /proc and reading it: one that is gone
        // has nothing more to count.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let process = parse(stat), process.parent == parent
            else { continue }
            total.all += process.ticks / ticks
            for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
                let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
                guard name.trimmingCharacters(in: .whitespacesAndNewlines) == "python",
                    let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                    let thread = parse(stat)
                else { continue }
                total.python += thread.ticks / ticks
            }
        }
        return total
    }
}
