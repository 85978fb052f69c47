import Foundation
import ShadowCore
import ShadowStore
import Testing

/// A comparison of `kind` for `country`, as an instance would publish it.
private func comparisonRecord(_ id: String, country: String = "DE", kind: DiscrepancyKind, instance: String)
    -> ShadowStore.Record
{
    let facts = EventFacts(eventID: id, country: country, businessLine: "eats", eventType: "order_delivered")
    let legacy = #"{"a":1}"#
    let comparison = OutcomeComparator().compare(
        facts: facts,
        legacy: SideResult(
            outcome: .rendered(RenderedInvoice(invoiceJSON: legacy, html: "<p>1</p>")), latency: .milliseconds(4)),
        swift: SideResult(
            outcome: .rendered(RenderedInvoice(invoiceJSON: kind == .match ? legacy : #"{"a":2}"#, html: "<p>1</p>")),
            latency: .milliseconds(1)))
    return ShadowStore.Record(
        comparison: comparison, event: Array(#"{"event_id":"\#(id)"}"#.utf8), primary: .legacy,
        recordedAt: Date(timeIntervalSince1970: 1_764_763_200), instance: instance)
}

@Suite struct SharedTopicTests {
    @Test func aComparisonMessageCarriesWhatTheStoreKeeps() throws {
        // A mismatch keeps its event and both invoices; a match drops them
        let mismatch = comparisonRecord("m-1", kind: .mismatch, instance: "a")
        let decoded = try ComparisonMessage.decode(try ComparisonMessage.encode(mismatch))
        #expect(decoded.comparison == mismatch.comparison)
        #expect(decoded.event == mismatch.event)
        #expect(decoded.instance == "a")
        #expect(decoded.recordedAt == mismatch.recordedAt)
        let match = try ComparisonMessage.decode(
            try ComparisonMessage.encode(comparisonRecord("m-2", kind: .match, instance: "b")))
        #expect(match.event.isEmpty)
        #expect(match.comparison.kind == .match)
        #expect(match.eventHash == StableHash.fnv1aHex(Array(#"{"event_id":"m-2"}"#.utf8)))
        // Another version is refused by name
        let future = Array(
            String(decoding: try ComparisonMessage.encode(mismatch), as: UTF8.self)
                .replacingOccurrences(of: #""v":1"#, with: #""v":2"#).utf8)
        #expect(throws: ShadowStoreError.self) { try ComparisonMessage.decode(future) }
    }

    @Test func eachMessageIsAppliedOnceHoweverOftenItIsRead() throws {
        let store = try ShadowStore.inMemory()
        let run = try store.startRun(source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let messages = (0..<5).map { index in
            TopicMessage(
                partition: 0, offset: Int64(index),
                value: comparisonRecord("e-\(index)", kind: index == 2 ? .mismatch : .match, instance: "a"))
        }
        // Read once, then again from the start (a restart), then a message that did not decode
        let first = try store.materialize(topic: "shadow.comparisons", Array(messages.prefix(3)), runID: run)
        #expect(first.applied == 3)
        let again = try store.materialize(topic: "shadow.comparisons", messages, runID: run)
        #expect(again.applied == 2 && again.alreadyApplied == 3 && again.gaps.isEmpty)
        let unreadable = TopicMessage<ShadowStore.Record>(partition: 0, offset: 5, value: nil)
        #expect(try store.materialize(topic: "shadow.comparisons", [unreadable], runID: run).applied == 0)
        #expect(try store.comparisonCount() == 5)
        #expect(try store.topicOffsets(topic: "shadow.comparisons") == [0: 6])
        // Offsets the broker dropped before the store read them are a gap
        let late = TopicMessage(partition: 0, offset: 9, value: comparisonRecord("e-9", kind: .match, instance: "b"))
        let gapped = try store.materialize(topic: "shadow.comparisons", [late], runID: run)
        #expect(gapped.gaps.map { [Int64($0.partition), $0.first, $0.last] } == [[0, 6, 8]])
    }

    @Test func aRevertProposedByTwoInstancesHappensOnce() throws {
        // Given a live country whose comparisons since it went live regressed (5% mismatches)
        let store = try ShadowStore.inMemory()
        let run = try store.startRun(source: "serve", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        _ = try store.setFlag(
            country: "DE", to: .live, actor: "alice", reason: "test", force: true,
            now: Date(timeIntervalSince1970: 1_764_763_000))
        let records = (0..<200).map {
            comparisonRecord("r-\($0)", kind: $0 % 20 == 0 ? .mismatch : .match, instance: "a")
        }
        try store.record(records, runID: run)
        // When two instances both propose the revert on the flags topic
        let fromA = try #require(try store.proposeRevert(country: "DE", instance: "a"))
        let fromB = try #require(try store.proposeRevert(country: "DE", instance: "b"))
        #expect(fromA.from == .live && fromA.to == .shadow)
        let applied = try store.applyFlagRequests(
            topic: "shadow.flags",
            [TopicMessage(partition: 0, offset: 0, value: fromA), TopicMessage(partition: 0, offset: 1, value: fromB)])
        // Then the first applies and the second is superseded: one revert in the audit
        #expect(applied.map(\.instance) == ["a"])
        #expect(try store.flags()["DE"] == .shadow)
        #expect(try store.flagHistory(country: "DE").filter { $0.actor == ShadowStore.automaticActor }.count == 1)
        #expect(try store.flagChange(requestID: fromA.requestID) != nil)
        #expect(try store.flagChange(requestID: fromB.requestID) == nil)
        // And reading the topic again applies nothing twice
        #expect(
            try store.applyFlagRequests(topic: "shadow.flags", [TopicMessage(partition: 0, offset: 0, value: fromA)])
                .isEmpty)
    }

    @Test func theGateOfAProposalIsTheGateOfAChange() throws {
        let store = try ShadowStore.inMemory()
        #expect(throws: ShadowStoreError.self) {
            try store.proposeFlagChange(country: "DE", to: .live, actor: "alice", reason: "no evidence", instance: "a")
        }
        let forced = try store.proposeFlagChange(
            country: "DE", to: .live, actor: "alice", reason: "decided", force: true, instance: "a")
        #expect(forced.forced && forced.from == .shadow)
        // A proposal changes nothing until it is applied
        #expect(try store.flags()["DE"] == .shadow)
    }
}
