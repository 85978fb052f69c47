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

    @Test func plansTravelOnTheFlagsTopicAndEachStepAppliesOnce() throws {
        // Two instances' stores read the same flags topic
        let a = try ShadowStore.inMemory()
        let b = try ShadowStore.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_796_000_000)
        var topic: [FlagsTopicMessage] = []
        func deliver() throws {
            let messages = topic.enumerated().map { TopicMessage(partition: 0, offset: Int64($0), value: Optional($1)) }
            for store in [a, b] { _ = try store.applyFlagsTopic(topic: "shadow.flags", messages) }
        }
        // A plan made on one instance, and a second one made at the same moment on the other
        let plan = try a.planRequest(
            country: "DE", target: .swift, steps: [10, 50], hold: .seconds(0), actor: "ana", now: t0)
        let rival = try b.planRequest(
            country: "DE", target: .live, steps: [5], hold: .seconds(0), actor: "ben", now: t0)
        topic += [.plan(plan), .plan(rival)]
        try deliver()
        // Then both stores run the first, and the second is superseded everywhere
        for store in [a, b] {
            #expect(try store.plan(country: "DE")?.actor == "ana")
            #expect(try store.plan(requestID: plan.requestID) != nil)
            #expect(try store.plan(requestID: rival.requestID) == nil)
        }
        // When both instances propose the first step (on the same evidence)
        for store in [a, b] { try clean(store, "DE", 3_000, at: t0, prefix: "a") }
        let proposals = try [a, b].flatMap { try $0.proposePlanSteps(now: t0.addingTimeInterval(1), instance: "x") }
        #expect(proposals.map(\.toSetting.description) == ["live 10%", "live 10%"])
        // A proposal changes nothing until the topic brings it
        #expect(try a.flagSettings()["DE"] == FlagSetting(.shadow))
        topic += proposals.map { .flag($0) }
        try deliver()
        // Then it applies once, and each store's plan counts the step
        for store in [a, b] {
            #expect(try store.flagSettings()["DE"] == FlagSetting(.live, percentage: 10))
            #expect(try store.flagHistory(country: "DE").count == 1)
            #expect(try store.plan(country: "DE")?.step == 1)
        }
        // A pause travels too: no instance proposes a step while it holds
        topic.append(.plan(try b.planRequest(country: "DE", action: .pause, actor: "ben", now: t0)))
        try deliver()
        for store in [a, b] {
            try clean(store, "DE", 3_000, at: t0.addingTimeInterval(10), prefix: "b")
            #expect(try store.plan(country: "DE")?.status == .paused)
            #expect(try store.proposePlanSteps(now: t0.addingTimeInterval(20), instance: "x").isEmpty)
        }
        // A message of the old format (no type) is still a flag change
        let old =
            #"{"v":1,"request_id":"r","country":"FR","from":"legacy","to":"shadow","actor":"c","reason":"r","forced":false,"evidence":{"comparisons":0,"parity":0,"legacy_p99_ms":0,"swift_p99_ms":0,"window_hours":24},"changed_ms":1}"#
        guard case .flag(let request) = try JSONDecoder().decode(FlagsTopicMessage.self, from: Data(old.utf8)) else {
            Issue.record("an untyped message is a flag change")
            return
        }
        #expect(request.country == "FR")
    }
}
