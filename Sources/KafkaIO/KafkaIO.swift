import Crdkafka

/// The version of librdkafka this build links, e.g. `2.0.2`.
public var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }
