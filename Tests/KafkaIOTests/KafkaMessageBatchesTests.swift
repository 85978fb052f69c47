import Foundation
import Logging
import ShadowLogging
import Synchronization
import Testing

@testable import KafkaIO

@Suite struct KafkaMessageBatchesTests {
    @Test func batchesDeliverEveryMessageOnceAndStopPollingWhileTheBufferIsFull() async throws {
        // Given 500 messages in a three-partition topic of the embedded broker
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("in", partitions: 3)
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        let sent = (0..<500).map { OutgoingMessage(topic: "in", key: nil, value: Array("m\($0)".utf8)) }
        for report in await producer.sendAll(sent) { _ = try report.get() }
        let consumer = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "batches", topics: ["in"])

        // When they are read in batches of at most 16, two buffered, by a reader that pauses
        let batches = KafkaMessageBatches(consumer: consumer, maximumBatch: 16, bufferedBatches: 2)
        var values: [[UInt8]] = []
        var paused = false
        for await batch in batches {
            #expect(batch.messages.count <= 16)
            values += batch.messages.map(\.value)
            if !paused, values.count >= 50 {
                // Then while the reader does not read, the poll thread stops at the buffer's bound:
                // the consumer keeps the rest (librdkafka's queue), none is polled and dropped.
                paused = true
                try await Task.sleep(for: .milliseconds(500))
                #expect(batches.bufferedCount == 2)
            }
            if values.count == sent.count { batches.finish() }
        }
        // Then every message came once, in its partition's order
        #expect(values.count == sent.count)
        #expect(Set(values) == Set(sent.map(\.value)))
        consumer.close()
    }

    @Test func anIdleTimeoutEndsTheSequence() async throws {
        // Given an empty topic
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("empty", partitions: 1)
        let consumer = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "idle", topics: ["empty"])
        // When it is read with an idle timeout of half a second
        let started = ContinuousClock.now
        var count = 0
        for await batch in KafkaMessageBatches(consumer: consumer, idleTimeout: .milliseconds(500)) {
            count += batch.messages.count
        }
        // Then the sequence ends by itself, empty, after the timeout
        #expect(count == 0)
        #expect(ContinuousClock.now - started >= .milliseconds(500))
        consumer.close()
    }

    @Test func errorsAreClassifiedByLibrdkafkasCodes() {
        // A timed-out delivery and a broker that is down are worth retrying; an authorization
        // failure is not; a message too large is told by its code, whatever the text says.
        let timedOut = KafkaError(code: .rdkafka, rdkafkaCode: -192, message: "delivery: Local: Message timed out")
        #expect(timedOut.isRetriable && !timedOut.isFatal && !timedOut.isMessageTooLarge)
        #expect(timedOut.rdkafkaName == "_MSG_TIMED_OUT")
        let tooLarge = KafkaError(code: .rdkafka, rdkafkaCode: 10, message: "too large")
        #expect(tooLarge.isMessageTooLarge && !tooLarge.isRetriable)
        let saysTooLarge = KafkaError(code: .rdkafka, rdkafkaCode: -192, message: "message too large")
        #expect(!saysTooLarge.isMessageTooLarge)
        let denied = KafkaError(code: .rdkafka, rdkafkaCode: 29, message: "topic authorization failed")
        #expect(denied.isFatal && !denied.isRetriable)
        #expect(KafkaError(code: .closed, message: "closed").isFatal)
    }
}

@Suite struct KafkaLoggingTests {
    @Test func librdkafkasLogAndErrorReportsReachTheLogger() async throws {
        // Given a producer whose only broker refuses connections, logging to memory
        let output = LogOutput.capture()
        let logger = Logger.shadow(label: "invoice-shadow", format: .json, level: .debug, output: output)
        let producer = try KafkaProducer.make(bootstrapServers: "127.0.0.1:1", logger: logger)
        // When it tries to reach it
        let deadline = ContinuousClock.now + .seconds(10)
        while output.lines.isEmpty, ContinuousClock.now < deadline {
            _ = try? producer.prepare(topics: ["t"], timeout: .milliseconds(200))
        }
        // Then librdkafka's complaint is a JSON log line of the kafka component, with its client
        let line = try #require(output.lines.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let metadata = try #require(object["metadata"] as? [String: String])
        #expect(metadata[LogKey.component] == "kafka")
        #expect(metadata[LogKey.kafkaClient]?.hasPrefix("rdkafka#producer") == true)
        #expect(["warning", "error"].contains(object["level"] as? String))
    }
}
