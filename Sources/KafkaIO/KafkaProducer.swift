import CThreadTuning
import Crdkafka
import Foundation
import Logging

/// Where a message was stored.
public struct DeliveryReport: Sendable, Equatable {
    /// The partition the broker appended the message to.
    public var partition: Int32
    /// The offset in that partition.
    public var offset: Int64
}

/// A Kafka producer with delivery reports: ``send(topic:key:value:headers:)`` returns when the
/// broker has acknowledged the message (or librdkafka has given up on it).
///
/// A dedicated thread serves librdkafka's callbacks (`rd_kafka_poll`), so no blocking C call
/// runs on the cooperative thread pool.
public final class KafkaProducer: Sendable {
    private let handle: KafkaHandle
    private let running: RunningFlag
    /// Signalled when the polling thread has stopped (and so no longer holds the handle).
    private let pollerStopped = DispatchSemaphore(value: 0)

    private init(handle: KafkaHandle) {
        self.handle = handle
        running = RunningFlag()
        let thread = Thread { [handle, running, pollerStopped] in
            _ = thread_tuning_set_name("kafka-prod-poll")
            while running.isRunning { rd_kafka_poll(handle.pointer, 100) }
            pollerStopped.signal()
        }
        thread.name = "kafka-prod-poll"
        thread.start()
    }

