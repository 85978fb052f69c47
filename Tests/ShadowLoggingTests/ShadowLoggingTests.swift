import Foundation
import Logging
import ShadowLogging
import Testing

@Suite struct ShadowLogHandlerTests {
    @Test func jsonLinesAreOneObjectEachWithTimeLevelMessageAndMetadata() throws {
        // Given a JSON logger writing to memory
        let output = LogOutput.capture()
        var logger = Logger.shadow(label: "invoice-shadow", format: .json, level: .info, output: output)
        logger[metadataKey: LogKey.component] = "store"
        // When it logs a failure with a message that needs escaping, and a debug line below its level
        logger.error(
            "cannot write \"shadow.db\": database or disk is full\nretrying", metadata: [LogKey.file: "/tmp/shadow.db"])
        logger.debug("not written")
        // Then one line, one JSON object, with the fields a log shipper reads
        #expect(output.lines.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(output.lines[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "error")
        #expect(object["label"] as? String == "invoice-shadow")
        #expect(object["message"] as? String == "cannot write \"shadow.db\": database or disk is full\nretrying")
        let metadata = try #require(object["metadata"] as? [String: String])
        #expect(metadata == [LogKey.component: "store", LogKey.file: "/tmp/shadow.db"])
        let time = try #require(object["time"] as? String)
        #expect(time.count == 24 && time.hasSuffix("Z"))
        #expect(!output.lines[0].contains("\n"))
    }

    @Test func textLinesNameTheLevelAndEveryMetadataKey() {
        let output = LogOutput.capture()
        let logger = Logger.shadow(label: "invoice-shadow", format: .text, level: .debug, output: output)
        logger.warning("broker down", metadata: [LogKey.topic: "money.events", LogKey.partition: "2"])
        #expect(output.lines.count == 1)
        #expect(
            output.lines[0].hasSuffix(" warning invoice-shadow: broker down kafka.partition=2 kafka.topic=money.events")
        )
    }
}

@Suite struct RepeatedFailureLogTests {
    @Test func aRepeatedFailureIsLoggedOnceThenCountedNotDropped() {
        // Given failures logged at most once a minute
        let output = LogOutput.capture()
        let failures = RepeatedFailureLog(
            logger: Logger.shadow(label: "t", format: .text, level: .info, output: output), interval: .seconds(60))
        // When the same failure happens 100 times and another kind once
        for attempt in 1...100 {
            failures.failure("store.write", "disk full", metadata: [LogKey.attempt: "\(attempt)"])
        }
        failures.failure("kafka.commit", "commit failed")
        // Then each kind is logged once at first
        #expect(output.lines.count == 2)
        #expect(output.lines[0].contains("disk full attempt=1"))
        // And when the failure is over, the 99 counted ones are reported, with the last one's details
        failures.resolved("store.write")
        #expect(output.lines.count == 3)
        #expect(output.lines[2].contains("disk full attempt=100 repeated=99"))
        // And a flush reports nothing more for a kind with none counted
        failures.flush()
        #expect(output.lines.count == 3)
    }
}

@Suite struct StatusLinePaceTests {
    @Test func aLineIsDueOnEveryChangeAndOncePerHeartbeatWhileNothingMoves() {
        let pace = StatusLinePace<Int>(heartbeat: .seconds(60))
        let start = ContinuousClock.now
        func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }
        // The first value is due, and so is each change, however soon
        #expect(pace.due(1, now: at(0)))
        #expect(pace.due(2, now: at(2)))
        // An unchanged value is not, until a minute has passed since the last line
        #expect(!pace.due(2, now: at(4)))
        #expect(!pace.due(2, now: at(61)))
        #expect(pace.due(2, now: at(62)))
        #expect(!pace.due(2, now: at(64)))
        // And a change after a quiet spell is due at once
        #expect(pace.due(3, now: at(66)))
    }
}
