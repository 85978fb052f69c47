/// Every metadata key the harness logs with, in one place: dotted, lower case, by subject.
public enum LogKey {
    /// The error, as its description.
    public static let error = "error"
    /// The part of the harness that logs (`engine`, `kafka`, `store`, `objects`, `http`, `python`).
    public static let component = "component"
    /// A file or directory.
    public static let file = "file"
    /// A Kafka topic.
    public static let topic = "kafka.topic"
    /// A Kafka partition.
    public static let partition = "kafka.partition"
    /// A Kafka offset.
    public static let offset = "kafka.offset"
    /// librdkafka's name for its error code (`_TRANSPORT`).
    public static let kafkaCode = "kafka.code"
    /// librdkafka's log facility (`FAIL`, `REQTMOUT`).
    public static let kafkaFacility = "kafka.facility"
    /// The client librdkafka logged for (`rdkafka#consumer-1`).
    public static let kafkaClient = "kafka.client"
    /// An event's `event_id`.
    public static let eventID = "event.id"
    /// A contract country code.
    public static let country = "country"
    /// How many times a repeated failure happened since it was last logged.
    public static let repeated = "repeated"
    /// The seconds over which `repeated` counts.
    public static let repeatedSeconds = "repeated.seconds"
    /// An attempt number, in a retry.
    public static let attempt = "attempt"
    /// A delay before the next attempt, in seconds.
    public static let backoffSeconds = "backoff.seconds"
    /// How long a piece of work took, in seconds.
    public static let durationSeconds = "duration.seconds"
    /// The `serve --instance` a change or a comparison came from.
    public static let instance = "instance"
    /// A worker's number, under `serve --workers`.
    public static let worker = "worker"
}
