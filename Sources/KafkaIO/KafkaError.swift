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
        rdkafkaCode == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue
            || rdkafkaCode == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue && message.contains("too large")
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    static func rdkafka(_ error: rd_kafka_resp_err_t, _ context: String) -> KafkaError {
        KafkaError(
            code: .rdkafka, rdkafkaCode: error.rawValue,
            message: "\(context): \(String(cString: rd_kafka_err2str(error)))")
    }
}
