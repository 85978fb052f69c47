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
        /// The last plan command applied to it.
        public var requestID: String?

        enum CodingKeys: String, CodingKey {
            case country, steps, target, status, step, actor, note
            case requestID = "request_id"
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

    /// A command for a new plan on `country`, checked against this store (which, where instances
    /// share their flags, has every plan): apply it with ``apply(_:)`` or publish it on the flags topic.
    /// - Throws: ``ShadowStoreError`` `.invalidReason` naming what is wrong with the steps, or when
    ///   a plan runs already.
    public func planRequest(
        country: String, target: CutoverFlag, steps: [Double], hold: Duration, actor: String, now: Date = Date()
    ) throws -> PlanRequest {
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
        let request = PlanRequest(country: country, action: .create, plan: plan, actor: actor, changedMs: nowMs)
        try read { db in try Self.check(request, db) }
        return request
    }

    /// A command that pauses, resumes or cancels `country`'s plan, checked against this store.
    /// - Throws: ``ShadowStoreError`` when there is no plan, or it has ended.
    public func planRequest(country: String, action: PlanRequest.Action, actor: String, now: Date = Date()) throws
        -> PlanRequest
    {
        let request = PlanRequest(
            country: country, action: action, plan: nil, actor: actor, changedMs: milliseconds(now))
        try read { db in try Self.check(request, db) }
        return request
    }

    /// Applies a plan command to this store.
    /// - Returns: The plan as it is now.
    /// - Throws: ``ShadowStoreError`` when the command no longer fits (a plan started or ended since).
    @discardableResult
    public func apply(_ request: PlanRequest) throws -> RampPlan {
        try writeTransaction { db in try Self.apply(request, db) }
    }

    /// Starts a plan for `country` on this store (replacing one that is not running).
    /// - Throws: ``ShadowStoreError`` `.invalidReason` naming what is wrong with the steps, or when
    ///   a plan runs already.
    @discardableResult
    public func createPlan(
        country: String, target: CutoverFlag, steps: [Double], hold: Duration, actor: String, now: Date = Date()
    ) throws -> RampPlan {
        try apply(try planRequest(country: country, target: target, steps: steps, hold: hold, actor: actor, now: now))
    }

    /// Pauses, resumes or cancels `country`'s plan on this store.
    /// - Throws: ``ShadowStoreError`` when there is no plan, or it has ended.
    @discardableResult
    public func setPlanStatus(country: String, to status: RampPlan.Status, now: Date = Date()) throws -> RampPlan {
        let action: PlanRequest.Action =
            switch status {
            case .paused: .pause
            case .cancelled: .cancel
            default: .resume
            }
        return try apply(
            PlanRequest(country: country, action: action, plan: nil, actor: "", changedMs: milliseconds(now)))
    }

    /// Every plan, by country.
    public func plans() throws -> [RampPlan] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT country FROM ramp_plan ORDER BY country").compactMap {
                try Self.plan(db, country: $0)
            }
        }
    }

    /// `country`'s plan, if it has one.
    public func plan(country: String) throws -> RampPlan? {
        try read { db in try Self.plan(db, country: country) }
    }

    /// The plan a command made or changed in this store, or nil (not applied yet, or superseded).
    public func plan(requestID: String) throws -> RampPlan? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT country FROM ramp_plan WHERE request_id = ?", arguments: [requestID])
                .flatMap { try Self.plan(db, country: $0) }
        }
    }

    /// Moves every running plan one step where it may: the hold on its step has passed and the gate
    /// passes on the step's own evidence. A plan whose country is no longer where it put it (a
    /// revert, a manual change) is interrupted; one the gate does not pass yet waits, its note says
    /// why. Each step is an audit row by `invoice-shadow`.
    /// - Returns: The changes made.
    public func advancePlans(policy: CutoverPolicy = CutoverPolicy(), now: Date = Date()) throws -> [FlagChange] {
        try runningPlanCountries().compactMap { country in
            try writeTransaction { db -> FlagChange? in
                try Self.nextStep(db, country: country, policy: policy, now: now, instance: nil).map {
                    try Self.recordChange(db, $0)
                }
            }
        }
    }

    /// The steps ``advancePlans(policy:now:)`` would make, not made (the plans' notes are written):
    /// for instances that share their flags, which propose each step on the flags topic. Every
    /// instance may propose the same step; it is conditional, so it applies once.
    public func proposePlanSteps(policy: CutoverPolicy = CutoverPolicy(), now: Date = Date(), instance: String?)
        throws -> [FlagRequest]
    {
        try runningPlanCountries().compactMap { country in
            try writeTransaction { db in
                try Self.nextStep(db, country: country, policy: policy, now: now, instance: instance)
            }
        }
    }

    private func runningPlanCountries() throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT country FROM ramp_plan WHERE status = 'running' ORDER BY country")
        }
    }

    /// The change that moves `country`'s running plan one step, when it may move; otherwise the plan
    /// is saved with what it waits for, or as interrupted or finished.
    private static func nextStep(
        _ db: Database, country: String, policy: CutoverPolicy, now: Date, instance: String?
    ) throws -> FlagRequest? {
        guard var plan = try plan(db, country: country), plan.status == .running else { return nil }
        let nowMs = milliseconds(now)
        plan.updatedMs = nowMs
        let current = try currentSetting(db, country: country)
        if let applied = plan.applied, applied != current {
            plan.status = .interrupted
            plan.note =
                "\(country) is \(current.description), not the plan's \(applied.description): reverted or changed by hand"
            try save(plan, db)
            return nil
        }
        guard let next = plan.next else {
            plan.status = .finished
            plan.note = ""
            try save(plan, db)
            return nil
        }
        // The current step's evidence starts when the country went live at its percentage.
        let changedMs = try Int64.fetchOne(
            db, sql: "SELECT changed_ms FROM flag WHERE country = ?", arguments: [country])
        if plan.step > 0, nowMs - (changedMs ?? 0) < plan.holdMs {
            plan.note = "holding \(current.description) until \(isoTime((changedMs ?? 0) + plan.holdMs))"
            try save(plan, db)
            return nil
        }
        let evidence = try evidence(
            db, country: country, policy: policy, now: now, stepStart: current.state == .live ? changedMs ?? 0 : nil)
        let decision = policy.decide(from: current, to: next, evidence: evidence)
        guard decision.allowed else {
            plan.note = "waiting for \(next.description): " + decision.reasons.joined(separator: "; ")
            try save(plan, db)
            return nil
        }
        plan.note = ""
        try save(plan, db)
        var request = FlagRequest(
            country: country, from: current.state, to: next.state, actor: automaticActor,
            reason:
                "ramp plan by \(plan.actor), step \(plan.step + 1) of \(plan.steps.count + (plan.target == .swift ? 1 : 0)): \(next.description)",
            forced: false, evidence: evidence, changedMs: nowMs, instance: instance)
        request.fromPercentage = current.percentage
        request.toPercentage = next.percentage
        return request
    }

    /// Counts a flag change that puts a country where its plan goes next as the plan's step, whoever
    /// made it: the plan's own step (applied here or read from the flags topic) or a hand.
    static func notePlanStep(_ db: Database, _ request: FlagRequest) throws {
        guard var plan = try plan(db, country: request.country), [.running, .paused].contains(plan.status),
            plan.next == request.toSetting
        else { return }
        plan.step += 1
        plan.updatedMs = request.changedMs
        plan.note = ""
        if plan.next == nil { plan.status = .finished }
        try save(plan, db)
    }

    /// Whether `request` fits the plans as this store has them.
    private static func check(_ request: PlanRequest, _ db: Database) throws {
        let existing = try plan(db, country: request.country)
        switch request.action {
        case .create:
            guard request.plan != nil else {
                throw ShadowStoreError(.invalidReason, "a plan command to create carries the plan")
            }
            if let existing, existing.status == .running {
                throw ShadowStoreError(
                    .invalidReason, "\(request.country) has a running plan; pause or cancel it first")
            }
        case .pause, .resume, .cancel:
            guard let existing else { throw ShadowStoreError(.unknownCountry, "\(request.country) has no plan") }
            guard [.running, .paused].contains(existing.status) else {
                throw ShadowStoreError(.invalidReason, "\(request.country)'s plan is \(existing.status.rawValue)")
            }
        }
    }

    static func apply(_ request: PlanRequest, _ db: Database) throws -> RampPlan {
        try check(request, db)
        var plan: RampPlan
        switch request.action {
        case .create:
            plan = request.plan!
        case .pause, .resume, .cancel:
            plan = try Self.plan(db, country: request.country)!
            plan.status = request.action == .pause ? .paused : request.action == .cancel ? .cancelled : .running
            plan.note = request.action == .pause ? "paused" : request.action == .cancel ? "cancelled" : ""
            plan.updatedMs = request.changedMs
        }
        plan.requestID = request.requestID
        try save(plan, db)
        return plan
    }

    private static func plan(_ db: Database, country: String) throws -> RampPlan? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM ramp_plan WHERE country = ?", arguments: [country])
        else { return nil }
        guard let target = CutoverFlag(rawValue: row["target"]), let status = RampPlan.Status(rawValue: row["status"])
        else { throw ShadowStoreError(.unreadableRow, "ramp_plan row for \(country) names an unknown state") }
        return RampPlan(
            country: row["country"], steps: try storedJSON([Double].self, row["steps"], column: "ramp_plan.steps"),
            target: target, holdMs: row["hold_ms"], status: status, step: row["step"], actor: row["actor"],
            createdMs: row["created_ms"], updatedMs: row["updated_ms"], note: row["note"], requestID: row["request_id"])
    }

    private static func save(_ plan: RampPlan, _ db: Database) throws {
        let steps = String(decoding: try JSONEncoder().encode(plan.steps), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO ramp_plan (country, steps, target, hold_ms, status, step, actor, created_ms,
                    updated_ms, note, request_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                plan.country, steps, plan.target.rawValue, plan.holdMs, plan.status.rawValue, plan.step, plan.actor,
                plan.createdMs, plan.updatedMs, plan.note, plan.requestID,
            ])
    }

    private static func isoTime(_ milliseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
