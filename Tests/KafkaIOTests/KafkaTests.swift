import Foundation
import KafkaIO
import TestSupport
import Testing

@Suite struct KafkaTests {
    @Test func producedMessagesAreConsumedByAGroupAndCommitted() async throws {
        // Given an embedded broker with a three-partition topic
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("money.events", partitions: 3)
        #expect(broker.bootstrapServers.contains("127.0.0.1:") || broker.bootstrapServers.contains("localhost:"))
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)

        // When 200 messages are sent, each waiting for its delivery report
        var reports: [DeliveryReport] = []
        for index in 0..<200 {
            reports.append(
                try await producer.send(
                    topic: "money.events", key: Array("key-\(index % 7)".utf8), value: Array("event \(index)".utf8),
                    headers: [("x-index", Array(String(index).utf8))]))
        }
        #expect(Set(reports.map(\.partition)).count > 1)

        // Then a consumer group reads all of them, keys and headers intact
        let consumer = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "shadow", topics: ["money.events"])
        let messages = await TestSupport.consume(consumer, count: 200, timeout: .seconds(30))
        #expect(messages.count == 200)
        #expect(Set(messages.map { String(decoding: $0.value, as: UTF8.self) }).count == 200)
        let first = try #require(messages.first { $0.value == Array("event 0".utf8) })
        #expect(first.key == Array("key-0".utf8))
        #expect(first.headers == [KafkaMessage.Header(name: "x-index", value: Array("0".utf8))])

        // And committing the last message of each partition stores offset + 1
        var last: [Int32: KafkaMessage] = [:]
        for message in messages where message.offset >= (last[message.partition]?.offset ?? -1) {
            last[message.partition] = message
        }
        for message in last.values { try consumer.commit(message) }
        for (partition, message) in last {
            #expect(try consumer.committedOffset(topic: "money.events", partition: partition) == message.offset + 1)
        }
        consumer.close()
    }

    @Test func sendAllReportsEveryMessageInOrderAndARefusedOneAlone() async throws {
        // Given an embedded broker
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("out", partitions: 3)
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        // When 300 messages go in one sendAll, one of them over the producer's 16 MiB limit
        var messages = (0..<300).map { index in
            OutgoingMessage(
                topic: "out", key: Array("k\(index)".utf8), value: Array("m\(index)".utf8),
                headers: [("x-index", Array(String(index).utf8))])
        }
        messages.insert(
            OutgoingMessage(topic: "out", key: nil, value: Array(repeating: 0x41, count: 17_000_000)), at: 150)
        let reports = await producer.sendAll(messages)
        // Then every message has its report, in order: the oversized one refused, the others stored
        #expect(reports.count == 301)
        #expect(throws: KafkaError.self) { try reports[150].get() }
        #expect((try? reports[150].get()) == nil)
        if case .failure(let refused) = reports[150] { #expect(refused.isMessageTooLarge) }
        let stored = reports.enumerated().filter { $0.offset != 150 }.compactMap { try? $0.element.get() }
        #expect(stored.count == 300)
        #expect(Set(stored.map { "\($0.partition):\($0.offset)" }).count == 300)
        // And a consumer reads the 300, keys and headers intact
        let consumer = try KafkaConsumer.make(bootstrapServers: broker.bootstrapServers, groupID: "g", topics: ["out"])
        let consumed = await TestSupport.consume(consumer, count: 300, timeout: .seconds(30))
        #expect(Set(consumed.map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<300).map { "m\($0)" }))
        let first = try #require(consumed.first { $0.value == Array("m7".utf8) })
        #expect(first.key == Array("k7".utf8) && first.headers.first?.value == Array("7".utf8))
        #expect(await producer.sendAll([]).isEmpty)
        consumer.close()
    }

    @Test func anEmptyMessageArrivesEmpty() async throws {
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("t", partitions: 1)
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        _ = try await producer.send(topic: "t", key: nil, value: [])
        let consumer = try KafkaConsumer.make(bootstrapServers: broker.bootstrapServers, groupID: "g", topics: ["t"])
        let messages = await TestSupport.consume(consumer, count: 1, timeout: .seconds(20))
        #expect(messages.count == 1)
        #expect(messages.first?.value == [])
        #expect(messages.first?.key == nil)
        consumer.close()
    }

    @Test func aSendAfterCloseFailsAtOnceInsteadOfWaitingForever() async throws {
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("t", partitions: 1)
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        _ = try await producer.send(topic: "t", key: nil, value: Array("before".utf8))
        producer.close()
        producer.close()  // a second close returns at once
        // Without the check, this send would wait for a report that no poll thread delivers.
        let started = ContinuousClock.now
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(topic: "t", key: nil, value: Array("after".utf8))
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        let consumer = try KafkaConsumer.make(bootstrapServers: broker.bootstrapServers, groupID: "g", topics: ["t"])
        let messages = await TestSupport.consume(consumer, count: 2, timeout: .seconds(5))
        #expect(messages.map(\.value) == [Array("before".utf8)])
        consumer.close()
    }

    @Test func aBrokerDownAndBackLosesNothing() async throws {
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("t", partitions: 1)
        let producer = try KafkaProducer.make(bootstrapServers: broker.bootstrapServers)
        _ = try await producer.send(topic: "t", key: nil, value: Array("before".utf8))

        // While the broker is down, sends wait; when it is back, they are delivered.
        try broker.setBroker(1, up: false)
        async let during = producer.send(topic: "t", key: nil, value: Array("during".utf8))
        try await Task.sleep(for: .milliseconds(1500))
        try broker.setBroker(1, up: true)
        let report = try await during
        #expect(report.offset == 1)

        let consumer = try KafkaConsumer.make(bootstrapServers: broker.bootstrapServers, groupID: "g", topics: ["t"])
        let messages = await TestSupport.consume(consumer, count: 2, timeout: .seconds(20))
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == ["before", "during"])
        consumer.close()
    }

    @Test func aBadPropertyIsNamed() {
        #expect(throws: KafkaError.self) {
            _ = try KafkaProducer.make(bootstrapServers: "127.0.0.1:1", configuration: [("no.such.property", "1")])
        }
        do {
            _ = try KafkaProducer.make(bootstrapServers: "127.0.0.1:1", configuration: [("no.such.property", "1")])
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("no.such.property"))
        }
    }
}

@Suite struct KcatTests {
    @Test func kcatProducesIntoTheEmbeddedBroker() async throws {
        // kcat is a different Kafka client: it proves the embedded broker speaks the real protocol.
        let broker = try EmbeddedKafkaBroker.make()
        try broker.createTopic("money.events", partitions: 1)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        process.arguments = ["-b", broker.bootstrapServers, "-t", "money.events", "-P", "-K", ":"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data("k1:{\"hello\":1}\nk2:{\"hello\":2}\n".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let consumer = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "g", topics: ["money.events"])
        let messages = await TestSupport.consume(consumer, count: 2, timeout: .seconds(20))
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == [#"{"hello":1}"#, #"{"hello":2}"#])
        #expect(messages.map { $0.key.map { String(decoding: $0, as: UTF8.self) } } == ["k1", "k2"])
        consumer.close()
    }
}
