import BatchWriting
import Foundation
import ShadowCore
import ShadowStore

/// The two primaries' pipelines. A legacy-primary event goes alone (its render waits for the one
/// Python thread, and no other event should wait for it); the port-primary events of a consumed
/// batch go together (one duplicate-id query, the renders one after the other, one object-store
/// write, one burst of sends, one row submission). Both end in the same steps: the primary's
/// timing observed, the shadow run off the primary path, the comparison recorded.
extension ServeEngine {
    /// One legacy-primary event (or any event, one at a time).
    func processLegacyPrimary(_ admitted: Admitted, writer: BatchWriter<Done>) async throws {
        let message = admitted.consumed.message
        let event = message.value
        let (facts, flag) = (admitted.facts, admitted.flag)
        guard try confirmClaims([admitted])[0] else {
            try await recordDuplicate(admitted, writer: writer)
            return
        }
        let renderAsked = ContinuousClock.now
        let primary = await renderers[flag.primary]!.render(event: event)
        let rendered = ContinuousClock.now
        let stages = try await publisher.publish(
            primary.outcome, event: event, facts: facts, implementation: flag.primary)
        var timing = PrimaryTiming(
            total: ContinuousClock.now - admitted.consumed.at, render: primary.latency,
            waitBehindOtherEvents: primary.waitBehindOtherEvents)
        timing.beforeRender = renderAsked - admitted.consumed.at
        timing.renderCall = rendered - renderAsked
        (timing.objectStore, timing.kafka) = stages
        observe(timing)

        // A shadow and its comparison are off the primary path: at low priority, so that the next
        // events' primary work is scheduled first on the cooperative pool. Without a shadow the
        // one-sided classification is cheap and stays inline (no task per event).
        let comparison =
            flag.shadow == nil
            ? await shadowAndCompare(event: event, facts: facts, flag: flag, primary: primary)
            : await Task(priority: .low) { [self] in
                await shadowAndCompare(event: event, facts: facts, flag: flag, primary: primary)
            }.value
        try await writer.submit(done(admitted, comparison: comparison))
    }

    /// The port-primary events of one consumed batch.
    func processPortPrimary(_ events: [Admitted], writer: BatchWriter<Done>) async throws {
        let held = try confirmClaims(events)
        var rendered:
            [(index: Int, primary: SideResult, asked: ContinuousClock.Instant, back: ContinuousClock.Instant)] =
                []
        rendered.reserveCapacity(events.count)
        // Events are read in place, field by field: a copy of an Admitted retains its references
        // (the message, the facts' strings, the hash) and releases them again.
        let swift = renderers[.swift]!
        for index in events.indices {
            guard held[index] else {
                try await recordDuplicate(events[index], writer: writer)
                continue
            }
            let asked = ContinuousClock.now
            let primary = await swift.render(event: events[index].consumed.message.value)
            rendered.append((index, primary, asked, ContinuousClock.now))
        }
        // Invoices: stored together, then sent together. Other outcomes are dead-lettered one by one.
        var invoices: [InvoicePublisher.Invoice] = []
        var invoiceIndices: [Int] = []
        // By event index: each event's stages, and when its own store and send began and ended
        // (the rest of its time in the batch is the batch's).
        var stages = [(objectStore: Duration, kafka: Duration)](repeating: (.zero, .zero), count: events.count)
        let batchStart = ContinuousClock.now
        var own = [(began: ContinuousClock.Instant, ended: ContinuousClock.Instant)](
            repeating: (batchStart, batchStart), count: events.count)
        for entry in rendered {
            if case .rendered(let invoice) = entry.primary.outcome {
                invoices.append(InvoicePublisher.invoice(invoice, facts: events[entry.index].facts))
                invoiceIndices.append(entry.index)
            } else {
                let began = ContinuousClock.now
                try await publisher.deadLetter(
                    entry.primary.outcome, event: events[entry.index].consumed.message.value, implementation: .swift)
                stages[entry.index] = (.zero, ContinuousClock.now - began)
                own[entry.index] = (began, ContinuousClock.now)
            }
        }
        if !invoices.isEmpty {
            let started = ContinuousClock.now
            let (stored, sent) = try await publisher.publish(invoices, implementation: .swift)
            for index in invoiceIndices {
                stages[index] = (stored - started, sent - stored)
                own[index] = (started, sent)
            }
        }
        let finished = ContinuousClock.now
        var dones: [Done] = []
        dones.reserveCapacity(rendered.count)
        var shadowed: [(index: Int, primary: SideResult)] = []
        for entry in rendered {
            let index = entry.index
            let consumedAt = events[index].consumed.at
            var timing = PrimaryTiming(
                total: finished - consumedAt, render: entry.primary.latency,
                waitBehindOtherEvents: entry.primary.waitBehindOtherEvents)
            timing.beforeRender = entry.asked - consumedAt
            timing.renderCall = entry.back - entry.asked
            (timing.objectStore, timing.kafka) = stages[index]
            timing.batchWait = max(.zero, own[index].began - entry.back) + (finished - own[index].ended)
            observe(timing)
            if events[index].flag.shadow == nil {
                let comparison = await shadowAndCompare(
                    event: events[index].consumed.message.value, facts: events[index].facts,
                    flag: events[index].flag, primary: entry.primary)
                dones.append(done(events[index], comparison: comparison))
            } else {
                shadowed.append((index, entry.primary))
            }
        }
        // Shadows at low priority, in a task group only when there are any (swift mode has none).
        if !shadowed.isEmpty {
            await withTaskGroup(of: (Int, Comparison).self) { group in
                for (index, primary) in shadowed {
                    let event = events[index]
                    group.addTask(priority: .low) { [self] in
                        (
                            index,
                            await shadowAndCompare(
                                event: event.consumed.message.value, facts: event.facts, flag: event.flag,
                                primary: primary)
                        )
                    }
                }
                for await (index, comparison) in group {
                    dones.append(done(events[index], comparison: comparison))
                }
            }
        }
        // The rows hold what is written; the invoices go now, not once the rows are (thousands of
        // events wait for theirs in the window).
        (rendered, invoices, shadowed) = ([], [], [])
        try await writer.submit(contentsOf: dones, linger: configuration.portRowLinger)
    }

