import Crdkafka
import Logging

/// librdkafka's in-process mock cluster: a real Kafka-protocol server on loopback TCP ports,
/// which any Kafka client (kcat included) can reach through ``bootstrapServers``.
public final class EmbeddedKafkaBroker: Sendable {
    private let host: KafkaHandle
    // @unchecked via the wrapper below: the cluster pointer is owned here and freed in deinit.
    private let cluster: ClusterPointer

    /// The address to give clients, such as `127.0.0.1:40123,127.0.0.1:40125`.
    public let bootstrapServers: String

    private struct ClusterPointer: @unchecked Sendable {
        // Safe: the mock cluster is internally synchronized; this wrapper only carries the pointer.
        let pointer: OpaquePointer
    }

    private init(host: KafkaHandle, cluster: OpaquePointer) {
        self.host = host
        self.cluster = ClusterPointer(pointer: cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Partitions of the topics serve and `invoice-shadow broker` create by default: with about
    /// ``approximateBytesPerPartition`` kept per partition, 32 hold 100,000 preloaded events of
    /// about 1 KB, keyed (a keyed producer spreads them evenly).
    public static let defaultPartitions: Int32 = 32

    /// About how many bytes of messages librdkafka 2.0.2's mock cluster keeps per partition before
    /// it drops the oldest, silently (measured; fixed in its partition setup). A real cluster's
    /// retention is its own.
    public static let approximateBytesPerPartition = 4_500_000

    /// Starts a mock cluster of `brokers` brokers.
    /// - Parameters:
    ///   - brokers: How many brokers. Default 1.
    ///   - logger: Where the cluster's log lines go; nil leaves them on standard error.
    /// - Throws: ``KafkaError`` when librdkafka cannot create it.
    public static func make(brokers: Int32 = 1, logger: Logger? = nil) throws(KafkaError) -> EmbeddedKafkaBroker {
        // The cluster lives inside a client handle; a producer with no bootstrap of its own.
        let host = try KafkaHandle.make(
            RD_KAFKA_PRODUCER, logger: logger, configuration: [("log_level", "3"), ("socket.nagle.disable", "true")])
        guard let cluster = rd_kafka_mock_cluster_new(host.pointer, brokers) else {
            throw KafkaError(code: .creation, message: "rd_kafka_mock_cluster_new failed")
        }
        return EmbeddedKafkaBroker(host: host, cluster: cluster)
    }

    /// Creates a topic.
    /// - Parameters:
    ///   - name: The topic.
    ///   - partitions: Its partitions.
    public func createTopic(_ name: String, partitions: Int32) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster.pointer, name, partitions, 1)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(result, "creating topic \(name)") }
    }

    /// Takes a broker down (its connections drop) or brings it back: fault injection for tests.
    /// - Parameters:
    ///   - id: The broker id (1-based).
    ///   - up: Whether it should be up.
    public func setBroker(_ id: Int32, up: Bool) throws(KafkaError) {
        let result =
            up ? rd_kafka_mock_broker_set_up(cluster.pointer, id) : rd_kafka_mock_broker_set_down(cluster.pointer, id)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(result, "setting broker \(id)") }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
    }
}