    /// Creates a producer.
    /// - Parameters:
    ///   - bootstrapServers: `host:port,...`.
    ///   - configuration: More librdkafka properties, such as `("linger.ms", "5")`.
    ///   - logger: Where librdkafka's log lines and error reports go; nil leaves them on standard error.
    /// - Throws: ``KafkaError`` naming a refused property.
    public static func make(
        bootstrapServers: String, configuration: [(String, String)] = [], logger: Logger? = nil
    ) throws(KafkaError) -> KafkaProducer {
        let handle = try KafkaHandle.make(
            RD_KAFKA_PRODUCER, logger: logger,
            configuration: [
                ("bootstrap.servers", bootstrapServers), ("enable.idempotence", "true"), ("linger.ms", "0"),
                // Hostile events reach the dead-letter topic as they came, up to 16 MiB (brokers may
                // refuse less: serve then dead-letters a truncated copy).
                ("message.max.bytes", "16777216"),
                // Without a key, every message goes to a random partition (the default sticks a whole
                // batch to one partition, which overflows the mock cluster's ~4.5 MB per partition).
                ("sticky.partitioning.linger.ms", "0"),
                ("socket.nagle.disable", "true"),
                ("log_level", "3"),
            ] + configuration
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryCallback)
        }
        return KafkaProducer(handle: handle)
    }

    /// Sends one message and waits for its delivery report.
    /// - Parameters:
    ///   - topic: The topic.
    ///   - key: The key (partitioning and compaction), or nil.
    ///   - value: The payload.
    ///   - headers: Headers, in order.
    /// - Returns: Where the message was stored.
    /// - Throws: ``KafkaError`` when the message could not be queued or was not delivered.
    public func send(topic: String, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])] = [])
        async throws(KafkaError) -> DeliveryReport
    {
        let result: Result<DeliveryReport, KafkaError> = await withCheckedContinuation { continuation in
            let box = DeliveryBox(continuation: continuation)
            let opaque = Unmanaged.passRetained(box).toOpaque()
            if let error = enqueue(topic: topic, key: key, value: value, headers: headers, opaque: opaque) {
                Unmanaged<DeliveryBox>.fromOpaque(opaque).release()
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    /// Sends `messages` and waits for all their delivery reports: one wait for the lot instead of
    /// one per message (serve's swift mode sends a batch of invoices at a time).
    /// - Returns: Each message's report, or why it was not queued or delivered, in order.
    public func sendAll(_ messages: [OutgoingMessage]) async -> [Result<DeliveryReport, KafkaError>] {
        guard !messages.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let batch = DeliveryBatch(count: messages.count, continuation: continuation)
            for (index, message) in messages.enumerated() {
                let opaque = Unmanaged.passRetained(DeliverySlot(batch: batch, index: index)).toOpaque()
                if let error = enqueue(
                    topic: message.topic, key: message.key, value: message.value, headers: message.headers,
                    opaque: opaque)
                {
                    Unmanaged<DeliverySlot>.fromOpaque(opaque).release()
                    batch.complete(index, .failure(error))
                }
            }
        }
    }

    private func enqueue(
        topic: String, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])], opaque: UnsafeMutableRawPointer
    ) -> KafkaError? {
        // Nothing would deliver its report after close(): the sender would wait forever.
        guard running.isRunning else {
            return KafkaError.rdkafka(RD_KAFKA_RESP_ERR__DESTROY, "producing to \(topic) after close()")
        }
        for attempt in 0..<1000 {
            let error = produce(topic: topic, key: key, value: value, headers: headers, opaque: opaque)
            guard let error else { return nil }
            let code = rd_kafka_error_code(error)
            let failure = KafkaError.rdkafka(code, "producing to \(topic)")
            rd_kafka_error_destroy(error)
            // A full local queue drains as deliveries complete: wait a little and retry.
            guard code == RD_KAFKA_RESP_ERR__QUEUE_FULL, attempt < 999 else { return failure }
            usleep(1000)
        }
        return nil
    }

    private func produce(
        topic: String, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])], opaque: UnsafeMutableRawPointer
    ) -> OpaquePointer? {
        let list = rd_kafka_headers_new(headers.count)
        for (name, bytes) in headers {
            bytes.withUnsafeBytes { buffer in _ = rd_kafka_header_add(list, name, -1, buffer.baseAddress, buffer.count)
            }
        }
        let error: OpaquePointer? = topic.withCString { topicName in
            value.withUnsafeBytes { payload in
                (key ?? []).withUnsafeBytes { keyBytes in
                    // On the stack: an array here was a malloc and a free per message.
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6) { fields in
                        fields.initialize(repeating: rd_kafka_vu_t())
                        fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                        fields[0].u.cstr = topicName
                        fields[1].vtype = RD_KAFKA_VTYPE_VALUE
                        fields[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: payload.baseAddress)
                        fields[1].u.mem.size = payload.count
                        fields[2].vtype = RD_KAFKA_VTYPE_OPAQUE
                        fields[2].u.ptr = opaque
                        fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        fields[3].u.i = RD_KAFKA_MSG_F_COPY
                        fields[4].vtype = RD_KAFKA_VTYPE_HEADERS
                        fields[4].u.headers = list
                        var count = 5
                        if key != nil {
                            fields[5].vtype = RD_KAFKA_VTYPE_KEY
                            fields[5].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                            fields[5].u.mem.size = keyBytes.count
                            count = 6
                        }
                        return rd_kafka_produceva(handle.pointer, fields.baseAddress, count)
                    }
                }
            }
        }
        // On success the message owns the headers; on failure they are still ours.
        if error != nil { rd_kafka_headers_destroy(list) }
        return error
    }

    /// Fetches the metadata of `topics` now, so that the first message to each does not wait for it
    /// (on the mock cluster the first sends to a topic a producer had not used waited for it, see
    /// docs/performance-notes.md). Blocks: call it off the cooperative pool.
    /// - Throws: ``KafkaError`` naming the topic whose metadata did not arrive within `timeout`.
    public func prepare(topics: [String], timeout: Duration = .seconds(10)) throws(KafkaError) {
        let milliseconds = Int32(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        for topic in topics {
            guard let handleForTopic = rd_kafka_topic_new(handle.pointer, topic, nil) else {
                throw KafkaError.rdkafka(rd_kafka_last_error(), "preparing \(topic)")
            }
            defer { rd_kafka_topic_destroy(handleForTopic) }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let result = rd_kafka_metadata(handle.pointer, 0, handleForTopic, &metadata, milliseconds)
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rdkafka(result, "fetching metadata of \(topic)")
            }
        }
    }

    /// Waits until every queued message is delivered or `timeout` passes.
    /// - Parameter timeout: How long to wait.
    /// - Throws: ``KafkaError`` when messages are still in flight at the timeout.
    public func flush(timeout: Duration = .seconds(10)) throws(KafkaError) {
        let milliseconds = Int32(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let result = rd_kafka_flush(handle.pointer, milliseconds)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(result, "flushing") }
    }

    /// Whether librdkafka reported every broker down (`_ALL_BROKERS_DOWN`) since the last
    /// ``clearBrokersDown()``: librdkafka says when they go, not when they come back, so a caller
    /// that sees a broker answer again clears it.
    public var brokersReportedDown: Bool { handle.brokersReportedDown }

    /// Forgets the report of every broker down.
    public func clearBrokersDown() { handle.clearBrokersDown() }

    /// Delivers what is queued (waiting up to `timeout`), then stops the polling thread and waits
    /// for it: once the last reference goes, the producer's connections close at once (without
    /// `close`, within 100 ms, when the thread next wakes). A send after it fails at once; call it
    /// once the sends are done (one racing with it may be queued with nobody left to report it).
    public func close(timeout: Duration = .seconds(10)) {
        try? flush(timeout: timeout)
        running.stop()
        pollerStopped.wait()
        pollerStopped.signal()  // a second close returns at once
        handle.closeLog()
    }

    deinit {
        running.stop()
    }
}

