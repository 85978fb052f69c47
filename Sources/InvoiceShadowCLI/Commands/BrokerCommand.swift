import ArgumentParser
import Foundation
import KafkaIO

/// `invoice-shadow broker`: the embedded Kafka broker as a process of its own.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run librdkafka's embedded Kafka cluster on its own and print its bootstrap address.",
        discussion: """
            Creates the topics (--topics; by default money.events, money.events.dlq, \
            invoices.rendered, and shadow.comparisons and shadow.flags for serve --instance) and \
            prints "bootstrap: HOST:PORT" on a line of its own, then serves until interrupted \
            (Ctrl-C or SIGTERM). Any Kafka client can use it, for example:
              invoice-shadow broker &
              kcat -b HOST:PORT -t money.events -P < events.jsonl

            Capacity: this is librdkafka's mock cluster. It keeps about 4.5 MB of messages per \
            partition and drops the oldest beyond that, without telling anyone (serve notices the \
            gap when it consumes past it, logs it and records it in lost_events). The default 32 \
            partitions hold 100,000 generated events of about 1 KB each when they are keyed, as \
            Money events are (by event id: kcat -K); keyless messages from a librdkafka producer \
            (kcat -P without -K) go to partitions in sticky batches and crowd a few of them \
            (21,178 of 100,000 dropped, measured). Feed more than that faster than serve consumes, \
            and give the topic more partitions.
            """)

    @Option(help: "Brokers in the cluster.")
    var brokers: Int32 = 1

    @Option(help: "Partitions of each topic (each keeps about 4.5 MB; see above).")
    var partitions: Int32 = EmbeddedKafkaBroker.defaultPartitions

    @Option(
        help: ArgumentHelp(
            "Topics to create, comma-separated.", valueName: "LIST"))
    var topics = "money.events,money.events.dlq,invoices.rendered,shadow.comparisons,shadow.flags"

    @Flag(
        help: """
            Exit when standard input reaches its end. A program that starts the broker as its child \
            keeps a pipe to it open; the kernel closes it however the program ends, even when killed, \
            so the broker never outlives it (bench does this).
            """)
    var exitAtEndOfInput = false

    func run() async throws {
        if exitAtEndOfInput {
            Thread.detachNewThread {
                var byte: UInt8 = 0
                while read(STDIN_FILENO, &byte, 1) > 0 {}
                FileHandle.standardError.write(Data("broker: standard input closed, stopping\n".utf8))
                Foundation.exit(0)
            }
        }
        let broker = try EmbeddedKafkaBroker.make(brokers: brokers)
        for topic in topics.split(separator: ",") {
            try broker.createTopic(String(topic), partitions: partitions)
        }
        // Written straight to the descriptor: scripts wait for this line while the broker keeps running.
        FileHandle.standardOutput.write(Data("bootstrap: \(broker.bootstrapServers)\n".utf8))
        await SignalWaiter.waitForTermination()
        FileHandle.standardError.write(Data("broker: stopping\n".utf8))
        withExtendedLifetime(broker) {}
    }
}

/// Waits for SIGINT or SIGTERM without blocking a cooperative thread.
enum SignalWaiter {
    static func waitForTermination() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)  // the source, not the default action, handles it
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in stream { break }
        for source in sources { source.cancel() }
    }
}
