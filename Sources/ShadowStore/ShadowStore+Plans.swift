import Foundation
import GRDB
import ShadowCore

extension ShadowStore {
    /// A ramp plan: a country moved through live percentages to its target, a step at a time, each
    /// only when the gate passes on that step's own evidence and the hold has passed.
    public struct RampPlan: Sendable, Equatable, Codable {
        /// What a plan is doing.
        public enum Status: String, Sendable, Codable, CaseIterable {
            /// Advancing when it may.
            case running
            /// Held by someone; resumes where it was.
            case paused
            /// At its target.
            case finished
            /// Stopped by someone.
            case cancelled
            /// Stopped because the country left the plan's path (a revert, a manual change).
            case interrupted
        }

        /// The country.
        public var country: String
        /// The live percentages, in order.
        public var steps: [Double]
        /// `live` (the plan ends at its last percentage) or `swift` (then Swift only).
        public var target: CutoverFlag
        /// The least time on each step, milliseconds.
        public var holdMs: Int64
        /// What it is doing.
        public var status: Status
        /// Steps applied so far (the move to `swift` counts as one more).
        public var step: Int
        /// Who made it.
        public var actor: String
        /// When it was made, Unix milliseconds.
        public var createdMs: Int64
        /// When it last advanced or waited, Unix milliseconds.
        public var updatedMs: Int64
        /// What it waits for, or why it stopped.
        public var note: String

        enum CodingKeys: String, CodingKey {
            case country, steps, target, status, step, actor, note
            case holdMs = "hold_ms"
            case createdMs = "created_ms"
            case updatedMs = "updated_ms"
        }

        /// The setting the plan put the country in last (nil before its first step).
        public var applied: FlagSetting? {
            guard step > 0 else { return nil }
            return step > steps.count ? FlagSetting(.swift) : FlagSetting(.live, percentage: steps[step - 1])
        }

        /// The setting of its next step (nil when there is none).
        public var next: FlagSetting? {
            if step < steps.count { return FlagSetting(.live, percentage: steps[step]) }
            return target == .swift && step == steps.count ? FlagSetting(.swift) : nil
        }
    }

    /// Starts a plan for `country` (replacing one that is not running).
    /// - Throws: ``ShadowStoreError`` `.invalidReason` naming what is wrong with the steps, or when
    ///   a plan runs already.
    @discardableResult
    public func createPlan(
        country: String, target: CutoverFlag, steps: [Double], hold: Duration, actor: String, now: Date = Date()
    ) throws -> RampPlan {
        guard ContractCountry.codes.contains(country) else {
            throw ShadowStoreError(.unknownCountry, "unknown country \(country)")
        }
        guard target == .live || target == .swift else {
            throw ShadowStoreError(.invalidReason, "a plan goes to live or to swift")
        }
        guard !steps.isEmpty, steps.allSatisfy({ $0 > 0 && $0 <= 100 }), zip(steps, steps.dropFirst()).allSatisfy(<)
        else {
            throw ShadowStoreError(
                .invalidReason, "steps are percentages above 0 and at most 100, each larger than the one before")
        }
        let nowMs = milliseconds(now)
        let plan = RampPlan(
            country: country, steps: steps, target: target,
            holdMs: hold.components.seconds * 1000 + hold.components.attoseconds / 1_000_000_000_000_000,
            status: .running, step: 0, actor: actor, createdMs: nowMs, updatedMs: nowMs, note: "")
        return try writeTransaction { db in
            if let existing = try Self.plan(db, country: country), existing.status == .running {
                throw ShadowStoreError(
                    .invalidReason, "\(country) has a running plan; pause or cancel it first")
            }
            try Self.save(plan, db)
            return plan
        }
    }

    /// Pauses, resumes or cancels `country`'s plan.
    /// - Throws: ``ShadowStoreError`` when there is no plan, or it has ended.
    @discardableResult
    public func setPlanStatus(country: String, to status: RampPlan.Status, now: Date = Date()) throws -> RampPlan {
        try writeTransaction { db in
            guard var plan = try Self.plan(db, country: country) else {
                throw ShadowStoreError(.unknownCountry, "\(country) has no plan")
            }
            guard [.running, .paused].contains(plan.status) else {
                throw ShadowStoreError(.invalidReason, "\(country)'s plan is \(plan.status.rawValue)")
            }
            plan.status = status
            plan.updatedMs = milliseconds(now)
            plan.note = status == .paused ? "paused" : status == .cancelled ? "cancelled" : ""
            try Self.save(plan, db)
            return plan
        }
    }

