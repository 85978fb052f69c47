import DocumentStore
import KafkaIO
import ShadowCore
import ShadowLogging
import Synchronization

/// Publishes what a primary produced: a rendered invoice to the object store and the output topic,
/// anything else (an invalid event, a failure, a timeout) to the dead-letter topic with its reason.
final class InvoicePublisher: Sendable {
    /// An invoice on its way out: its number, JSON and HTML, and the event it came from.
    struct Invoice: Sendable {
        var number: String
        var json: [UInt8]
        var html: [UInt8]
        var eventID: String
    }

    private let producer: KafkaProducer
    private let objects: any ObjectStore
    private let outputTopic: String
    private let deadLetterTopic: String
    private let metrics: ServeMetrics
    private let health: ServeHealth
    private let failures: RepeatedFailureLog
    private let backoff: Backoff
    private let counts = Mutex((published: 0, deadLettered: 0))

    init(
        producer: KafkaProducer, objects: any ObjectStore, outputTopic: String, deadLetterTopic: String,
        metrics: ServeMetrics, health: ServeHealth, failures: RepeatedFailureLog, backoff: Backoff
    ) {
        self.health = health
        self.failures = failures
        self.backoff = backoff
        self.producer = producer
        self.objects = objects
        self.outputTopic = outputTopic
        self.deadLetterTopic = deadLetterTopic
        self.metrics = metrics
    }

    /// Invoices published and events dead-lettered so far.
    var published: (invoices: Int, deadLetters: Int) {
        counts.withLock { ($0.published, $0.deadLettered) }
    }

    /// The invoice's number (its key on the output topic and in the object store's index): the
    /// number the implementation gave, else the JSON's (the legacy's), else the event id.
    static func invoice(_ rendered: RenderedInvoice, facts: EventFacts) -> Invoice {
        let json = rendered.invoiceJSONBytes
        let number = rendered.number ?? JSONValue.topLevelStrings(["number"], in: json)[0] ?? facts.eventID
        return Invoice(number: number, json: json, html: rendered.htmlBytes, eventID: facts.eventID)
    }

    /// Publishes one primary result; returns how long the object store and the broker took.
    func publish(_ outcome: RenderOutcome, event: [UInt8], facts: EventFacts, implementation: Implementation)
        async throws -> (objectStore: Duration, kafka: Duration)
    {
        let started = ContinuousClock.now
        guard case .rendered(let rendered) = outcome else {
            try await deadLetter(outcome, event: event, implementation: implementation)
            return (.zero, ContinuousClock.now - started)
        }
        let invoice = Self.invoice(rendered, facts: facts)
        let key = try await stored {
            try await objects.storeRendered(number: invoice.number, json: invoice.json, html: invoice.html)
        }
        let stored = ContinuousClock.now
        let message = self.message(invoice, htmlKey: key, implementation: implementation)
        try await send(message)
        count(invoices: 1)
        return (stored - started, ContinuousClock.now - stored)
    }

    /// Publishes invoices together: one object-store write, then one burst of sends. Returns when
    /// the documents were stored and when the broker acknowledged the last invoice.
    func publish(_ invoices: [Invoice], implementation: Implementation) async throws
        -> (stored: ContinuousClock.Instant, sent: ContinuousClock.Instant)
    {
        let keys = try await stored {
            try await objects.storeRendered(
                invoices.map { RenderedDocument(number: $0.number, json: $0.json, html: $0.html) })
        }
        let stored = ContinuousClock.now
        let messages = zip(invoices, keys).map { message($0, htmlKey: $1, implementation: implementation) }
        // One burst; what the broker could not take for a reason worth retrying is sent again alone.
        for (report, message) in zip(await producer.sendAll(messages), messages) {
            if case .failure(let error) = report {
                guard error.isRetriable else { throw error }
                try await send(message, after: error)
            }
        }
        count(invoices: invoices.count)
        return (stored, ContinuousClock.now)
    }

