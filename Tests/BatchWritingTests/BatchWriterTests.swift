import BatchWriting
import Foundation
import Synchronization
import Testing

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

    @Test func aLingeringWriterHoldsABatchUntilItFillsOrItsTimeIsUp() async throws {
        let log = Log()
        let batches = BatchWriter<Int>(name: "test-writer", maximumBatch: 8, linger: .seconds(60)) { items in
            log.batches.withLock { $0.append((items, true)) }
        }
        // One item is held (the writer lets the batch fill)...
        let first = Task { try await batches.submit(0) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(log.batches.withLock { $0.isEmpty })
        // ...until the batch is full: then all go in one write at once, 60 s of linger or not
        let started = ContinuousClock.now
        try await batches.submit(contentsOf: Array(1..<8))
        try await first.value
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(log.batches.withLock { $0.map { $0.items.sorted() } } == [Array(0..<8)])
        // And a short linger ends by itself
        let quick = BatchWriter<Int>(name: "test-writer", maximumBatch: 8, linger: .milliseconds(20)) { _ in }
        try await quick.submit(1)
        quick.close()
        batches.close()
    }

    @Test func aSubmissionsOwnLingerDecidesWhenItsBatchIsWritten() async throws {
        let log = Log()
        let batches = BatchWriter<Int>(name: "test-writer", maximumBatch: 8, linger: .seconds(60)) { items in
            log.batches.withLock { $0.append((items, true)) }
        }
        // Given an item that may wait the writer's 60 s...
        let patient = Task { try await batches.submit(0) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(log.batches.withLock { $0.isEmpty })
        // When one that may wait only 50 ms joins it, both go in one write once that one is due
        let started = ContinuousClock.now
        try await batches.submit(contentsOf: [1, 2], linger: .milliseconds(50))
        try await patient.value
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(50) && waited < .seconds(30))
        #expect(log.batches.withLock { $0.map { $0.items.sorted() } } == [[0, 1, 2]])
        // And a long linger given by the caller holds a batch the writer would write at once
        let eager = BatchWriter<Int>(name: "test-writer", maximumBatch: 8) { items in
            log.batches.withLock { $0.append((items, true)) }
        }
        let held = Task { try await eager.submit(contentsOf: [3], linger: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(log.batches.withLock { $0.count } == 1)
        try await eager.submit(contentsOf: Array(4..<12), linger: .seconds(60))  // full: written now
        try await held.value
        #expect(log.batches.withLock { $0.last?.items.sorted() } == Array(3..<12))
        eager.close()
        batches.close()
    }

    @Test func submissionsJoiningALingeringBatchDoNotWakeTheThreadEachAndLaterOnesWaitTheirOwnLinger() async throws {
        let log = Log()
        let writing = Mutex(false)
        // The first write holds until the late submission below has queued, so that it is made
        // during the write however slowly this task is scheduled.
        let release = DispatchSemaphore(value: 0)
        let batches = BatchWriter<Int>(name: "test-writer", maximumBatch: 20, linger: .seconds(60)) { items in
            let first = writing.withLock { writing in
                defer { writing = true }
                return !writing
            }
            if first { _ = release.wait(timeout: .now() + 60) }
            log.batches.withLock { $0.append((items, true)) }
        }
        // Given twenty submissions, one after the other, under a linger none of them outlives: the
        // twentieth fills the batch
        let late = try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { try await batches.submit(index) }
                try await Task.sleep(for: .milliseconds(2))
            }
            // and one more made while their batch is being written, which may wait 500 ms
            while !writing.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
            let submitted = ContinuousClock.now
            let late = Task {
                try await batches.submit(contentsOf: [20], linger: .milliseconds(500))
                return ContinuousClock.now - submitted
            }
            while batches.queuedItems == 0 { try await Task.sleep(for: .milliseconds(2)) }
            release.signal()
            try await group.waitForAll()
            return late
        }
        // Then the twenty went in one write, having woken the thread at most twice: for the first
        // (if it was asleep) and for the one that filled the batch, not once for each
        #expect(log.batches.withLock { $0.map { $0.items.sorted() } } == [Array(0..<20)])
        #expect(batches.wakeUps <= 2)
        // And the late one waited out its own linger rather than going right after that write,
        // without a wake-up of its own: the thread was writing when it came
        #expect(try await late.value >= .milliseconds(500))
        #expect(log.batches.withLock { $0.last?.items } == [20])
        #expect(batches.wakeUps <= 2)
        batches.close()
    }
}
