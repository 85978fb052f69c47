import Crdkafka
import Logging
import ShadowLogging
import Synchronization

/// Owns one `rd_kafka_t` and destroys it in `deinit`; made by ``make(_:configuration:)``.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe for the calls this package makes
/// (produce, poll, consume, commit, metadata); the pointer itself never changes.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The logger librdkafka's log and error callbacks write to, retained while the handle lives.
    private let logSink: Unmanaged<KafkaLogSink>?

    private init(pointer: OpaquePointer, logSink: Unmanaged<KafkaLogSink>?) {
        self.pointer = pointer
        self.logSink = logSink
    }

    /// Properties every client starts from; a caller's `configuration` may override them.
    static let defaults: [(String, String)] = [
        // A broker back from an outage is reconnected to within a second, not after librdkafka's
        // backoff has grown to 10 s, which would outlast a consumer's 6 s session
        // (docs/serve-tuning.md).
        ("reconnect.backoff.max.ms", "1000")
    ]

    /// Creates a client of `type` with ``defaults`` and `configuration` (librdkafka property names).
    /// - Parameters:
    ///   - type: Producer or consumer.
    ///   - configuration: Properties, applied in order after ``defaults``.
    ///   - logger: Where librdkafka's log lines and error reports go; nil leaves them to librdkafka
    ///     (standard error).
    ///   - prepare: A last chance to set callbacks on the raw configuration.
    static func make(
        _ type: rd_kafka_type_t, logger: Logger? = nil, configuration: [(String, String)],
        prepare: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> KafkaHandle {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .creation, message: "rd_kafka_conf_new failed")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in defaults + configuration {
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
        // Always installed, so that the client knows when librdkafka reports every broker down;
        // without a logger, librdkafka's lines are not printed.
        let sink: Unmanaged<KafkaLogSink>? = Unmanaged.passRetained(KafkaLogSink(logger: logger))
        if let sink {
            rd_kafka_conf_set_opaque(conf, sink.toOpaque())
            rd_kafka_conf_set_log_cb(conf, logCallback)
            rd_kafka_conf_set_error_cb(conf, errorCallback)
        }
        // rd_kafka_new takes ownership of conf on success only.
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            sink?.release()
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: .creation,
                message: String(decoding: errorText.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))
        }
        return KafkaHandle(pointer: handle, logSink: sink)
    }

    /// Stops passing librdkafka's lines on: the client was closed, and what it says about its
    /// connections going away from then on is not news to anyone.
    func closeLog() {
        logSink?.takeUnretainedValue().closed.withLock { $0 = true }
    }

    /// Whether librdkafka reported all brokers down since the last ``clearBrokersDown()``.
    var brokersReportedDown: Bool {
        logSink?.takeUnretainedValue().allBrokersDown.withLock { $0 } ?? false
    }

    /// Forgets a report of all brokers down (the caller saw one answer).
    func clearBrokersDown() {
        logSink?.takeUnretainedValue().allBrokersDown.withLock { $0 = false }
    }

    deinit {
        rd_kafka_destroy(pointer)
        // After destroy: no callback can run any more.
        logSink?.release()
    }
}

/// The logger a handle's callbacks reach through librdkafka's opaque pointer.
final class KafkaLogSink: Sendable {
    let logger: Logger?
    /// Set once the client is closed; nothing is logged after.
    let closed = Mutex(false)
    /// Set when librdkafka reports every broker down (`_ALL_BROKERS_DOWN`); it reports no recovery.
    let allBrokersDown = Mutex(false)

    init(logger: Logger?) {
        var logger = logger
        logger?[metadataKey: LogKey.component] = "kafka"
        self.logger = logger
    }
}

/// librdkafka's log lines (syslog levels), on librdkafka's own threads.
private let logCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void =
    { handle, level, facility, text in
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
        let sink = Unmanaged<KafkaLogSink>.fromOpaque(opaque).takeUnretainedValue()
        guard let logger = sink.logger, !sink.closed.withLock({ $0 }) else { return }
        let swiftLevel: Logger.Level =
            switch level {
            case ...2: .critical
            case 3: .error
            case 4: .warning
            case 5: .notice
            case 6: .info
            default: .debug
            }
        logger.log(
            level: swiftLevel, "\(text.map { String(cString: $0) } ?? "")",
            metadata: [
                LogKey.kafkaFacility: "\(facility.map { String(cString: $0) } ?? "")",
                LogKey.kafkaClient: "\(String(cString: rd_kafka_name(handle)))",
            ])
    }

/// librdkafka's error reports: a broker down, all brokers down, a fatal error. Transient ones are
/// librdkafka's to retry, so they are warnings; a fatal one is an error.
private let errorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, code, reason, opaque in
        guard let opaque else { return }
        let sink = Unmanaged<KafkaLogSink>.fromOpaque(opaque).takeUnretainedValue()
        if code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue { sink.allBrokersDown.withLock { $0 = true } }
        guard let logger = sink.logger, !sink.closed.withLock({ $0 }) else { return }
        let error = KafkaError(
            code: .rdkafka, rdkafkaCode: code, message: reason.map { String(cString: $0) } ?? "unknown error")
        logger.log(
            level: error.isFatal ? .error : .warning, "\(error.message)",
            metadata: [
                LogKey.kafkaCode: "\(error.rdkafkaName ?? String(code))",
                LogKey.kafkaClient: "\(handle.map { String(cString: rd_kafka_name($0)) } ?? "")",
            ])
    }
