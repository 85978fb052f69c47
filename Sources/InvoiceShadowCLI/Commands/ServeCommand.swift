import ArgumentParser
import DocumentStore
import EventGenerator
import Foundation
import InvoiceRenderers
import KafkaIO
import ShadowCore
import ShadowHarness
import ShadowServe
import ShadowStore
import ShadowWeb

/// `invoice-shadow serve`: the harness in production.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Consume Money-System events from Kafka, serve each country from its flag, shadow the other side.",
        discussion: """
            Without --brokers it starts librdkafka's embedded Kafka cluster in this process, creates
            money.events, money.events.dlq and invoices.rendered, and prints "bootstrap: HOST:PORT",
            the address any Kafka client (kcat included) can produce to. With --brokers it joins that
            cluster as a member of the consumer group --group.

            The dashboard is at http://127.0.0.1:8080/ (--http): parity per country, signatures
            with both invoices side by side, flags with their evidence and history, /metrics for
            Prometheus, and a JSON API under /api/. Changing a flag needs a token from --tokens.
            Once it listens, serve prints "http: http://HOST:PORT/".

            Every event gets one row in the store; rendered invoices go to invoices.rendered (key:
            invoice number) with the HTML in --objects; invalid events go to money.events.dlq with a
            "reason" header. Offsets are committed only after all of that is durable. Ctrl-C stops
            cleanly.

            Try it:
              invoice-shadow serve --demo          # embedded broker + 50 generated events/s
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

    @Option(help: "Events per second fed by --demo.")
    var demoRate = 50

    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var duration: Double?

    @Option(help: "Seconds each legacy render may take.")
    var timeout: Double = 10

    @OptionGroup var legacy: LegacyOptions

    func run() async throws {
        // Everything the user typed is checked before anything starts.
        let tokenBook = try loadTokens()
        if !noHTTP { _ = try ShadowWeb.parse(address: http) }
        var embedded: EmbeddedKafkaBroker?
        let bootstrap: String
        if let brokers {
            bootstrap = brokers
        } else {
            let broker = try EmbeddedKafkaBroker.make()
            for topic in ["money.events", "money.events.dlq", "invoices.rendered"] {
                try broker.createTopic(topic, partitions: 3)
            }
            embedded = broker
            bootstrap = broker.bootstrapServers
            FileHandle.standardOutput.write(Data("bootstrap: \(bootstrap)\n".utf8))
        }
        let store = try ShadowStore.open(path: db)
        let service = try await legacy.start()
        let producer = try KafkaProducer.make(bootstrapServers: bootstrap)
        let consumer = try KafkaConsumer.make(bootstrapServers: bootstrap, groupID: group, topics: ["money.events"])
        let objectStore = try PackedObjectStore(directory: objects)
        let engine = ServeEngine(
            consumer: consumer, producer: producer,
            legacy: LegacyRenderer(service: service, timeout: .milliseconds(Int(timeout * 1000))),
            swift: SwiftRenderer(), comparator: OutcomeComparator(), store: store,
            objects: objectStore)
        let run = try store.startRun(source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        log("serve: store \(db), objects \(objects), group \(group)\(demo ? ", demo at \(demoRate) events/s" : "")")
        log("serve: \(service.interpreter.placement)")

        let serving = Task { try await engine.run(runID: run) }
        let web = WebServer(
            address: noHTTP ? nil : http,
            configuration: ShadowWeb.Configuration(
                store: store, objects: objectStore,
                status: {
                    let counters = engine.counters
                    return ServeStatus(
                        consumed: counters.consumed, completed: counters.completed, published: counters.published,
                        deadLettered: counters.deadLettered, skippedShadows: counters.skippedShadows)
                }, metrics: engine.metrics.registry, tokens: tokenBook))
        let webFailure = try web.start()
        let feeding = demo ? Task { try await feed(producer) } : nil
        let reporting = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                let counters = engine.counters
                log(
                    "serve: consumed \(counters.consumed), recorded \(counters.completed), published \(counters.published), "
                        + "dead-lettered \(counters.deadLettered), shadows skipped \(counters.skippedShadows)")
            }
        }
        // Runs until the duration is over, a signal arrives, or the HTTP server fails (port taken).
        let failure: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask { [duration] in
                if let duration {
                    try? await Task.sleep(for: .milliseconds(Int(duration * 1000)))
                } else {
                    await SignalWaiter.waitForTermination()
                }
                return nil
            }
            if let webFailure { group.addTask { await webFailure.value } }
            let first = await group.next() ?? nil
            web.stop()  // ends the web child too: it awaits a task that cancelling the group would not reach
            group.cancelAll()
            return first
        }
        if let failure { log("serve: \(failure); stopping") }
        log("serve: stopping after the events in flight")
        feeding?.cancel()
        engine.stop()
        try await serving.value
        reporting.cancel()
        consumer.close()
        try? producer.flush()
        try store.finishRun(run, finishedAt: Date())
        await service.interpreter.shutdown()
        let counters = engine.counters
        log("serve: done: \(counters.completed) events recorded, \(counters.published) invoices published")
        withExtendedLifetime(embedded) {}
        if failure != nil { throw ExitCode.failure }
    }

    private func loadTokens() throws -> TokenBook {
        guard let path = tokens ?? ProcessInfo.processInfo.environment["INVOICE_SHADOW_TOKENS"] else { return .none }
        let book = try TokenBook.load(path: path)
        if book.isEmpty { log("serve: the tokens file \(path) holds no token: flag changes will be refused") }
        return book
    }

    private func feed(_ producer: KafkaProducer) async throws {
        var seed: UInt64 = UInt64(Date().timeIntervalSince1970)
        while !Task.isCancelled {
            for event in EventGenerator().events(seed: seed, count: demoRate) {
                if Task.isCancelled { return }
                _ = try await producer.send(topic: "money.events", key: nil, value: Array(event.utf8))
                try await Task.sleep(for: .milliseconds(1000 / max(1, demoRate)))
            }
            seed += 1
        }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// `invoice-shadow record`: live traffic into the replay format.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Copy events from a Kafka topic into a JSON-lines file that replay reads.",
        discussion: """
            Reads the topic from the beginning in a group of its own (nothing is committed for
            serve's group) and writes one event per line, byte for byte; an event that cannot
            travel as one line is written as {"$bytes": "<base64>"}. Stops after --max events or
            after --idle seconds without a new one.
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

    func run() async throws {
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
                try sink.write(ReplayInput.line(for: message.value))
            }
            count = Swift.min(limit, count + batch.messages.count)
            if count == limit { batches.finish() }
        }
        try sink.close()
        consumer.close()
        FileHandle.standardError.write(Data("recorded \(count) events from \(topic) into \(output)\n".utf8))
    }
}
