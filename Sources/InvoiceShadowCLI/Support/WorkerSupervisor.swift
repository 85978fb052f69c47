import Foundation
import Logging
import Prometheus
import ShadowLogging
import ShadowServe
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `serve --workers N`: N serve processes, each with its own Python interpreter, in one consumer
/// group. A worker that dies (a segfault in an extension, `os._exit` from C, the stuck-thread
/// exit) is started again after a delay that doubles with each death in a row (1 s up to 30 s; a
/// worker that ran a minute starts over at 1 s); graceful shutdown sends every worker SIGTERM and
/// waits while they drain. Each worker's standard input is a pipe from here: when this process
/// ends however it ends, even killed, the pipe closes and the worker drains and exits, so none
/// outlives it.
///
/// Every second the workers' `/metrics` are read (each listens on a loopback port of its own,
/// which it prints as `http: http://HOST:PORT/`) and summed (``MetricsTotals``), with the counters
/// of workers that exited as last read (what a worker counted after its last reading is not in
/// the totals), and this process's own series: `invoice_shadow_worker_restarts_total{worker}` and
/// `invoice_shadow_workers_running`.
final class WorkerSupervisor: Sendable {
    private struct Worker {
        var process: Process?
        var input: Pipe?
        var address: String?
        var startedAt = ContinuousClock.now
        /// Deaths in a row, for the delay before the next start.
        var deathsInARow = 0
        var restartAt: ContinuousClock.Instant?
        var lastMetrics = ""
    }

    private struct State {
        var workers: [Worker]
        var stopping = false
        var signalled = false
        /// The counters of workers that exited, as they last read: the totals keep counting up.
        var retired: [String] = []
    }

    let count: Int
    private let arguments: @Sendable (Int) -> [String]
    private let logger: Logger
    private let state: Mutex<State>
    /// This process's own series.
    let registry: PrometheusCollectorRegistry
    private let restarts: [Counter]
    private let running: Gauge

