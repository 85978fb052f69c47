import ArgumentParser
import EventGenerator
import Foundation
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

    @Option(help: ArgumentHelp("Where rendered HTML documents are stored.", valueName: "DIR"))
    var objects = "objects"

    @Option(help: "The consumer group.")
    var group = "invoice-shadow"

    @Option(
        help: ArgumentHelp("Serve GET /health and GET /flags (JSON) here, e.g. 127.0.0.1:8080.", valueName: "HOST:PORT")
    )
    var http: String?

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
        let engine = ServeEngine(
            consumer: consumer, producer: producer,
            legacy: LegacyRenderer(service: service, timeout: .milliseconds(Int(timeout * 1000))),
            swift: SwiftRenderer(), comparator: OutcomeComparator(), store: store,
            objects: try DirectoryObjectStore(root: objects))
        let run = try store.startRun(source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        log("serve: store \(db), objects \(objects), group \(group)\(demo ? ", demo at \(demoRate) events/s" : "")")

        let serving = Task { try await engine.run(runID: run) }
        var web: Task<Void, any Error>?
        if let http {
            let application = try ShadowWeb.buildApplication(address: http, store: store) {
                let counters = engine.counters
                return ServeStatus(
                    consumed: counters.consumed, completed: counters.completed, published: counters.published,
                    deadLettered: counters.deadLettered, skippedShadows: counters.skippedShadows)
            }
            web = Task { try await application.runService(gracefulShutdownSignals: []) }
            log("serve: http on \(http): GET /health, GET /flags")
        }
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
        if let duration {
            try? await Task.sleep(for: .milliseconds(Int(duration * 1000)))
        } else {
            await SignalWaiter.waitForTermination()
        }
        log("serve: stopping after the events in flight")
        feeding?.cancel()
        engine.stop()
        try await serving.value
        reporting.cancel()
        web?.cancel()
        consumer.close()
        try? producer.flush()
        try store.finishRun(run, finishedAt: Date())
        await service.interpreter.shutdown()
        let counters = engine.counters
        log("serve: done: \(counters.completed) events recorded, \(counters.published) invoices published")
        withExtendedLifetime(embedded) {}
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
        let idleLimit = idle
        // poll blocks: the copy runs on a thread of its own and hands the events back.
        let events: [[UInt8]] = await withCheckedContinuation { continuation in
            let thread = Thread {
                var events: [[UInt8]] = []
                var lastEvent = ContinuousClock.now
                while events.count < limit, ContinuousClock.now - lastEvent < .milliseconds(Int(idleLimit * 1000)) {
                    guard let message = consumer.poll(timeout: .milliseconds(200)) else { continue }
                    events.append(message.value)
                    lastEvent = ContinuousClock.now
                }
                continuation.resume(returning: events)
            }
            thread.start()
        }
        let sink = try LineSink(path: output)
        for event in events { try sink.write(ReplayInput.line(for: event)) }
        let count = events.count
        try sink.close()
        consumer.close()
        FileHandle.standardError.write(Data("recorded \(count) events from \(topic) into \(output)\n".utf8))
    }
}
