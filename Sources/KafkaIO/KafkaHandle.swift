import Crdkafka

/// Owns one `rd_kafka_t` and destroys it in `deinit`; made by ``make(_:configuration:)``.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe for the calls this package makes
/// (produce, poll, consume, commit, metadata); the pointer itself never changes.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Creates a client of `type` with `configuration` (librdkafka property names).
    /// - Parameters:
    ///   - type: Producer or consumer.
    ///   - configuration: Properties, applied in order.
    ///   - prepare: A last chance to set callbacks on the raw configuration.
    static func make(
        _ type: rd_kafka_type_t, configuration: [(String, String)],
        prepare: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> KafkaHandle {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .creation, message: "rd_kafka_conf_new failed")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in configuration {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    code: .configuration,
                    message:
                        "\(name)=\(value): \(String(decoding: errorText.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))"
                )
            }
        }
        prepare(conf)
        // rd_kafka_new takes ownership of conf on success only.
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: .creation,
                message: String(decoding: errorText.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))
        }
        return KafkaHandle(pointer: handle)
    }

    deinit {
        rd_kafka_destroy(pointer)
    }
}
