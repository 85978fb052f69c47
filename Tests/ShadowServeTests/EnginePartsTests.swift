import Testing

@testable import ShadowServe

@Suite struct ClaimTableTests {
    @Test func theFirstEventWithAnIdKeepsItAndARedeliveryShares() {
        var claims = ClaimTable()
        // Given an id claimed by an event with hash A
        #expect(claims.claim("e1", hash: "A") == .first)
        // Then another event with that id and other bytes is refused; a redelivery (same bytes) shares it
        #expect(claims.claim("e1", hash: "B") == .refused)
        #expect(claims.claim("e1", hash: "A") == .shared)
        // And the claim stays until its last holder releases it
        claims.release("e1")
        #expect(claims.claim("e1", hash: "B") == .refused)
        claims.release("e1")
        #expect(claims.count == 0)
        #expect(claims.claim("e1", hash: "B") == .first)
    }

    @Test func idsAreToldApartCodePointByCodePoint() {
        var claims = ClaimTable()
        // "é" precomposed and decomposed are equal Strings but different ids in the store
        #expect(claims.claim("caf\u{E9}", hash: "A") == .first)
        #expect(claims.claim("cafe\u{301}", hash: "B") == .first)
        #expect(claims.count == 2)
    }
}

@Suite struct CommitLedgerTests {
    let partition = CommitLedger.Partition(topic: "money.events", partition: 0)
    let other = CommitLedger.Partition(topic: "money.events", partition: 1)

    @Test func aCommitNeverSkipsAnOffsetThatIsNotDone() {
        var ledger = CommitLedger()
        // Given offsets 10...14 consumed from one partition
        for offset in Int64(10)...14 { _ = ledger.consumed(partition, offset: offset) }
        // When 11 and 12 finish before 10
        ledger.finished(partition, offset: 11)
        ledger.finished(partition, offset: 12)
        // Then nothing may be committed yet
        let early = ledger.takeCommits()
        #expect(early.isEmpty)
        #expect(ledger.nextUndone(partition) == 10)
        // When 10 finishes, everything through 12 may be, once
        ledger.finished(partition, offset: 10)
        let commits = ledger.takeCommits()
        #expect(commits == [.init(topic: "money.events", partition: 0, through: 12)])
        let again = ledger.takeCommits()
        #expect(again.isEmpty)
        #expect(ledger.nextUndone(partition) == 13)
        // And at the end of a run every committable offset is handed out again
        let atTheEnd = ledger.takeCommits(all: true)
        #expect(atTheEnd.count == 1)
    }

    @Test func partitionsAndTopicsAreKeptApart() {
        var ledger = CommitLedger()
        _ = ledger.consumed(partition, offset: 0)
        _ = ledger.consumed(other, offset: 100)
        let dlq = CommitLedger.Partition(topic: "other.topic", partition: 0)
        _ = ledger.consumed(dlq, offset: 5)
        ledger.finished(other, offset: 100)
        ledger.finished(dlq, offset: 5)
        let commits = ledger.takeCommits().sorted { $0.through < $1.through }
        #expect(commits.map(\.through) == [5, 100])
        #expect(commits.map(\.topic) == ["other.topic", "money.events"])
        #expect(ledger.nextUndone(partition) == 0)
    }
}

extension CommitLedgerTests {
    @Test func offsetsTheConsumerJumpedPastAreAGapThatCommitsStepOver() {
        var ledger = CommitLedger()
        // Given offsets 0...4 consumed and done
        for offset in Int64(0)...4 {
            let gap = ledger.consumed(partition, offset: offset)
            #expect(gap == nil)
            ledger.finished(partition, offset: offset)
        }
        // When the next one consumed is 10: the broker dropped 5...9 before they were read
        let gap = ledger.consumed(partition, offset: 10)
        // Then that is a gap of five
        #expect(gap == CommitLedger.Gap(partition: partition, first: 5, last: 9))
        #expect(gap?.count == 5)
        // And once 10 is done, the commit steps over the gap instead of waiting for it forever
        _ = ledger.takeCommits()
        ledger.finished(partition, offset: 10)
        let commits = ledger.takeCommits()
        #expect(commits == [.init(topic: "money.events", partition: 0, through: 10)])
        // And after a rebalance that redelivers from before the gap, the walk steps over it again
        let redelivered = ledger.consumed(partition, offset: 4)
        #expect(redelivered == nil)
        ledger.finished(partition, offset: 4)
        let stepped = ledger.consumed(partition, offset: 10)
        #expect(stepped == nil)
        ledger.finished(partition, offset: 10)
        #expect(ledger.nextUndone(partition) == 11)
    }
}