/// A message for ``KafkaProducer/sendAll(_:)``.
public struct OutgoingMessage: Sendable {
    /// The topic to send to.
    public var topic: String
    /// The key (partitioning and compaction), or nil.
    public var key: [UInt8]?
    /// The message body, sent as it is.
    public var value: [UInt8]
    /// Headers, in order.
    public var headers: [(String, [UInt8])]

    /// A message for `topic`, with an optional key (the partitioner hashes it) and headers in order.
    public init(topic: String, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])] = []) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// What one message in flight reports to, carried through librdkafka as the message's opaque.
private class DeliveryTarget {
    func deliver(_ result: Result<DeliveryReport, KafkaError>) {}
}

/// The continuation of one ``KafkaProducer/send(topic:key:value:headers:)``.
private final class DeliveryBox: DeliveryTarget {
    let continuation: CheckedContinuation<Result<DeliveryReport, KafkaError>, Never>

    init(continuation: CheckedContinuation<Result<DeliveryReport, KafkaError>, Never>) {
        self.continuation = continuation
    }

    override func deliver(_ result: Result<DeliveryReport, KafkaError>) { continuation.resume(returning: result) }
}

/// One message of a ``KafkaProducer/sendAll(_:)``.
private final class DeliverySlot: DeliveryTarget {
    let batch: DeliveryBatch
    let index: Int

    init(batch: DeliveryBatch, index: Int) {
        self.batch = batch
        self.index = index
    }

    override func deliver(_ result: Result<DeliveryReport, KafkaError>) { batch.complete(index, result) }
}

/// The results of a ``KafkaProducer/sendAll(_:)`` so far; resumes its caller with the last.
private final class DeliveryBatch: @unchecked Sendable {
    // @unchecked: `results` and `remaining` are guarded by `lock`.
    private let lock = NSLock()
    private var results: [Result<DeliveryReport, KafkaError>?]
    private var remaining: Int
    private let continuation: CheckedContinuation<[Result<DeliveryReport, KafkaError>], Never>

    init(count: Int, continuation: CheckedContinuation<[Result<DeliveryReport, KafkaError>], Never>) {
        results = Array(repeating: nil, count: count)
        remaining = count
        self.continuation = continuation
    }

    func complete(_ index: Int, _ result: Result<DeliveryReport, KafkaError>) {
        let finished = lock.withLock { () -> [Result<DeliveryReport, KafkaError>]? in
            results[index] = result
            remaining -= 1
            return remaining == 0 ? results.map { $0! } : nil
        }
        if let finished { continuation.resume(returning: finished) }
    }
}

/// Called by librdkafka on the poll thread, once per message.
private let deliveryCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) ->
        Void = { _, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let target = Unmanaged<DeliveryTarget>.fromOpaque(opaque).takeRetainedValue()
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                target.deliver(
                    .success(DeliveryReport(partition: message.pointee.partition, offset: message.pointee.offset)))
            } else {
                target.deliver(.failure(KafkaError.rdkafka(message.pointee.err, "delivery")))
            }
        }

/// A stop flag shared with a polling thread.
final class RunningFlag: @unchecked Sendable {
    // @unchecked: the flag is guarded by `lock`.
    private let lock = NSLock()
    private var running = true

    var isRunning: Bool { lock.withLock { running } }
    func stop() { lock.withLock { running = false } }
}