    /// An event's primary path is done: its added latency goes to the metrics and the observer.
    private func observe(_ timing: PrimaryTiming) {
        metrics.added.record(timing.added)
        configuration.primaryTimingObserver?(timing)
    }

    /// `event`'s row; `claimed` when the event holds its id (its claim is released once written).
    private func done(_ event: Admitted, comparison: Comparison, claimed: Bool = true) -> Done {
        let message = event.consumed.message
        return Done(
            record: ShadowStore.Record(
                comparison: comparison, event: message.value, primary: event.flag.primary, recordedAt: Date(),
                eventHash: event.hash, instance: configuration.instance
            ).withoutUnwrittenBytes(),
            claimed: claimed ? event.facts.eventID : nil,
            partition: CommitLedger.Partition(topic: message.topic, partition: message.partition),
            offset: message.offset)
    }

    /// Per event, whether it keeps its id: it claimed it in flight and the store does not hold the
    /// id with other content (then the claim is released). The claim came first, so there is no
    /// gap in which two events with one id could both pass: a holder's row is written before its
    /// claim is released. Events whose id and bytes were in flight or recorded already are counted
    /// as redelivered.
    private func confirmClaims(_ events: [Admitted]) throws -> [Bool] {
        var held = events.map(\.claimed)
        let claimed = events.filter(\.claimed).map(\.facts.eventID)
        let recorded = try store.recordedEventHashes(
            eventIDs: zip(claimed, recordedIDs.mayContain(claimed)).compactMap { $1 ? $0 : nil })
        var released: [String] = []
        var redelivered = 0
        for (index, event) in events.enumerated() where held[index] {
            let hash = recorded[ExactText(event.facts.eventID)]
            if let hash, hash != event.hash {
                held[index] = false
                released.append(event.facts.eventID)
            } else if hash != nil || event.claim == .shared {
                redelivered += 1
            }
        }
        if !released.isEmpty || redelivered > 0 {
            state.withLock { state in
                released.forEach { state.claims.release($0) }
                state.counters.redelivered += redelivered
            }
        }
        if redelivered > 0 { metrics.redelivered.increment(by: Int64(redelivered)) }
        return held
    }

    /// Another event already holds this event's id: it keeps its row and its invoice; this one is
    /// dead-lettered and recorded under an id of its own. (A redelivery has the same bytes and is
    /// processed again, idempotently.)
    private func recordDuplicate(_ event: Admitted, writer: BatchWriter<Done>) async throws {
        let id = event.facts.eventID
        let reason = "duplicate event_id: \(id) is already taken by an event with different content"
        var duplicate = event.facts
        duplicate.eventID = id + "#" + event.hash
        let gate = SideResult(outcome: .invalidEvent(field: "event_id", reason: reason), latency: .zero)
        try await publisher.deadLetter(
            event.consumed.message.value, reason: "invalid event: event_id: \(reason)",
            headers: [("implementation", Array("invoice-shadow".utf8))])
        try await writer.submit(
            done(event, comparison: comparator.compare(facts: duplicate, legacy: gate, swift: gate), claimed: false))
    }

    /// Runs the shadow side (when the flag has one and there is room) and compares.
    private func shadowAndCompare(event: [UInt8], facts: EventFacts, flag: CutoverFlag, primary: SideResult) async
        -> Comparison
    {
        var shadow: SideResult?
        if let shadowSide = flag.shadow {
            let admitted = state.withLock { state -> Bool in
                guard state.shadowsInFlight < configuration.shadowCapacity else {
                    state.counters.skippedShadows += 1
                    metrics.skippedShadows.increment()
                    return false
                }
                state.shadowsInFlight += 1
                return true
            }
            if admitted {
                metrics.shadowsInFlight.increment()
                shadow = await renderers[shadowSide]!.render(event: event)
                state.withLock { $0.shadowsInFlight -= 1 }
                metrics.shadowsInFlight.decrement()
            }
        }
        let (legacy, swift): (SideResult?, SideResult?) =
            flag.primary == .legacy ? (primary, shadow) : (shadow, primary)
        if let legacy, let swift {
            return comparator.compare(facts: facts, legacy: legacy, swift: swift)
        } else {
            // Only one side ran (legacy or swift mode, or the shadow queue was full).
            return comparator.compare(facts: facts, legacy: legacy ?? primary, swift: nil)
        }
    }
}