    /// A supervisor of `count` workers started as `invoice-shadow` with `arguments(index)`.
    init(count: Int, logger: Logger, arguments: @escaping @Sendable (Int) -> [String]) {
        self.count = count
        self.arguments = arguments
        var logger = logger
        logger[metadataKey: LogKey.component] = "supervisor"
        self.logger = logger
        state = Mutex(State(workers: Array(repeating: Worker(), count: count)))
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        restarts = (0..<count).map { index in
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "invoice_shadow", metricName: "worker_restarts", unitName: "total",
                    helpText: "Workers started again after they died, by worker."),
                labels: [("worker", "\(index + 1)")])
        }
        running = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "invoice_shadow", metricName: "workers_running", unitName: "",
                helpText: "Worker processes running now."))
    }

    /// Starts every worker, then until ``stop()``: starts again those that died, when their delay
    /// has passed, and reads their metrics.
    func run() async {
        for index in 0..<count { start(index) }
        while !state.withLock({ $0.stopping }) {
            let due = state.withLock { state in
                state.workers.indices.filter { index in
                    state.workers[index].process == nil && (state.workers[index].restartAt ?? .now) <= .now
                }
            }
            for index in due {
                restarts[index].increment()
                start(index)
            }
            await scrape()
            try? await Task.sleep(for: .seconds(1))  // cancelled: the loop's condition decides
        }
    }

    /// Ends ``run()``: no worker is started again from now on.
    func requestStop() {
        state.withLock { $0.stopping = true }
    }

    /// Sends every worker SIGTERM once and waits until all have exited (each finishes what it
    /// consumed, writes the rows and commits): a second SIGTERM would make them exit at once.
    func stop() async {
        let processes = state.withLock { state in
            state.stopping = true
            defer { state.signalled = true }
            return state.signalled ? [] : state.workers.compactMap(\.process)
        }
        logger.info("stopping \(processes.count) workers")
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        while state.withLock({ state in state.workers.contains { $0.process?.isRunning ?? false } }) {
            try? await Task.sleep(for: .milliseconds(50))  // cancelled: the loop asks the workers again at once
        }
        running.set(Double(0))
    }

    /// The sum of the workers' last metrics and this process's own.
    func metrics() -> String {
        let texts = state.withLock { $0.workers.map(\.lastMetrics) + $0.retired }
        return MetricsTotals.sum(texts, extra: String(decoding: registry.emitToBuffer(), as: UTF8.self))
    }

    /// The workers not running now, by number (1-based).
    var down: [Int] {
        state.withLock { state in state.workers.indices.filter { state.workers[$0].process == nil }.map { $0 + 1 } }
    }

    private func start(_ index: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        process.arguments = arguments(index)
        let (input, output) = (Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        process.terminationHandler = { [self] process in exited(index, process) }
        do {
            try process.run()
        } catch {
            logger.error("cannot start worker \(index + 1)", metadata: [LogKey.error: "\(error)"])
            died(index)
            return
        }
        state.withLock { state in
            state.workers[index].process = process
            state.workers[index].input = input
            state.workers[index].address = nil
            state.workers[index].startedAt = .now
            state.workers[index].restartAt = nil
        }
        running.set(Double(count - down.count))
        logger.info(
            "worker \(index + 1) started",
            metadata: [LogKey.worker: "\(index + 1)", "pid": "\(process.processIdentifier)"])
        // Its address, from its standard output (nothing else is printed there).
        Thread.detachNewThread { [self] in
            let handle = output.fileHandleForReading
            var buffered = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                buffered.append(chunk)
                let text = String(decoding: buffered, as: UTF8.self)
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("http: ") }) {
                    let address = String(line.dropFirst("http: ".count))
                    state.withLock { $0.workers[index].address = address }
                    buffered.removeAll()
                }
            }
        }
    }

    private func exited(_ index: Int, _ process: Process) {
        let stopping = state.withLock { state in
            // A process started since (this one's handler ran late) is not this one.
            if state.workers[index].process === process {
                // Folded into one text: a worker that dies all week must not grow the list.
                state.retired = [
                    MetricsTotals.sum(state.retired + [MetricsTotals.counting(state.workers[index].lastMetrics)])
                ]
                state.workers[index].lastMetrics = ""
                state.workers[index].process = nil
                state.workers[index].input = nil
                state.workers[index].address = nil
            }
            return state.stopping
        }
        running.set(Double(count - down.count))
        let how =
            process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
        if stopping {
            logger.info("worker \(index + 1) \(how)", metadata: [LogKey.worker: "\(index + 1)"])
            return
        }
        died(index, how: how)
    }

    private func died(_ index: Int, how: String = "did not start") {
        let delay = state.withLock { state -> Duration in
            var worker = state.workers[index]
            // A worker that ran a minute was well: its next death starts the delays over.
            if ContinuousClock.now - worker.startedAt > .seconds(60) { worker.deathsInARow = 0 }
            worker.deathsInARow += 1
            let delay = Duration.seconds(min(30, 1 << min(5, worker.deathsInARow - 1)))
            worker.restartAt = .now + delay
            state.workers[index] = worker
            return delay
        }
        logger.error(
            "worker \(index + 1) \(how); starting it again in \(delay.components.seconds) s (its uncommitted events go to the other workers meanwhile)",
            metadata: [LogKey.worker: "\(index + 1)"])
    }

    /// Reads every running worker's `/metrics`; a worker that does not answer keeps its last.
    private func scrape() async {
        let addresses = state.withLock { state in state.workers.map(\.address) }
        for (index, address) in addresses.enumerated() {
            guard let address, let url = URL(string: address + "metrics") else { continue }
            var request = URLRequest(url: url)
            request.timeoutInterval = 2
            // A worker starting or stopping does not answer; its last reading stands, and a worker
            // that is gone shows on /health as `workers`, not here.
            guard let (data, _) = try? await URLSession.shared.data(for: request) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            state.withLock { $0.workers[index].lastMetrics = text }
        }
    }
}
