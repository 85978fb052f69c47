import EventGenerator
import Foundation
import KafkaIO
import Logging
import ShadowCore
import ShadowLogging
import ShadowStore
import Synchronization

extension ServeCommand {
    /// The gate serve decides with: --gate-* as given; with --demo and the gate left at its defaults,
    /// a demo-only floor (200 comparisons, parity 99%), so that the demo's ramp plan moves within
    /// minutes at 50 events a second (five a second per country) instead of hours.
    var gateInEffect: GateOptions {
        guard demo, gate.isDefault else { return gate }
        var lowered = gate
        lowered.gateComparisons = 200
        lowered.gateParity = 99
        return lowered
    }

    /// --demo's story: a ramp plan for one country still in shadow (DE if it is), through live 10%
    /// and 50% to swift, with 30-second holds, each step on its own evidence. A store whose
    /// countries have all moved on gets none, and the log says so.
    func startDemoPlan(store: ShadowStore, sharing: Sharing?, logger: Logger) async {
        do {
            let settings = try store.flagSettings()
            let planned = Set(try store.plans().filter { [.running, .paused].contains($0.status) }.map(\.country))
            let candidates = ["DE"] + ContractCountry.codes.filter { $0 != "DE" }
            guard
                let country = candidates.first(where: {
                    settings[$0]?.state == .shadow && !planned.contains($0)
                })
            else {
                logger.notice(
                    "demo: no country is left in shadow without a plan, so no ramp plan is started (a new --db starts over)"
                )
                return
            }
            let request = try store.planRequest(
                country: country, target: .swift, steps: [10, 50], hold: .seconds(30), actor: "demo")
            let plan = try await sharing?.submitPlan(request) ?? store.apply(request)
            let policy = gateInEffect.policy
            logger.notice(
                "demo: ramp plan for \(country): live 10% → live 50% → swift, 30 s holds, each step when the gate passes on its own evidence (at least \(policy.minimumComparisons) comparisons, parity ≥ \(policy.minimumParity)% at \(Int(policy.confidence * 100))%); watch it on the dashboard",
                metadata: [LogKey.country: "\(plan.country)"])
        } catch {
            logger.error("demo: cannot start the ramp plan", metadata: [LogKey.error: "\(error)"])
        }
    }
}

/// serve --demo's events: `rate` generated events a second, a new seed each second, and never
/// more than ``maximumBacklog`` ahead of what serve consumed (a demo at a rate serve cannot keep
/// up with would otherwise fill the embedded broker until it drops events).
final class DemoFeeder: Sendable {
    /// The most events fed and not consumed yet.
    static let maximumBacklog = 2_000

    private let producer: KafkaProducer
    private let rate: Int
    private let consumed: @Sendable () -> Int
    private let seed = Mutex(UInt64(Date().timeIntervalSince1970))
    private let fed = Mutex(0)

    init(producer: KafkaProducer, rate: Int, consumed: @escaping @Sendable () -> Int) {
        self.producer = producer
        self.rate = rate
        self.consumed = consumed
    }

    /// One second's events, spread over the second; waits while serve is behind.
    func feedOneSecond() async throws {
        while fed.withLock({ $0 }) - consumed() > Self.maximumBacklog {
            try await Task.sleep(for: .milliseconds(100))
        }
        let seed = self.seed.withLock { seed in
            defer { seed += 1 }
            return seed
        }
        // Ten batches a second, each sent without waiting for the one before to be acknowledged
        // event by event: one acknowledgement per event would cap the rate at the broker's round trip.
        let events = EventGenerator().events(seed: seed, count: rate)
        let started = ContinuousClock.now
        for (index, slice) in events.chunked(into: max(1, rate / 10)).enumerated() {
            if Task.isCancelled { return }
            let messages = slice.map { OutgoingMessage(topic: "money.events", key: nil, value: Array($0.utf8)) }
            for report in await producer.sendAll(messages) { _ = try report.get() }
            fed.withLock { $0 += slice.count }
            try await Task.sleep(until: started + .milliseconds(100 * (index + 1)))
        }
    }
}

extension Array {
    fileprivate func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
