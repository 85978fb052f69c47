import Crdkafka
import Foundation
import Logging

/// One consumed message, copied out of librdkafka.
public struct KafkaMessage: Sendable, Equatable {
    /// The topic the message was consumed from.
    public var topic: String
    /// Its partition: the unit of ordering and of consumer-group assignment.
    public var partition: Int32
    /// Its offset in the partition; committing `offset + 1` marks it done.
    public var offset: Int64
    /// The key, if any.
    public var key: [UInt8]?
    /// The payload (empty for an empty message).
    public var value: [UInt8]
    /// Headers, in order.
    public var headers: [Header]

    /// A Kafka record header: a name and bytes, in the order the producer sent them.
    public struct Header: Sendable, Equatable {
        /// The header's name, as sent (Kafka allows repeats).
        public var name: String
        /// The header's bytes.
        public var value: [UInt8]

        /// Creates a header.
        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }
}

/// A partition the consumer group assigned to this member.
public struct AssignedPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32

    /// A partition of a topic.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// By topic, then partition.
    public static func < (left: Self, right: Self) -> Bool {
        (left.topic, left.partition) < (right.topic, right.partition)
    }

    /// `topic[partition]`.
    public var description: String { "\(topic)[\(partition)]" }
}

/// One assigned partition's offsets as the broker reported them.
public struct PartitionWatermarks: Sendable, Equatable {
    /// The topic.
    public var topic: String
    /// The partition whose log bounds these are.
    public var partition: Int32
    /// The first offset still in the log.
    public var low: Int64
    /// The offset the next produced message will get (log end).
    public var high: Int64
}

/// A consumer in a consumer group with manual offset commits: nothing is committed until the
/// caller says a message is done, so a crash redelivers instead of losing.
///
/// ``poll(timeout:)`` and ``commit(_:)`` block: call them from a dedicated thread, never from the
/// cooperative pool.
public final class KafkaConsumer: Sendable {
    private let handle: KafkaHandle

    private init(handle: KafkaHandle) {
        self.handle = handle
    }

    /// Joins `groupID` and subscribes to `topics`.
    /// - Parameters:
    ///   - bootstrapServers: `host:port,...`.
    ///   - groupID: The consumer group.
    ///   - topics: Topics to subscribe to.
    ///   - configuration: More librdkafka properties.
    ///   - logger: Where librdkafka's log lines and error reports go; nil leaves them on standard error.
    /// - Throws: ``KafkaError`` naming a refused property or a failed subscription.
    public static func make(
        bootstrapServers: String, groupID: String, topics: [String], configuration: [(String, String)] = [],
        logger: Logger? = nil
    ) throws(KafkaError) -> KafkaConsumer {
        let handle = try KafkaHandle.make(
            RD_KAFKA_CONSUMER, logger: logger,
            configuration: [
                ("bootstrap.servers", bootstrapServers), ("group.id", groupID), ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"), ("auto.offset.reset", "earliest"), ("log_level", "3"),
                // A crashed member's partitions move after 6 s instead of librdkafka's 45 s (2 s never forms a
                // group on the mock cluster; 6 s was measured to work).
                ("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "1000"),
                // Events up to 16 MiB are fetched (a partition must not stall behind one big message;
                // the mock cluster fetches strictly by this limit).
                ("fetch.message.max.bytes", "16777216"), ("fetch.max.bytes", "67108864"),
                ("receive.message.max.bytes", "100000000"),
                // At most 32 MB of events fetched ahead (librdkafka's default is 64 MB): swift mode runs
                // as fast with less resident memory. Lower starves it: librdkafka 2.0.2 backs a
                // partition's fetches off a fixed second once the limit is reached (docs/serve-tuning.md).
                ("queued.max.messages.kbytes", "32768"),
                // The broker holds an empty fetch this long and does not answer early when a message
                // arrives meanwhile: with librdkafka's 500 ms default, paced events arrive in bursts
                // every 500 ms (docs/serve-tuning.md).
                ("fetch.wait.max.ms", "5"),
                ("socket.nagle.disable", "true"),
            ] + configuration)
        rd_kafka_poll_set_consumer(handle.pointer)
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let result = rd_kafka_subscribe(handle.pointer, list)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(result, "subscribing") }
        return KafkaConsumer(handle: handle)
    }

