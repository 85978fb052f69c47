import ArgumentParser
import DocumentStore
import EventGenerator
import Foundation
import InvoiceRenderers
import KafkaIO
import Logging
import Prometheus
import ServiceLifecycle
import ShadowCore
import ShadowHarness
import ShadowLogging
import ShadowServe
import ShadowStore
import ShadowWeb
import Synchronization

/// `invoice-shadow serve`: the harness in production.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Consume Money-System events from Kafka, serve each country from its flag, shadow the other side.",
        discussion: """
            Without --brokers it starts librdkafka's embedded Kafka cluster in this process, \
            creates money.events, money.events.dlq and invoices.rendered, and prints "bootstrap: \
            HOST:PORT", the address any Kafka client (kcat included) can produce to. With \
            --brokers it joins that cluster as a member of the consumer group --group.

            The dashboard is at http://127.0.0.1:8080/ (--http): parity per country, signatures \
            with both invoices side by side, flags with their evidence and history, /metrics for \
            Prometheus, and a JSON API under /api/. Changing a flag needs a token from --tokens. \
            Once it listens, serve prints "http: http://HOST:PORT/".

            Every event gets one row in the store; rendered invoices go to invoices.rendered (key: \
            invoice number) with the HTML in --objects; invalid events go to money.events.dlq with \
            a "reason" header. Offsets are committed only after all of that is durable. Ctrl-C \
            stops cleanly.

            Several machines: give each serve its own --db and --objects, the same --brokers and \
            --group, and a name with --instance. Each then publishes its comparisons to \
            shadow.comparisons and reads everyone's into its store, and flag changes travel \
            through shadow.flags, so every dashboard, report and gate sees all of the evidence and \
            every instance serves with the same flags (README: "Several instances, one harness").

            Try it:
              invoice-shadow serve --demo          # embedded broker + 50 generated events/s

            --demo also starts a ramp plan for one country in shadow (DE on a new store): live \
            10%, live 50%, then swift, 30 s holds, each step on its own evidence, so that the \
            dashboard shows a country moving over about three minutes. Unless --gate-* options are \
            given, the demo lowers the gate to 200 comparisons at 99% (a demo-only floor; 1,000 at \
            99.9% is the default everywhere else).

              kcat -b HOST:PORT -t invoices.rendered -C -o beginning -e
              sqlite3 shadow.db "SELECT country, kind, COUNT(*) FROM comparison GROUP BY 1, 2"
            """)

    @Option(
        help: ArgumentHelp(
            "Kafka bootstrap servers, host:port,...; default: start the embedded broker.", valueName: "LIST"))
    var brokers: String?

    @Option(help: ArgumentHelp("The SQLite store.", valueName: "PATH"))
    var db = "shadow.db"

    @Option(
        help: ArgumentHelp(
            "Where rendered documents are stored (DIR/objects.pack) and indexed (DIR/objects.sqlite).",
            valueName: "DIR"))
    var objects = "objects"

    @Option(help: "The consumer group.")
    var group = "invoice-shadow"

    @Option(
        help: ArgumentHelp(
            "Where the dashboard, JSON API and /metrics listen (port 0: any free port). Beyond loopback, reads need a token too.",
            valueName: "HOST:PORT"))
    var http = ShadowWeb.defaultAddress

    @Flag(help: "Do not start the HTTP server.")
    var noHTTP = false

    @Option(
        help: ArgumentHelp(
            "Who may change flags: a file of `OWNER TOKEN` lines (default: $INVOICE_SHADOW_TOKENS; none: writes refused).",
            valueName: "FILE"))
    var tokens: String?

    @Flag(help: "Feed generated events into the input topic, so the whole system can be watched working.")
    var demo = false

    @Option(help: "Events per second fed by --demo (with a ramp plan for one country: see --help).")
    var demoRate = 50

    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var duration: Double?

    @Option(
        help: ArgumentHelp(
            "Keep comparisons this long (90s, 30m, 12h, 30d; forever): older ones are folded into per-day counts and deleted, the examples of each signature kept.",
            valueName: "DURATION"))
    var retain = "30d"

    /// --retain as a duration; nil for forever.
    var retention: Duration? { retain == "forever" ? nil : FlagsPlan.duration(retain) }

    /// serve's retention service, run by the process that owns the store (not by a worker).
    func retentionService(
        store: ShadowStore, health: ServeHealth, registry: PrometheusCollectorRegistry, logger: Logger
    )
        -> ServiceGroupConfiguration.ServiceConfiguration?
    {
        guard let period = retention else {
            logger.notice("retention is off (--retain forever): the store keeps every comparison")
            return nil
        }
        let reclaims: Bool
        do {
            reclaims = try store.reclaimsSpace()
        } catch {
            logger.warning(
                "cannot tell whether \(db) can shrink; retention runs anyway", metadata: [LogKey.error: "\(error)"])
            reclaims = true
        }
        if !reclaims {
            logger.notice(
                "\(db) was made before retention could shrink it: deleted comparisons' pages are reused, but the file does not shrink (sqlite3 \(db) 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM' while serve is stopped changes that)"
            )
        }
        let retention = StoreRetention(
            store: store, period: period, health: health, registry: registry, logger: logger)
        return .init(
            service: PeriodicService(interval: .seconds(10)) { await retention.pass() }, serviceName: "retention")
    }

    @Option(help: "Seconds each legacy render may take.")
    var timeout: Double = 10

    @Option(
        help: ArgumentHelp(
            "Seconds a legacy call may stay stuck past its deadline (in C code no interrupt reaches) before serve exits with status 75 for a supervisor to restart it.",
            valueName: "SECONDS"))
    var pythonStuckExit: Double = 60

    @Option(
        help: ArgumentHelp(
            "Run N worker processes, each with its own Python interpreter, in one consumer group, under this one: it restarts a worker that dies, serves one dashboard and the totals of /metrics, and drains them all on SIGTERM.",
            valueName: "N"))
    var workers: Int?

    /// Set by `--workers` on each worker it starts (1-based in logs, 0-based here).
    @Option(help: .hidden) var workerIndex: Int?

    @Option(
        help: ArgumentHelp(
            "POST a JSON notification of every automatic flag change (a revert) to this URL, retried with backoff.",
            valueName: "URL"))
    var notify: String?

    @OptionGroup var shared: SharedOptions

    @OptionGroup(title: "Personal data") var redaction: RedactionOptions

    @OptionGroup(title: "Cutover gate") var gate: GateOptions

    @OptionGroup var legacy: LegacyOptions

    @OptionGroup var logging: LogOptions

    func validate() throws {
        if let workers, !(1...64).contains(workers) { throw ValidationError("--workers takes 1 to 64") }
        guard retain == "forever" || (FlagsPlan.duration(retain).map { $0 > .zero } ?? false) else {
            throw ValidationError("--retain takes a duration such as 90s, 30m, 12h, 30d, or forever")
        }
        if let notify, URL(string: notify)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            throw ValidationError("--notify takes an http:// or https:// URL")
        }
    }

    func run() async throws {
        if let workers {
            try await runWorkers(workers)
            return
        }
        let logger = {
            var logger = logging.logger(label: "serve")
            if let workerIndex { logger[metadataKey: LogKey.worker] = "\(workerIndex + 1)" }
            return logger
        }()
        // Everything the user typed is checked before anything starts.
        let tokenBook = try loadTokens(logger: logger)
        if !noHTTP { _ = try ShadowWeb.parse(address: http) }
        let (embedded, bootstrap) = try startBroker(logger: logger)
        let store = try ShadowStore.open(path: db)
        let service = try await legacy.start()
        let producer = try KafkaProducer.make(bootstrapServers: bootstrap, logger: logger)
        let consumer = try KafkaConsumer.make(
            bootstrapServers: bootstrap, groupID: group, topics: ["money.events"], logger: logger)
        let objectStore = try PackedObjectStore(directory: objects)
        var configuration = ServeEngine.Configuration()
        shared.configure(&configuration)
        configuration.redactor = try redaction.redactor(besides: db, logger: logger)
        let versions = ShadowStore.Versions.current(legacyDirectory: try legacy.resolvedDirectory())
        configuration.versions = versions
        // A worker's supervisor notifies (it proposes the reverts); a worker alone does it itself.
        let notifier = notify.flatMap(URL.init(string:)).map { ChangeNotifier(url: $0, logger: logger) }
        if let notifier {
            configuration.automaticChangeObserver = { change in notifier.notify(change, store: store) }
        }
        let engine = ServeEngine(
            consumer: consumer, producer: producer,
            legacy: LegacyRenderer(service: service, timeout: .milliseconds(Int(timeout * 1000))),
            swift: SwiftRenderer(), comparator: OutcomeComparator(), store: store,
            objects: objectStore, configuration: configuration, policy: gateInEffect.policy, logger: logger)
        let run = try store.startRun(
            source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date(), versions: versions)
        // Instances that share their evidence and flags: the flags first, so that nothing is served
        // on a flag the others changed while this one was down.
        // (A worker's supervisor reads the shared topics into the store the workers share.)
        let sharing =
            workerIndex != nil
            ? nil
            : try shared.start(
                bootstrap: bootstrap, store: store, producer: producer, health: engine.health, runID: run,
                policy: gateInEffect.policy, notifier: notifier, logger: logger,
                reloadFlags: { try engine.reloadFlags() })
        logger.info(
            "started", metadata: ["store": "\(db)", "objects": "\(objects)", "group": "\(group)", "demo": "\(demo)"])
        if demo && workerIndex == nil { await startDemoPlan(store: store, sharing: sharing, logger: logger) }
        logger.info("\(service.interpreter.placement)")

        let status: @Sendable () -> ServeStatus = {
            let counters = engine.counters
            return ServeStatus(
                consumed: counters.consumed, completed: counters.completed, published: counters.published,
                deadLettered: counters.deadLettered, skippedShadows: counters.skippedShadows,
                redelivered: counters.redelivered)
        }
        // The parts, started in this order and shut down in the reverse one: the counters line and
        // the demo feed first, then the engine (it stops consuming, finishes what is in flight,
        // writes the rows and commits), then the HTTP server, which answers until the engine is done.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if !noHTTP {
            services.append(
                try webService(
                    ShadowWeb.Configuration(
                        store: store, objects: objectStore, status: status,
                        health: {
                            HealthReport(
                                checks: ServeHealth.Check.allCases.map(\.rawValue),
                                failing: engine.health.reportFailures, consuming: engine.isConsuming)
                        }, metrics: engine.metrics.registry, tokens: tokenBook, policy: gateInEffect.policy),
                    sharing: sharing, logger: logger))
        }
        // Before the engine, so that they stop after it: what it published last is read in.
        services += sharing?.services ?? []
        if workerIndex == nil,
            let retention = retentionService(
                store: store, health: engine.health, registry: engine.metrics.registry, logger: logger)
        {
            services.append(retention)
        }
        services.append(
            .init(
                service: EngineService(engine: engine, runID: run),
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "engine"))
        if demo {
            let rate = max(1, demoRate)
            let feeder = DemoFeeder(producer: producer, rate: rate) { engine.counters.consumed }
            services.append(
                .init(
                    service: PeriodicService(interval: .zero) { try await feeder.feedOneSecond() },
                    failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "demo"))
        }
        let pythonWatch = PythonWatch(
            interpreter: service.interpreter, health: engine.health,
            stuckExit: .milliseconds(Int(pythonStuckExit * 1000)), logger: logger)
        services.append(
            .init(service: PeriodicService(interval: .seconds(1)) { pythonWatch.check() }, serviceName: "python-watch"))
        // Every 2 s while they move; once a minute while they stand still.
        let progress = StatusLinePace<ServeStatus>()
        services.append(
            .init(
                service: PeriodicService(interval: .seconds(2)) {
                    let counters = status()
                    guard progress.due(counters) else { return }
                    logger.info(
                        """
                        consumed \(counters.consumed), recorded \(counters.completed), published \(counters.published), \
                        dead-lettered \(counters.deadLettered), shadows skipped \(counters.skippedShadows), \
                        delivered again \(counters.redelivered)
                        """)
                }, serviceName: "counters"))
        let failure = await runGroup(services, logger: logger, stopWhenInputCloses: workerIndex != nil)
        // Clients before the broker they talk to, so that nothing reports it gone.
        consumer.close()
        do {
            try producer.flush()
        } catch {
            logger.warning("some sends were not acknowledged before the stop", metadata: [LogKey.error: "\(error)"])
        }
        producer.close()
        try store.finishRun(run, finishedAt: Date())
        await service.interpreter.shutdown()
        await notifier?.finish()
        let counters = engine.counters
        logger.info("done: \(counters.completed) events recorded, \(counters.published) invoices published")
        withExtendedLifetime((consumer, producer)) {}
        withExtendedLifetime(embedded) {}
        if failure != nil { throw ExitCode.failure }
    }

    /// The dashboard's server as a service on --http, printing `http: http://HOST:PORT/` once it listens.
    func webService(_ configuration: ShadowWeb.Configuration, sharing: Sharing?, logger: Logger) throws
        -> ServiceGroupConfiguration.ServiceConfiguration
    {
        var configuration = configuration
        // Where instances share their flags, changes and plans go through the flags topic.
        configuration.changeFlag = sharing?.changeFlag
        configuration.submitPlan = sharing?.submitPlan
        var webLogger = logger
        webLogger[metadataKey: LogKey.component] = "http"
        let application = try ShadowWeb.buildApplication(address: http, configuration: configuration, logger: webLogger)
        { bound in
            FileHandle.standardOutput.write(Data("http: http://\(bound)/\n".utf8))
        }
        return .init(
            service: WebService(address: http, application: application),
            failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "http")
    }

    /// Runs serve's services as one group until it ends (a signal, --duration, a failed service),
    /// with --duration's deadline added; returns the failure that ended it, if one did.
    /// - Parameter stopWhenInputCloses: Also stop gracefully when standard input reaches its end (a
    ///   worker: its supervisor holds the other end, which closes however the supervisor ends).
    func runGroup(
        _ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger, stopWhenInputCloses: Bool = false
    ) async -> (any Error)? {
        var services = services
        if let duration {
            services.append(
                .init(
                    service: DeadlineService(duration: .milliseconds(Int(duration * 1000))),
                    successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "duration"))
        }
        var groupLogger = logger
        groupLogger.logLevel = max(logger.logLevel, .notice)  // the group's own start and stop lines are debug detail
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: groupLogger))
        let signals = ShutdownSignals(logger: logger) { await group.triggerGracefulShutdown() }
        defer { signals.cancel() }
        if stopWhenInputCloses {
            Thread.detachNewThread { [logger] in
                var byte: UInt8 = 0
                while read(STDIN_FILENO, &byte, 1) > 0 {}
                logger.info("the supervisor is gone: stopping after the events in flight")
                Task { await group.triggerGracefulShutdown() }
            }
        }
        do {
            try await group.run()
            return nil
        } catch {
            logger.error("\(error); stopped")
            return error
        }
    }

    /// The brokers given, or the embedded one started with serve's topics (its address printed).
    func startBroker(logger: Logger) throws -> (EmbeddedKafkaBroker?, String) {
        if let brokers { return (nil, brokers) }
        let broker = try EmbeddedKafkaBroker.make(logger: logger)
        for topic in ["money.events", "money.events.dlq", "invoices.rendered"] + shared.topicNames {
            try broker.createTopic(topic, partitions: EmbeddedKafkaBroker.defaultPartitions)
        }
        FileHandle.standardOutput.write(Data("bootstrap: \(broker.bootstrapServers)\n".utf8))
        return (broker, broker.bootstrapServers)
    }

    func loadTokens(logger: Logger) throws -> TokenBook {
        guard let path = tokens ?? ProcessInfo.processInfo.environment["INVOICE_SHADOW_TOKENS"] else { return .none }
        let book = try TokenBook.load(path: path)
        if book.isEmpty {
            logger.warning(
                "the tokens file holds no token: flag changes will be refused", metadata: [LogKey.file: "\(path)"])
        }
        return book
    }
}

