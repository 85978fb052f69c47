import DocumentStore
import Foundation
import InvoiceRenderers
import KafkaIO
import Logging
import ShadowCore
import ShadowLogging
import ShadowServe
import ShadowStore
import TestSupport

/// What each serve test stands on: the embedded broker with serve's three topics, a producer, and
/// a store in a temporary directory; ``start(legacy:objects:configuration:source:)`` runs a real
/// engine over them. Call ``remove()`` in a `defer` (it also keeps the fixture alive to the end of
/// the test: the engine writes into its directory).
final class ServeFixture: Sendable {
    let broker: EmbeddedKafkaBroker
    let producer: KafkaProducer
    let directory: URL
    let store: ShadowStore

    /// - Parameters:
    ///   - name: The temporary directory's prefix.
    ///   - partitions: Of each topic.
    init(name: String = "serve", partitions: Int32 = 3) throws {
        broker = try EmbeddedKafkaBroker.make()
        for topic in ["money.events", "money.events.dlq", "invoices.rendered"] {
            try broker.createTopic(topic, partitions: partitions)
        }
        producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try ShadowStore.open(path: directory.appendingPathComponent("shadow.db").path)
    }

    /// The object store's directory inside the fixture's.
    var objectsDirectory: String { directory.appendingPathComponent("objects").path }

    /// Removes the temporary directory.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Sends each event to `money.events`, one after the other.
    func send(_ events: some Sequence<[UInt8]>) async throws {
        for event in events { _ = try await producer.send(topic: "money.events", key: nil, value: event) }
    }

    /// An engine at work.
    struct Serving: Sendable {
        let engine: ServeEngine
        /// Its consumer (group `invoice-shadow` on `money.events`), for committed offsets.
        let consumer: KafkaConsumer
        let runID: Int64
        let task: Task<Void, any Error>

        /// Waits until `completed` events are recorded, or `timeout` passes; returns whether they were.
        @discardableResult
        func waitUntil(completed: Int, timeout: Duration = .seconds(60)) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while engine.counters.completed < completed, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            return engine.counters.completed >= completed
        }

        /// Stops the engine and waits for its end (rethrowing what it threw).
        func stop() async throws {
            engine.stop()
            try await task.value
        }
    }

    /// Starts serve over the fixture.
    /// - Parameters:
    ///   - legacy: The legacy side; the shared interpreter's real legacy by default.
    ///   - objects: The object store; a ``PackedObjectStore`` in the fixture's directory by default.
    ///   - configuration: The engine's.
    ///   - source: The run's source.
    ///   - logger: The engine's (default: warnings and worse, on standard error).
    func start(
        legacy: (any InvoiceRenderer)? = nil, objects: (any ObjectStore)? = nil,
        configuration: ServeEngine.Configuration = ServeEngine.Configuration(), source: String = "serve",
        logger: Logger = Logger.shadow(label: "serve-test", format: .text, level: .warning)
    ) async throws -> Serving {
        let consumer = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "invoice-shadow", topics: ["money.events"])
        var legacySide = legacy
        if legacySide == nil { legacySide = LegacyRenderer(service: try await TestSupport.legacy()) }
        let engine = ServeEngine(
            consumer: consumer, producer: producer, legacy: legacySide!, swift: SwiftRenderer(),
            comparator: OutcomeComparator(), store: store,
            objects: try objects ?? PackedObjectStore(directory: objectsDirectory), configuration: configuration,
            logger: logger)
        let runID = try store.startRun(source: source, ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let task = Task { try await engine.run(runID: runID) }
        return Serving(engine: engine, consumer: consumer, runID: runID, task: task)
    }
}