    /// Reads every partition of `topic` outside any group, each from the offset given (from the
    /// beginning for a partition without one), and commits nothing: a reader that keeps its own
    /// place, such as a store that writes each message's offset in the transaction that applies it.
    /// - Parameters:
    ///   - bootstrapServers: `host:port,...`.
    ///   - topic: The topic; waited for up to `timeout` when it does not exist yet.
    ///   - offsets: The next offset to read, per partition.
    ///   - timeout: How long to wait for the topic's metadata.
    ///   - logger: Where librdkafka's log lines and error reports go.
    /// - Throws: ``KafkaError`` when the topic's partitions are not known within `timeout`.
    public static func reading(
        bootstrapServers: String, topic: String, from offsets: [Int32: Int64], timeout: Duration = .seconds(30),
        logger: Logger? = nil
    ) throws(KafkaError) -> KafkaConsumer {
        let handle = try KafkaHandle.make(
            RD_KAFKA_CONSUMER, logger: logger,
            configuration: [
                // librdkafka wants a group for a consumer; this one never joins it (assign, not
                // subscribe) and never commits.
                ("bootstrap.servers", bootstrapServers), ("group.id", "invoice-shadow-reader"),
                ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", "earliest"), ("log_level", "3"), ("fetch.wait.max.ms", "5"),
                ("fetch.message.max.bytes", "16777216"), ("receive.message.max.bytes", "100000000"),
                ("socket.nagle.disable", "true"),
            ])
        rd_kafka_poll_set_consumer(handle.pointer)
        let partitions = try partitionCount(handle, topic: topic, timeout: timeout)
        let list = rd_kafka_topic_partition_list_new(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset =
                offsets[partition] ?? Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        let result = rd_kafka_assign(handle.pointer, list)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(result, "assigning \(topic)") }
        return KafkaConsumer(handle: handle)
    }

    /// The number of partitions of `topic`, asking until the broker knows the topic or `timeout` passes.
    static func partitionCount(_ handle: KafkaHandle, topic: String, timeout: Duration) throws(KafkaError) -> Int32 {
        let deadline = ContinuousClock.now + timeout
        var lastError = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
        repeat {
            if let topicHandle = rd_kafka_topic_new(handle.pointer, topic, nil) {
                defer { rd_kafka_topic_destroy(topicHandle) }
                var metadata: UnsafePointer<rd_kafka_metadata>?
                lastError = rd_kafka_metadata(handle.pointer, 0, topicHandle, &metadata, 2000)
                if let metadata {
                    defer { rd_kafka_metadata_destroy(metadata) }
                    if lastError == RD_KAFKA_RESP_ERR_NO_ERROR, metadata.pointee.topic_cnt > 0 {
                        let described = metadata.pointee.topics[0]
                        if described.err == RD_KAFKA_RESP_ERR_NO_ERROR && described.partition_cnt > 0 {
                            return described.partition_cnt
                        }
                        lastError = described.err
                    }
                }
            }
            usleep(200_000)
        } while ContinuousClock.now < deadline
        throw KafkaError.rdkafka(lastError, "reading the partitions of \(topic)")
    }

    /// Each partition's first offset still in the log and the next offset it will give (its low and
    /// high watermarks), asked of the broker: a reader that reaches `high` has read everything
    /// written before the call.
    /// - Throws: ``KafkaError`` when the broker does not answer within `timeout`.
    public func endOffsets(topic: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> [Int32: (
        low: Int64, high: Int64
    )] {
        let milliseconds = Int32(timeout.components.seconds * 1000)
        let partitions = try Self.partitionCount(handle, topic: topic, timeout: timeout)
        var result: [Int32: (low: Int64, high: Int64)] = [:]
        for partition in 0..<partitions {
            var low: Int64 = -1
            var high: Int64 = -1
            let error = rd_kafka_query_watermark_offsets(handle.pointer, topic, partition, &low, &high, milliseconds)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rdkafka(error, "reading the end of \(topic)[\(partition)]")
            }
            result[partition] = (max(0, low), high)
        }
        return result
    }