/// `invoice-shadow record`: live traffic into the replay format.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Copy events from a Kafka topic into a JSON-lines file that replay reads.",
        discussion: """
            Reads the topic from the beginning in a group of its own (nothing is committed for \
            serve's group) and writes one event per line, byte for byte but its personal data \
            (replaced by keyed tokens of the same shape; --no-redaction keeps it); an event that \
            cannot travel as one line is written as {"$bytes": "<base64>"}. Stops after --max \
            events or after --idle seconds without a new one.

              invoice-shadow record --brokers HOST:PORT --output Tests/Corpus/live.jsonl --max 5000
            """)

    @Option(help: ArgumentHelp("Kafka bootstrap servers.", valueName: "LIST"))
    var brokers: String

    @Option(help: "The topic to copy.")
    var topic = "money.events"

    @Option(help: ArgumentHelp("The JSON-lines file to write.", valueName: "FILE"))
    var output: String

    @Option(help: "Stop after this many events.")
    var max: Int?

    @Option(help: "Stop after this many seconds without a new event.")
    var idle: Double = 5

    @OptionGroup(title: "Personal data") var redaction: RedactionOptions

    func run() async throws {
        let redactor = try redaction.redactor(
            besides: output, logger: Logger.shadow(label: "record", format: .text, level: .notice))
        var placeholders = 0
        let consumer = try KafkaConsumer.make(
            bootstrapServers: brokers, groupID: "invoice-shadow-record-\(UUID().uuidString)", topics: [topic])
        let limit = max ?? Int.max
        let sink = try LineSink(path: output)
        var count = 0
        // Written as the events arrive; the poll thread waits while the file falls behind.
        let batches = KafkaMessageBatches(
            consumer: consumer, maximumBatch: 256, idleTimeout: .milliseconds(Int(idle * 1000)),
            threadName: "record-poll")
        for await batch in batches {
            for message in batch.messages.prefix(limit - count) {
                guard let redactor else {
                    try sink.write(ReplayInput.line(for: message.value))
                    continue
                }
                let redacted = redactor.redact(event: message.value)
                if !redacted.complete { placeholders += 1 }
                try sink.write(ReplayInput.line(for: redacted.bytes))
            }
            count = Swift.min(limit, count + batch.messages.count)
            if count == limit { batches.finish() }
        }
        try sink.close()
        consumer.close()
        FileHandle.standardError.write(
            Data(
                ("recorded \(count) events from \(topic) into \(output)"
                    + (redactor == nil ? "" : ", personal data redacted")
                    + (placeholders == 0
                        ? ""
                        : " (\(placeholders) that were not JSON kept as placeholders: the topic has the originals)")
                    + "\n").utf8))
    }
}