    /// Dead-letters an event whose primary produced no invoice, with the reason.
    func deadLetter(_ outcome: RenderOutcome, event: [UInt8], implementation: Implementation) async throws {
        let reason: String
        switch outcome {
        case .rendered: return
        case .invalidEvent(let field, let why): reason = "invalid event: \(field): \(why)"
        case .failed(let failure): reason = "\(implementation.rawValue) failed: \(failure.type): \(failure.message)"
        case .timedOut: reason = "\(implementation.rawValue) timed out"
        }
        try await deadLetter(event, reason: reason, headers: [("implementation", Array(implementation.rawValue.utf8))])
    }

    /// Sends `event` to the dead-letter topic with its reason. An event the broker refuses as too
    /// large goes as its first 64 KiB with `truncated-from` (its size) and `fnv1a-64` (the hash of
    /// the whole event) headers; the store's row keeps the whole event.
    func deadLetter(_ event: [UInt8], reason: String, headers: [(String, [UInt8])]) async throws {
        let all = headers + [("reason", Array(reason.utf8))]
        var refused: KafkaError?
        do {
            try await send(OutgoingMessage(topic: deadLetterTopic, key: nil, value: event, headers: all))
        } catch {
            refused = error
        }
        if let refused, refused.isMessageTooLarge {
            try await send(
                OutgoingMessage(
                    topic: deadLetterTopic, key: nil, value: Array(event.prefix(65_536)),
                    headers: all + [
                        ("truncated-from", Array(String(event.count).utf8)),
                        ("fnv1a-64", Array(StableHash.fnv1aHex(event).utf8)),
                    ]))
        } else if let refused {
            throw refused
        }
        counts.withLock { $0.deadLettered += 1 }
        metrics.deadLettered.increment()
    }

    /// Sends `message`; a failure worth retrying (the broker unreachable past librdkafka's own
    /// retries and message timeout, a full queue) is retried with backoff until the broker takes
    /// it, counted in `invoice_shadow_retries_total{target="broker"}`. Others are thrown.
    private func send(_ message: OutgoingMessage, after failure: KafkaError? = nil) async throws(KafkaError) {
        var attempt = failure == nil ? 0 : 1
        var last = failure
        while true {
            if let last {
                failures.failure(
                    "kafka.send", "the broker did not take a message; retrying",
                    metadata: [LogKey.topic: "\(message.topic)", LogKey.error: "\(last)", LogKey.attempt: "\(attempt)"])
                metrics.retries(.broker)
                // A cancelled task (the engine failed elsewhere) stops retrying with the last error,
                // rather than retrying with no delay at all.
                do { try await Task.sleep(for: backoff.delay(attempt: attempt)) } catch { throw last }
            }
            do {
                _ = try await producer.send(
                    topic: message.topic, key: message.key, value: message.value, headers: message.headers)
                if attempt > 0 { failures.resolved("kafka.send") }
                return
            } catch  where error.isRetriable {
                attempt += 1
                last = error
            }
        }
    }

    /// An object-store write, retried with backoff until it succeeds (a full disk holds this
    /// event's primary path, and through the windows the consumer, until space returns), its
    /// outcome reported to ``ServeHealth``.
    private func stored<T>(_ write: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                let result = try await write()
                if attempt > 0 { failures.resolved("objects.write") }
                health.pass(.objectStore)
                return result
            } catch {
                attempt += 1
                let delay = backoff.delay(attempt: attempt)
                health.fail(.objectStore, "cannot write documents: \(error)")
                failures.failure(
                    "objects.write", "cannot write documents; retrying, consuming paused until they are written",
                    metadata: [LogKey.error: "\(error)", LogKey.attempt: "\(attempt)"])
                metrics.retries(.objectStore)
                try await Task.sleep(for: delay)
            }
        }
    }

    private func count(invoices: Int) {
        counts.withLock { $0.published += invoices }
        metrics.published.increment(by: Int64(invoices))
    }

    /// The invoice as it goes out on the output topic.
    private func message(_ invoice: Invoice, htmlKey: String, implementation: Implementation) -> OutgoingMessage {
        OutgoingMessage(
            topic: outputTopic, key: Array(invoice.number.utf8), value: invoice.json,
            headers: [
                ("implementation", Array(implementation.rawValue.utf8)), ("html-object", Array(htmlKey.utf8)),
                ("event-id", Array(invoice.eventID.utf8)),
            ])
    }
}
