import Foundation
import Synchronization
import Testing

@testable import ShadowServe

@Suite struct BatchWriterTests {
    /// What the writer saw: each batch's items and whether it ran on the writer thread.
    private final class Log: Sendable {
        let batches = Mutex<[(items: [Int], onWriterThread: Bool)]>([])
    }

    private func writer(_ log: Log, inline: Bool, delay: Duration = .zero) -> BatchWriter<Int> {
        BatchWriter(name: "test-writer", maximumBatch: 8, writesInlineWhenIdle: inline) { items in
            if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18) }
            log.batches.withLock { $0.append((items, Thread.current.name == "test-writer")) }
        }
    }

    @Test func oneItemOnAnIdleWriterIsWrittenByTheCallerAndLoadGoesToTheThread() async throws {
        let log = Log()
        let batches = writer(log, inline: true, delay: .milliseconds(2))
        // Given an idle writer, one item is written inline, on the caller's thread
        try await batches.submit(1)
        #expect(log.batches.withLock { $0.map(\.onWriterThread) } == [false])
        // When 200 items arrive at once, one by one and in lots, every one is written once
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 { group.addTask { try await batches.submit(100 + index) } }
            for lot in 0..<10 {
                group.addTask { try await batches.submit(contentsOf: Array((1_000 + lot * 10)..<(1_010 + lot * 10))) }
            }
            try await group.waitForAll()
        }
        let written = log.batches.withLock { $0 }
        let items = written.flatMap(\.items)
        #expect(items.count == 201 && Set(items).count == 201)
        // Then most went through the thread, in batches, and lots were never split
        #expect(written.filter(\.onWriterThread).count >= 1)
        #expect(written.contains { $0.items.count > 1 })
        for lot in 0..<10 {
            let first = 1_000 + lot * 10
            #expect(written.contains { $0.items.contains(first) && $0.items.contains(first + 9) })
        }
        // And closing returns (an inline write in progress does not strand the thread)
        batches.close()
        await #expect(throws: CancellationError.self) { try await batches.submit(9) }
    }

    @Test func withoutInlineWritesEverythingGoesThroughTheThread() async throws {
        let log = Log()
        let batches = writer(log, inline: false)
        try await batches.submit(1)
        try await batches.submit(contentsOf: [2, 3])
        batches.close()
        #expect(log.batches.withLock { $0.map(\.onWriterThread) } == [true, true])
        #expect(log.batches.withLock { $0.flatMap(\.items) } == [1, 2, 3])
    }

    @Test func aFailedWriteReachesEveryCallerOfItsBatch() async throws {
        struct Refused: Error {}
        let batches = BatchWriter<Int>(name: "test-writer", maximumBatch: 8, writesInlineWhenIdle: true) { _ in
            throw Refused()
        }
        await #expect(throws: Refused.self) { try await batches.submit(1) }  // inline
        await #expect(throws: Refused.self) { try await batches.submit(contentsOf: [2, 3]) }  // the thread
        batches.close()
    }

    @Test func aLingeringWriterGathersItemsThatTrickleInAndNeverHoldsAFullBatch() async throws {
        let log = Log()
        let batches = BatchWriter<Int>(name: "test-writer", maximumBatch: 8, linger: .milliseconds(400)) { items in
            log.batches.withLock { $0.append((items, true)) }
        }
        // Five items, 2 ms apart, each from a task of its own: one transaction, not five
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<5 {
                group.addTask { try await batches.submit(index) }
                try await Task.sleep(for: .milliseconds(2))
            }
            try await group.waitForAll()
        }
        #expect(log.batches.withLock { $0.map { $0.items.sorted() } } == [[0, 1, 2, 3, 4]])
        // A full batch waiting is written at once, whatever the linger
        let slow = BatchWriter<Int>(name: "test-writer", maximumBatch: 8, linger: .seconds(60)) { _ in }
        let started = ContinuousClock.now
        try await slow.submit(contentsOf: Array(0..<8))
        #expect(ContinuousClock.now - started < .seconds(30))
        slow.close()
        batches.close()
    }
}
