import Foundation
import ShadowCore
import ShadowStore
import Testing

/// `count` matching comparisons for `country` recorded at `at`.
private func clean(_ store: ShadowStore, _ country: String, _ count: Int, at: Date, prefix: String) throws {
    let run = try store.startRun(source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: at)
    let records = (0..<count).map { index -> ShadowStore.Record in
        let facts = EventFacts(
            eventID: "\(prefix)-\(index)", country: country, businessLine: "eats", eventType: "order_delivered")
        let side = SideResult(
            outcome: .rendered(RenderedInvoice(invoiceJSON: "{}", html: "")), latency: .milliseconds(1))
        return ShadowStore.Record(
            comparison: OutcomeComparator().compare(facts: facts, legacy: side, swift: side), event: [],
            primary: .legacy, recordedAt: at)
    }
    try store.record(records, runID: run)
}

@Suite struct RampPlanTests {
    @Test func aPlanAdvancesOnEachStepsEvidenceAfterItsHoldAndFinishes() throws {
        let store = try ShadowStore.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_796_000_000)
        try store.createPlan(
            country: "DE", target: .swift, steps: [10, 50], hold: .seconds(3600), actor: "ana", now: t0)
        // Without evidence it waits, saying why
        #expect(try store.advancePlans(now: t0).isEmpty)
        #expect(try store.plans().first?.note.hasPrefix("waiting for live 10%: inconclusive") == true)
        // With 3,000 clean comparisons it takes its first step
        try clean(store, "DE", 3_000, at: t0, prefix: "a")
        let first = try store.advancePlans(now: t0.addingTimeInterval(1))
        #expect(first.map(\.toSetting.description) == ["live 10%"])
        #expect(first.first?.actor == ShadowStore.automaticActor)
        // The next step needs the hold and evidence of its own (the comparisons before it do not count)
        #expect(try store.advancePlans(now: t0.addingTimeInterval(1800)).isEmpty)
        #expect(try store.plans().first?.note.hasPrefix("holding live 10%") == true)
        #expect(try store.advancePlans(now: t0.addingTimeInterval(3700)).isEmpty)
        try clean(store, "DE", 3_000, at: t0.addingTimeInterval(3000), prefix: "b")
        let second = try store.advancePlans(now: t0.addingTimeInterval(3701))
        #expect(second.map(\.toSetting.description) == ["live 50%"])
        // Then swift, on that step's evidence, and the plan is finished
        try clean(store, "DE", 3_000, at: t0.addingTimeInterval(4000), prefix: "c")
        let last = try store.advancePlans(now: t0.addingTimeInterval(3701 + 3600))
        #expect(last.map(\.toSetting.description) == ["swift"])
        #expect(try store.plans().first?.status == .finished)
        #expect(try store.flagHistory(country: "DE").count == 3)
    }

    @Test func aPausedPlanWaitsAndARevertInterruptsIt() throws {
        let store = try ShadowStore.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_796_000_000)
        try clean(store, "FR", 3_000, at: t0, prefix: "a")
        try store.createPlan(country: "FR", target: .live, steps: [5, 100], hold: .seconds(60), actor: "ana", now: t0)
        try store.setPlanStatus(country: "FR", to: .paused)
        #expect(try store.advancePlans(now: t0).isEmpty)
        try store.setPlanStatus(country: "FR", to: .running)
        #expect(try store.advancePlans(now: t0).count == 1)
        // A revert (or a hand) takes the country off the plan's path: the plan stops
        try store.setFlag(country: "FR", to: .shadow, actor: ShadowStore.automaticActor, reason: "revert", now: t0)
        #expect(try store.advancePlans(now: t0.addingTimeInterval(120)).isEmpty)
        let plan = try #require(try store.plans().first)
        #expect(plan.status == .interrupted)
        #expect(plan.note.contains("FR is shadow, not the plan's live 5%"))
        // Steps that do not rise are refused
        #expect(throws: ShadowStoreError.self) {
            try store.createPlan(country: "SE", target: .live, steps: [50, 10], hold: .zero, actor: "ana")
        }
    }
}
