import DocumentStore
import EventGenerator
import Foundation
import InvoiceRenderers
import KafkaIO
import Logging
import ShadowCore
import ShadowLogging
import ShadowServe
import ShadowStore
import Synchronization

/// Runs the real ``ServeEngine`` (legacy through the bridge, the Swift port, diff, SQLite on disk,
/// HTML objects on disk, Kafka in and out) against an embedded broker that runs as a process of
/// its own (`invoice-shadow broker`), so that this process's memory and CPU are the harness's.
package final class ServeBenchmark {
    /// What one serve run measured.
    package struct Run {
        /// Events recorded when the phase's clock stopped (at least the count asked for).
        package var events = 0
        /// From the first event consumed to the last recorded, seconds.
        package var seconds = 0.0
        /// Harness-added latency per event, milliseconds, sorted.
        package var addedMilliseconds: [Double] = []
        /// Per event, the primary render's wait for the Python thread to finish other events, ms, sorted.
        package var waitBehindMilliseconds: [Double] = []
        /// Per event, consumed → primary published, ms, sorted.
        package var totalMilliseconds: [Double] = []
        /// Per stage of the primary path (``ServeBenchmark/stages``), per event, ms, sorted.
        package var stageMilliseconds: [String: [Double]] = [:]
        /// Per stage, the mean over the events whose added latency is in the slowest 1 %, ms: which
        /// hop makes the p99 (each stage's own p99 comes from other events).
        package var slowestStageMeans: [String: Double] = [:]
        /// Shadow renders skipped.
        package var skippedShadows = 0
        /// Resident memory when `events` had been recorded.
        package var resident: [(events: Int, bytes: Int)] = []
        /// CPU seconds this process used over `seconds` (serve and everything in it).
        package var cpuSeconds = 0.0
        /// CPU seconds the broker process used over `seconds`.
        package var brokerCPUSeconds = 0.0
        /// CPU seconds by thread name over `seconds` (``ResourceUsage/cpuTimeByThreadName()``).
        package var threadCPUSeconds: [String: Double] = [:]
        /// The legacy's mean Python work per render over the phase, µs (nil if it never ran).
        package var legacyRenderMicroseconds: Double?
        /// Events per second.
        package var rate: Double { seconds > 0 ? Double(events) / seconds : 0 }
        /// Cores busy on average: this process, and the broker's.
        package var cores: (serve: Double, broker: Double) {
            seconds > 0 ? (cpuSeconds / seconds, brokerCPUSeconds / seconds) : (0, 0)
        }

        /// Each stage's p50 / p99 / max, in ms: `before_render 0.080 / 0.320 / 1.460; ...` (the
        /// figures `bench.md` and `bench serve --paced` show).
        package var stageFiguresLine: String {
            ServeBenchmark.stages.map { name, _ in
                let sorted = stageMilliseconds[name] ?? []
                return name
                    + String(
                        format: " %.3f / %.3f / %.3f", Benchmarks.percentile(sorted, 0.5),
                        Benchmarks.percentile(sorted, 0.99), sorted.last ?? 0)
            }.joined(separator: "; ")
        }

        /// Each stage's mean over the slowest 1 %, in ms: `before_render 0.237; ...`.
        package var slowestStageMeansLine: String {
            ServeBenchmark.stages.map { name, _ in name + String(format: " %.3f", slowestStageMeans[name] ?? 0) }
                .joined(separator: "; ")
        }
    }

    private let broker: Process
    private let lifeline = Pipe()
    /// The broker's `HOST:PORT`.
    package let bootstrap: String
    /// nil once closed: the producer goes before the broker does, or librdkafka logs the broker's
    /// exit as errors ("1/1 brokers are down") at the end of every run.
    private var openProducer: KafkaProducer?
    private var producer: KafkaProducer { openProducer! }
    private let legacy: LegacyRenderer
    private let directory: URL
    /// A paced phase produces while it runs, so each of its repetitions needs a topic of its own
    /// (`bench.latency.1` ...); a preloaded topic is read again by each repetition.
    package static let topics =
        ["bench.shadow", "bench.swift", "bench.memory"] + (1...5).map { "bench.latency.\($0)" }
    /// The primary path's stages as bench.json names them, in the order they happen.
    package static let stages: KeyValuePairs<String, @Sendable (ServeEngine.PrimaryTiming) -> Duration> = [
        "before_render": { $0.beforeRender }, "render_hand_off": { $0.renderHandOff },
        "object_store": { $0.objectStore }, "kafka_ack": { $0.kafka },
    ]

    /// Produces a run's input while the engine runs: given the producer and the count of events
    /// completed so far.
    package typealias Feed = @Sendable (KafkaProducer, @escaping @Sendable () -> Int) async throws -> Void

    /// A ``Feed`` that sends `events` to `topic` at `perSecond`, each without waiting for the one
    /// before (phase 3 of bench, and `bench serve --paced`).
    package static func pacedFeed(_ events: [[UInt8]], topic: String, perSecond: Double) -> Feed {
        { producer, completed in
            guard let first = events.first else { return }
            // The first event waits out the group join (about 3 s on the mock cluster): events
            // fed during the join would queue and measure the join, not serve.
            _ = try await producer.send(topic: topic, key: nil, value: first)
            while completed() < 1 { try await Task.sleep(for: .milliseconds(5)) }
            var next = ContinuousClock.now
            for event in events.dropFirst() {
                try await Task.sleep(until: next)
                next = next + .microseconds(Int64(1e6 / perSecond))
                Task { _ = try await producer.send(topic: topic, key: nil, value: event) }
            }
        }
    }

    /// A ``Feed`` that generates events (from `seed`, a thousand at a time) and sends them to `topic`
    /// as serve takes them, at most `ahead` events before it: neither the events nor the producer's
    /// queue weigh on this process's memory, and the input topic never holds more than the embedded
    /// broker keeps (about 4.5 MB a partition), however long the run. It feeds `ahead` events past
    /// the `count` serve is to record, so that the consumer's queue is as full when the last is
    /// recorded as before (a feed ended at `count` left it empty at the end and full at every
    /// earlier reading of resident memory). Phase 5 of bench and `bench serve --fed`.
    package static func followingFeed(seed: UInt64, count: Int, topic: String, ahead: Int = 10_000) -> Feed {
        { producer, completed in
            let fed = count + ahead
            var produced = 0
            while produced < fed {
                while produced - completed() > ahead { try await Task.sleep(for: .milliseconds(50)) }
                let chunk = EventGenerator().events(seed: seed + UInt64(produced), count: min(1_000, fed - produced))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for event in chunk {
                        group.addTask { _ = try await producer.send(topic: topic, key: nil, value: Array(event.utf8)) }
                    }
                    try await group.waitForAll()
                }
                produced += chunk.count
            }
        }
    }

    /// Starts the broker process.
    package init(legacy: LegacyRenderer) throws {
        self.legacy = legacy
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("invoice-shadow-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        broker = Process()
        broker.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        broker.arguments = [
            // 64 partitions: the mock cluster keeps only about 4.5 MB per partition and silently drops
            // the oldest messages beyond that, so a preloaded topic must be spread wide.
            "broker", "--partitions", "64", "--exit-at-end-of-input", "--topics",
            (Self.topics + ["money.events", "money.events.dlq", "invoices.rendered"]).joined(separator: ","),
        ]
        // Held open for the broker's lifetime: when this process ends, however it ends (a bench
        // killed mid-run left a 800 MB broker behind), the broker reads the end of it and exits.
        broker.standardInput = lifeline
        let output = Pipe()
        broker.standardOutput = output
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        var first = Data()
        while !first.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw BenchmarkError("the benchmark's broker process did not start") }
            first.append(chunk)
        }
        bootstrap = String(String(decoding: first, as: UTF8.self).dropFirst("bootstrap: ".count).prefix { $0 != "\n" })
        openProducer = try KafkaProducer.make(bootstrapServers: bootstrap)
    }

    /// Stops the broker and removes the temporary store and objects.
    package func close() {
        openProducer?.close()
        openProducer = nil
        broker.terminate()
        broker.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Produces `payloads` into `topic`, many in flight at once; returns when all are delivered.
    package func produce(_ payloads: [[UInt8]], topic: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func submit() {
                let payload = payloads[next]
                next += 1
                group.addTask { [producer] in _ = try await producer.send(topic: topic, key: nil, value: payload) }
            }
            while next < min(2_000, payloads.count) { submit() }
            while try await group.next() != nil {
                if next < payloads.count { submit() }
            }
        }
    }

    /// One serve run on `topic`.
    /// - Parameters:
    ///   - flag: Every country's flag.
    ///   - topic: The input topic, already holding `preloaded` events or fed by `feed`.
    ///   - expected: Events to wait for.
    ///   - feed: Produces the input while the engine runs (paced runs), if any.
    ///   - residentAt: Recorded-event counts at which to read resident memory.
    ///   - recordsTimings: Keep every event's primary-path timing (the latency phase only).
    ///   - repetition: Which repetition of the phase this is: each has its own store and objects and
    ///     its own consumer group, so a preloaded topic is read whole again.
    package func run(
        flag: CutoverFlag, topic: String, expected: Int, residentAt: [Int] = [], recordsTimings: Bool = false,
        repetition: Int = 0, feed: Feed? = nil,
        tune: (inout ServeEngine.Configuration) -> Void = { _ in }, progress: @escaping (String) -> Void
    ) async throws -> Run {
        let phase = directory.appendingPathComponent("\(topic)-\(repetition)")
        let store = try ShadowStore.open(path: phase.appendingPathComponent("shadow.db").path)
        for country in ContractCountry.codes where flag != ShadowStore.defaultFlag {
            try store.setFlag(country: country, to: flag, actor: "bench", reason: "benchmark", force: true)
        }
        // Serve's consumer settings, except in the latency phase: there the broker answers an empty
        // fetch after 1 ms instead of serve's 5, so that "consumed -> published, everything included"
        // is not mostly fetch wait (the added latency starts at consumption either way). Elsewhere
        // 1 ms cost what serve does not pay: on preloaded events the consumer has everything queued
        // after its first fetches and then polls empty ones, ~1,000 a second (one librdkafka thread
        // at 82 us of CPU per event in shadow mode, competing with the Python thread).
        let consumer = try KafkaConsumer.make(
            bootstrapServers: bootstrap, groupID: "bench-\(topic)-\(UUID().uuidString)", topics: [topic],
            configuration: recordsTimings ? [("fetch.wait.max.ms", "1")] : [])
        let timings = Mutex<[ServeEngine.PrimaryTiming]>([])
        var configuration = ServeEngine.Configuration()
        configuration.inputTopic = topic
        // Only where asked: kept for every event, the timings of the 1M-event memory phase weighed
        // ~50 MB in this process and showed up as serve's memory growth.
        if recordsTimings {
            configuration.primaryTimingObserver = { timing in timings.withLock { $0.append(timing) } }
        }
        tune(&configuration)
        let engine = ServeEngine(
            consumer: consumer, producer: producer, legacy: legacy, swift: SwiftRenderer(),
            comparator: OutcomeComparator(), store: store,
            objects: try PackedObjectStore(directory: phase.appendingPathComponent("objects").path),
            configuration: configuration,
            logger: Logger.shadow(label: "bench", format: .text, level: .warning))
        let runID = try store.startRun(
            source: "bench \(topic)", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        var result = Run()
        if residentAt.contains(0) { result.resident.append((0, ResourceUsage.residentBytes())) }
        let serving = Task { try await engine.run(runID: runID) }
        let producer = self.producer
        let feeding = feed.map { feed in Task { try await feed(producer) { engine.counters.completed } } }

        var started: ContinuousClock.Instant?
        var cpuAtStart = (serve: Duration.zero, broker: Duration.zero)
        var threadsAtStart: [String: Duration] = [:]
        var lastReport = ContinuousClock.now
        var checkpoints = residentAt.filter { $0 > 0 }.sorted()
        let deadline = ContinuousClock.now + .seconds(3600 * 2)
        while ContinuousClock.now < deadline {
            let counters = engine.counters
            if started == nil && counters.consumed > 0 {
                started = .now
                progress(
                    String(
                        format: "%@: first event consumed at monotonic %.6f s", topic,
                        ResourceUsage.monotonicSeconds()))
                cpuAtStart = (ResourceUsage.processCPUTime(), ResourceUsage.cpuTime(process: broker.processIdentifier))
                threadsAtStart = ResourceUsage.cpuTimeByThreadName()
            }
            if let next = checkpoints.first, counters.completed >= next {
                result.resident.append((counters.completed, ResourceUsage.residentBytes()))
                checkpoints.removeFirst()
            }
            if counters.completed >= expected {
                // What the clock and CPU readings cover: a fed topic holds more, which serve goes
                // on completing until it stops, outside them.
                result.events = counters.completed
                break
            }
            if ContinuousClock.now - lastReport > .seconds(10) {
                progress("\(topic): \(counters.completed) of \(expected) events recorded")
                lastReport = .now
            }
            // Not every millisecond: this loop runs in serve's process, and its timer's wake-ups
            // count as serve's CPU and take the harness's CPU from it (docs/performance-notes.md).
            // 10 ms is 0.1 % of the shortest phase.
            try await Task.sleep(for: .milliseconds(10))
        }
        let finished = ContinuousClock.now
        progress(
            String(
                format: "%@: %d events recorded at monotonic %.6f s", topic, expected,
                ResourceUsage.monotonicSeconds()))
        result.cpuSeconds = (ResourceUsage.processCPUTime() - cpuAtStart.serve).seconds
        result.brokerCPUSeconds = (ResourceUsage.cpuTime(process: broker.processIdentifier) - cpuAtStart.broker).seconds
        for (name, time) in ResourceUsage.cpuTimeByThreadName() {
            result.threadCPUSeconds[name] = (time - (threadsAtStart[name] ?? .zero)).seconds
        }
        engine.stop()
        feeding?.cancel()
        try await serving.value
        result.legacyRenderMicroseconds = try store.meanRenderMicroseconds(runID: runID).legacy
        consumer.close()
        result.skippedShadows = engine.counters.skippedShadows
        result.seconds = started.map { (finished - $0).seconds } ?? 0
        let primary = timings.withLock { $0 }
        result.addedMilliseconds = primary.map { $0.added.seconds * 1000 }.sorted()
        result.waitBehindMilliseconds = primary.map { $0.waitBehindOtherEvents.seconds * 1000 }.sorted()
        result.totalMilliseconds = primary.map { $0.total.seconds * 1000 }.sorted()
        let slowest = primary.sorted { $0.added > $1.added }.prefix(max(1, primary.count / 100))
        for (name, stage) in Self.stages {
            result.stageMilliseconds[name] = primary.map { stage($0).seconds * 1000 }.sorted()
            if !slowest.isEmpty {
                result.slowestStageMeans[name] =
                    slowest.map { stage($0).seconds * 1000 }.reduce(0, +) / Double(slowest.count)
            }
        }
        guard result.events >= expected else {
            throw BenchmarkError(
                "\(topic): only \(engine.counters.completed) of \(expected) events were recorded within the time limit")
        }
        return result
    }
}