    /// Every plan, by country.
    public func plans() throws -> [RampPlan] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT country FROM ramp_plan ORDER BY country").compactMap {
                try Self.plan(db, country: $0)
            }
        }
    }

    /// Moves every running plan one step where it may: the hold on its step has passed and the gate
    /// passes on the step's own evidence. A plan whose country is no longer where it put it (a
    /// revert, a manual change) is interrupted; one the gate does not pass yet waits, its note says
    /// why. Each step is an audit row by `invoice-shadow`.
    /// - Returns: The changes made.
    public func advancePlans(policy: CutoverPolicy = CutoverPolicy(), now: Date = Date()) throws -> [FlagChange] {
        let countries = try read { db in
            try String.fetchAll(db, sql: "SELECT country FROM ramp_plan WHERE status = 'running'")
        }
        var changes: [FlagChange] = []
        for country in countries {
            let change = try writeTransaction { db -> FlagChange? in
                guard var plan = try Self.plan(db, country: country), plan.status == .running else { return nil }
                let nowMs = milliseconds(now)
                plan.updatedMs = nowMs
                let current = try Self.currentSetting(db, country: country)
                if let applied = plan.applied, applied != current {
                    plan.status = .interrupted
                    plan.note =
                        "\(country) is \(current.description), not the plan's \(applied.description): reverted or changed by hand"
                    try Self.save(plan, db)
                    return nil
                }
                guard let next = plan.next else {
                    plan.status = .finished
                    plan.note = ""
                    try Self.save(plan, db)
                    return nil
                }
                if plan.step > 0 {
                    let since =
                        try Int64.fetchOne(
                            db, sql: "SELECT changed_ms FROM flag WHERE country = ?", arguments: [country])
                        ?? 0
                    if nowMs - since < plan.holdMs {
                        plan.note = "holding \(current.description) until \(Self.isoTime(since + plan.holdMs))"
                        try Self.save(plan, db)
                        return nil
                    }
                }
                let stepStart: Int64? =
                    current.state == .live
                    ? try Int64.fetchOne(db, sql: "SELECT changed_ms FROM flag WHERE country = ?", arguments: [country])
                    : nil
                let evidence = try Self.evidence(db, country: country, policy: policy, now: now, stepStart: stepStart)
                let decision = policy.decide(from: current, to: next, evidence: evidence)
                guard decision.allowed else {
                    plan.note = "waiting for \(next.description): " + decision.reasons.joined(separator: "; ")
                    try Self.save(plan, db)
                    return nil
                }
                var request = FlagRequest(
                    country: country, from: current.state, to: next.state, actor: Self.automaticActor,
                    reason:
                        "ramp plan by \(plan.actor), step \(plan.step + 1) of \(plan.steps.count + (plan.target == .swift ? 1 : 0)): \(next.description)",
                    forced: false, evidence: evidence, changedMs: nowMs, instance: nil)
                request.fromPercentage = current.percentage
                request.toPercentage = next.percentage
                let change = try Self.recordChange(db, request)
                plan.step += 1
                plan.note = ""
                if plan.next == nil { plan.status = .finished }
                try Self.save(plan, db)
                return change
            }
            if let change { changes.append(change) }
        }
        return changes
    }

    private static func plan(_ db: Database, country: String) throws -> RampPlan? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM ramp_plan WHERE country = ?", arguments: [country])
        else { return nil }
        guard let target = CutoverFlag(rawValue: row["target"]), let status = RampPlan.Status(rawValue: row["status"])
        else { throw ShadowStoreError(.unreadableRow, "ramp_plan row for \(country) names an unknown state") }
        return RampPlan(
            country: row["country"], steps: try storedJSON([Double].self, row["steps"], column: "ramp_plan.steps"),
            target: target, holdMs: row["hold_ms"], status: status, step: row["step"], actor: row["actor"],
            createdMs: row["created_ms"], updatedMs: row["updated_ms"], note: row["note"])
    }

    private static func save(_ plan: RampPlan, _ db: Database) throws {
        let steps = String(decoding: try JSONEncoder().encode(plan.steps), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO ramp_plan (country, steps, target, hold_ms, status, step, actor, created_ms,
                    updated_ms, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                plan.country, steps, plan.target.rawValue, plan.holdMs, plan.status.rawValue, plan.step, plan.actor,
                plan.createdMs, plan.updatedMs, plan.note,
            ])
    }

    private static func isoTime(_ milliseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