    /// The next message, or nil when none arrives within `timeout`. Transient broker errors are
    /// librdkafka's to retry and are not thrown.
    /// - Parameter timeout: How long to wait.
    public func poll(timeout: Duration) -> KafkaMessage? {
        let milliseconds = Int32(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard let message = rd_kafka_consumer_poll(handle.pointer, milliseconds) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let raw = message.pointee
        guard raw.err == RD_KAFKA_RESP_ERR_NO_ERROR, let topicHandle = raw.rkt else { return nil }
        let value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) } ?? []
        let key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        var headers: [KafkaMessage.Header] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(
                    KafkaMessage.Header(
                        name: name.map { String(cString: $0) } ?? "",
                        value: bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
                index += 1
            }
        }
        return KafkaMessage(
            topic: String(cString: rd_kafka_topic_name(topicHandle)), partition: raw.partition, offset: raw.offset,
            key: key, value: value, headers: headers)
    }

    /// Commits `message` as done (its offset + 1), synchronously.
    /// - Parameter message: The last message of its partition that is durable downstream.
    /// - Throws: ``KafkaError`` when the commit fails (for example during a rebalance).
    public func commit(_ message: KafkaMessage) throws(KafkaError) {
        try commit(topic: message.topic, partition: message.partition, through: message.offset)
    }

    /// Commits every message of a partition up to and including `offset`, synchronously.
    public func commit(topic: String, partition: Int32, through offset: Int64) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = offset + 1
        let result = rd_kafka_commit(handle.pointer, list, 0)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError.rdkafka(result, "committing \(topic)[\(partition)]@\(offset)")
        }
    }

    /// Commits, for each partition listed, every message up to and including its offset, without
    /// waiting for the broker: a commit that fails is covered by the next one, and a crash before
    /// it only means the messages after the last good commit are delivered again.
    public func commitAsync(_ offsets: [(topic: String, partition: Int32, through: Int64)]) throws(KafkaError) {
        try commit(offsets, wait: false)
    }

    /// Commits, for each partition listed, every message up to and including its offset, in one
    /// request: waiting for the broker's answer when `wait` (a partition at a time, a member that
    /// is leaving during a rebalance waits out the broker's timeout once per partition).
    public func commit(_ offsets: [(topic: String, partition: Int32, through: Int64)], wait: Bool) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for entry in offsets {
            rd_kafka_topic_partition_list_add(list, entry.topic, entry.partition).pointee.offset = entry.through + 1
        }
        let result = rd_kafka_commit(handle.pointer, list, wait ? 0 : 1)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError.rdkafka(result, "committing \(offsets.count) partitions")
        }
    }

    /// The group's committed offset of a partition (the next offset to consume), or nil if none.
    /// - Parameters:
    ///   - topic: The topic.
    ///   - partition: The partition.
    ///   - timeout: How long to wait for the broker.
    public func committedOffset(topic: String, partition: Int32, timeout: Duration = .seconds(10)) throws(KafkaError)
        -> Int64?
    {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, partition)
        let result = rd_kafka_committed(handle.pointer, list, Int32(timeout.components.seconds * 1000))
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(result, "reading committed offsets") }
        let offset = list!.pointee.elems[0].offset
        return offset >= 0 ? offset : nil
    }

    /// The partitions assigned to this member now, ordered by topic and partition (none before the
    /// group has given it any, or while a rebalance takes them away).
    public func assignment() -> [AssignedPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return AssignedPartition(topic: String(cString: element.topic), partition: element.partition)
        }.sorted()
    }

    /// The partitions assigned to this member now, with the low and high watermarks librdkafka last
    /// saw while fetching (cached: no broker round trip, so it may lag by one fetch). A partition
    /// whose watermarks are not known yet is left out.
    public func watermarks() -> [PartitionWatermarks] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        var result: [PartitionWatermarks] = []
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            var low: Int64 = -1
            var high: Int64 = -1
            guard
                rd_kafka_get_watermark_offsets(handle.pointer, element.topic, element.partition, &low, &high)
                    == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
            else { continue }
            result.append(
                PartitionWatermarks(
                    topic: String(cString: element.topic), partition: element.partition, low: max(0, low), high: high))
        }
        return result
    }

    /// Whether librdkafka reported every broker down (`_ALL_BROKERS_DOWN`) since the last
    /// ``clearBrokersDown()``: librdkafka says when they go, not when they come back, so a caller
    /// that sees a broker answer again clears it.
    public var brokersReportedDown: Bool { handle.brokersReportedDown }

    /// Forgets the report of every broker down.
    public func clearBrokersDown() { handle.clearBrokersDown() }

    /// Leaves the group cleanly (its partitions move to the other members at once).
    public func close() {
        rd_kafka_consumer_close(handle.pointer)
        handle.closeLog()
    }
}
