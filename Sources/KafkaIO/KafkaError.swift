import Crdkafka

/// An error from librdkafka or from this wrapper.
public struct KafkaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let description: String
        /// A configuration property was refused.
        public static let configuration = Code(description: "configuration")
        /// A client handle or the embedded cluster could not be created.
        public static let creation = Code(description: "creation")
        /// librdkafka reported an error; ``KafkaError/rdkafkaCode`` holds its number.
        public static let rdkafka = Code(description: "rdkafka")
        /// The client is closed.
        public static let closed = Code(description: "closed")
    }

    /// The error's code.
    public var code: Code
    /// librdkafka's `rd_kafka_resp_err_t`, when it reported the error.
    public var rdkafkaCode: Int32?
    /// What happened, for people.
    public var message: String

    /// Whether librdkafka or the broker refused the message as too large.
    public var isMessageTooLarge: Bool {
        rdkafkaCode.map(Self.tooLarge.contains) ?? false
    }

    /// Whether trying again later may succeed: the broker or the network was unavailable, a queue
    /// was full, a request timed out, or the group was rebalancing (librdkafka's own classes of its
    /// `rd_kafka_resp_err_t` codes).
    public var isRetriable: Bool {
        rdkafkaCode.map(Self.retriable.contains) ?? false
    }

    /// Whether the client cannot go on (authentication, authorization, a fatal idempotence error, a
    /// destroyed handle, or this wrapper's client being closed): restart rather than retry.
    public var isFatal: Bool {
        code == .closed || code == .creation || code == .configuration
            || (rdkafkaCode.map(Self.fatal.contains) ?? false)
    }

    /// librdkafka's name of ``rdkafkaCode`` (`_MSG_TIMED_OUT`), for logs.
    public var rdkafkaName: String? {
        rdkafkaCode.map { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: $0))) }
    }

    private static let tooLarge: Set<Int32> = [
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue,
        RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE.rawValue,
    ]

    private static let retriable: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
            RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__RESOLVE,
            RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__PARTITION_EOF, RD_KAFKA_RESP_ERR__NO_OFFSET,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
            RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
        ].map(\.rawValue))

    private static let fatal: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__AUTHENTICATION,
            RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION,
            RD_KAFKA_RESP_ERR__INVALID_ARG,
        ].map(\.rawValue))

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    static func rdkafka(_ error: rd_kafka_resp_err_t, _ context: String) -> KafkaError {
        KafkaError(
            code: .rdkafka, rdkafkaCode: error.rawValue,
            message: "\(context): \(String(cString: rd_kafka_err2str(error)))")
    }
}
