import Foundation
import GRDB
import ShadowCore

extension ShadowStore {
    /// The longest reason a flag change may give, in characters.
    public static let maximumReasonLength = 500

    /// The flag a country has when nobody set one: Python serves, Swift shadows.
    public static let defaultFlag = CutoverFlag.shadow

    /// One audit row.
    public struct FlagChange: Sendable, Equatable, Codable {
        /// The audit row's number: changes in the order they were made.
        public var id: Int64
        /// The country whose flag changed.
        public var country: String
        /// The flag before the change.
        public var from: CutoverFlag
        /// The flag after it.
        public var to: CutoverFlag
        /// Who changed it: a token's owner, a user at the CLI, or `invoice-shadow` for an automatic revert.
        public var actor: String
        /// Why, as the person (or the revert) gave it.
        public var reason: String
        /// Whether the evidence gate was overridden.
        public var forced: Bool
        /// What the gate saw.
        public var evidence: CutoverEvidence
        /// When, Unix milliseconds.
        public var changedMs: Int64
        /// The instance that made it, when flags travel through the flags topic.
        public var instance: String?
        /// The ramp percentage before (100 but for `live`).
        public var fromPercentage: Double = 100
        /// The ramp percentage after.
        public var toPercentage: Double = 100

        enum CodingKeys: String, CodingKey {
            case id, country, from, to, actor, reason, forced, evidence, instance
            case changedMs = "changed_ms"
            case fromPercentage = "from_percentage"
            case toPercentage = "to_percentage"
        }

        /// The setting before.
        public var fromSetting: FlagSetting { FlagSetting(from, percentage: fromPercentage) }
        /// The setting after.
        public var toSetting: FlagSetting { FlagSetting(to, percentage: toPercentage) }
    }

    /// Every country's current flag.
    public func flags() throws -> [String: CutoverFlag] {
        try read { db in
            var result = Dictionary(uniqueKeysWithValues: ContractCountry.codes.map { ($0, Self.defaultFlag) })
            for row in try Row.fetchAll(db, sql: "SELECT country, state FROM flag") {
                if let flag = CutoverFlag(rawValue: row["state"]) { result[row["country"]] = flag }
            }
            return result
        }
    }

    /// Every country's flag with its ramp percentage.
    public func flagSettings() throws -> [String: FlagSetting] {
        try read { db in
            var result = Dictionary(
                uniqueKeysWithValues: ContractCountry.codes.map { ($0, FlagSetting(Self.defaultFlag)) })
            for row in try Row.fetchAll(db, sql: "SELECT country, state, percentage FROM flag") {
                if let flag = CutoverFlag(rawValue: row["state"]) {
                    result[row["country"]] = FlagSetting(flag, percentage: row["percentage"])
                }
            }
            return result
        }
    }

    /// The evidence for a country over the policy's window ending at `now`.
    public func evidence(country: String, policy: CutoverPolicy = CutoverPolicy(), now: Date = Date()) throws
        -> CutoverEvidence
    {
        try read { db in try Self.evidence(db, country: country, policy: policy, now: now) }
    }

    /// The evidence the gate reads for a country's next step now: the window's, or for a `live`
    /// country (a ramp step) only what was compared since that step began.
    public func gateEvidence(country: String, policy: CutoverPolicy = CutoverPolicy(), now: Date = Date()) throws
        -> CutoverEvidence
    {
        try read { db in
            try Self.evidence(
                db, country: country, policy: policy, now: now, stepStart: try Self.stepStart(db, country: country))
        }
    }

    /// When a `live` country's current step began (nil for any other state).
    private static func stepStart(_ db: Database, country: String) throws -> Int64? {
        try currentSetting(db, country: country).state == .live
            ? Int64.fetchOne(db, sql: "SELECT changed_ms FROM flag WHERE country = ?", arguments: [country]) : nil
    }

    /// The most recent render times a side keeps for the latency test, per side.
    static let latencySamples = 5_000

    /// - Parameter stepStart: Counts only comparisons from then on (a ramp step's own evidence).
    static func evidence(
        _ db: Database, country: String, policy: CutoverPolicy, now: Date, stepStart: Int64? = nil
    ) throws -> CutoverEvidence {
        let nowMs = milliseconds(now)
        let since = max(nowMs - Int64(policy.windowHours * 3_600_000), stepStart ?? 0)
        let parityKinds = Self.parityKindsSQL
        // Known differences (decided business changes) are counted apart, never against parity.
        let known = Array(policy.knownSignatures)
        let notKnown =
            known.isEmpty
            ? "1" : "signature_id NOT IN (\(Array(repeating: "?", count: known.count).joined(separator: ",")))"
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) AS n, SUM(kind IN (\(parityKinds))) AS ok, SUM(recorded_ms >= ?) AS recent,
                    MIN(CASE WHEN recorded_ms >= ? THEN recorded_ms END) AS first_recent
                FROM comparison WHERE country = ? AND recorded_ms >= ? AND kind != 'skipped' AND \(notKnown)
                """, arguments: [nowMs - 3_600_000, nowMs - 3_600_000, country, since] + StatementArguments(known))
        let count: Int = row?["n"] ?? 0
        let atParity: Int = row?["ok"] ?? 0
        // The pace per hour: over the last hour, or over the time since evidence began arriving when
        // that is shorter (a country that went live a minute ago), but never less than a minute.
        let recent: Int = row?["recent"] ?? 0
        let firstRecent: Int64 = row?["first_recent"] ?? nowMs
        let span = min(3_600_000, max(60_000, nowMs - firstRecent))
        let perHour = Int((Double(recent) * 3_600_000 / Double(span)).rounded())
        let knownCount =
            known.isEmpty
            ? 0
            : try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM comparison WHERE country = ? AND recorded_ms >= ? AND kind != 'skipped'
                    AND signature_id IN (\(Array(repeating: "?", count: known.count).joined(separator: ",")))
                    """, arguments: [country, since] + StatementArguments(known)) ?? 0
        func values(_ column: String) throws -> [Int64] {
            try Int64.fetchAll(
                db,
                sql:
                    "SELECT \(column) FROM comparison WHERE country = ? AND recorded_ms >= ? AND \(column) IS NOT NULL ORDER BY \(column)",
                arguments: [country, since])
        }
        func recentValues(_ column: String) throws -> [Double] {
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT \(column) FROM comparison WHERE country = ? AND recorded_ms >= ? AND \(column) IS NOT NULL
                    ORDER BY recorded_ms DESC LIMIT \(latencySamples)
                    """,
                arguments: [country, since]
            ).map(Double.init)
        }
        let (legacySample, swiftSample) = (try recentValues("legacy_us"), try recentValues("swift_us"))
        let pValue =
            legacySample.count >= 20 && swiftSample.count >= 20
            ? CutoverStatistics.mannWhitneyGreater(swiftSample, than: legacySample) : nil
        return CutoverEvidence(
            comparisons: count, parity: count == 0 ? 0 : Double(atParity) * 100 / Double(count),
            legacyP99Ms: ParityReport.Latency(sortedMicroseconds: try values("legacy_us")).p99,
            swiftP99Ms: ParityReport.Latency(sortedMicroseconds: try values("swift_us")).p99,
            windowHours: policy.windowHours, atParity: atParity, knownDifferences: knownCount,
            swiftSlowerPValue: pValue, lastHourComparisons: perHour)
    }

    /// Changes a country's flag if the policy allows it (or `force` with a reason), and writes the audit row.
    /// - Parameters:
    ///   - country: The country.
    ///   - to: The new flag.
    ///   - actor: Who asks.
    ///   - reason: Why; required.
    ///   - force: Override the evidence gate.
    ///   - policy: The gate.
    ///   - now: When.
    /// - Returns: The audit row.
    /// - Throws: ``ShadowStoreError`` naming why the change was refused.
    @discardableResult
    public func setFlag(
        country: String, to: CutoverFlag, percentage: Double = 100, actor: String, reason: String,
        force: Bool = false, policy: CutoverPolicy = CutoverPolicy(), now: Date = Date()
    ) throws -> FlagChange {
        try writeTransaction { db in
            let request = try Self.decide(
                db, country: country, to: FlagSetting(to, percentage: percentage), actor: actor, reason: reason,
                force: force, policy: policy, now: now, instance: nil)
            return try Self.recordChange(db, request)
        }
    }

    /// A flag change the gate allows (or `force` overrides) on this store's evidence, not written:
    /// for a change that travels through the flags topic and is applied from there by every store.
    /// Parameters as ``setFlag(country:to:actor:reason:force:policy:now:)``, and the instance asking.
    /// - Throws: ``ShadowStoreError`` naming why the change was refused.
    public func proposeFlagChange(
        country: String, to: CutoverFlag, percentage: Double = 100, actor: String, reason: String,
        force: Bool = false, policy: CutoverPolicy = CutoverPolicy(), now: Date = Date(), instance: String?
    ) throws -> FlagRequest {
        try read { db in
            try Self.decide(
                db, country: country, to: FlagSetting(to, percentage: percentage), actor: actor, reason: reason,
                force: force, policy: policy, now: now, instance: instance)
        }
    }

    private static func decide(
        _ db: Database, country: String, to: FlagSetting, actor: String, reason: String, force: Bool,
        policy: CutoverPolicy, now: Date, instance: String?
    ) throws -> FlagRequest {
        guard ContractCountry.codes.contains(country) else {
            throw ShadowStoreError(
                .unknownCountry, "unknown country \(country) (one of \(ContractCountry.codes.joined(separator: ", ")))")
        }
        let trimmedReason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmedReason.isEmpty else { throw ShadowStoreError(.invalidReason, "a flag change needs a reason") }
        guard reason.count <= Self.maximumReasonLength else {
            throw ShadowStoreError(.invalidReason, "the reason is longer than \(Self.maximumReasonLength) characters")
        }
        guard to.state != .live || to.percentage > 0 else {
            throw ShadowStoreError(
                .invalidReason, "a live percentage must be above 0 (shadow serves no one from Swift)")
        }
        let nowMs = milliseconds(now)
        let current = try currentSetting(db, country: country)
        // A ramp step's gate reads that step's own evidence: what was compared since it began.
        let evidence = try Self.evidence(
            db, country: country, policy: policy, now: now, stepStart: try Self.stepStart(db, country: country))
        let decision = policy.decide(from: current, to: to, evidence: evidence)
        if !decision.allowed && !force {
            throw ShadowStoreError(
                .gateRefused,
                "\(country) stays \(current.description): " + decision.reasons.joined(separator: "; ")
                    + " (use --force with a reason to override)")
        }
        var request = FlagRequest(
            country: country, from: current.state, to: to.state, actor: actor, reason: trimmedReason,
            forced: force && !decision.allowed, evidence: evidence, changedMs: nowMs, instance: instance)
        request.fromPercentage = current.percentage
        request.toPercentage = to.percentage
        return request
    }

    static func currentSetting(_ db: Database, country: String) throws -> FlagSetting {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT state, percentage FROM flag WHERE country = ?", arguments: [country]),
            let state = CutoverFlag(rawValue: row["state"])
        else { return FlagSetting(Self.defaultFlag) }
        return FlagSetting(state, percentage: row["percentage"])
    }

    static func currentFlag(_ db: Database, country: String) throws -> CutoverFlag {
        try String.fetchOne(db, sql: "SELECT state FROM flag WHERE country = ?", arguments: [country])
            .flatMap(CutoverFlag.init(rawValue:)) ?? Self.defaultFlag
    }

    /// Reverts a `live` country to `shadow` when its last comparisons regressed; the audit names
    /// `invoice-shadow` as the actor. Returns the change, or nil when nothing had to change.
    public func revertIfRegressed(country: String, policy: CutoverPolicy = CutoverPolicy(), now: Date = Date()) throws
        -> FlagChange?
    {
        try writeTransaction { db in
            guard let request = try Self.revertDecision(db, country: country, policy: policy, now: now, instance: nil)
            else { return nil }
            return try Self.recordChange(db, request)
        }
    }

    /// The automatic revert ``revertIfRegressed(country:policy:now:)`` would make, not written: for
    /// instances that share their flags through the flags topic. Nil when nothing has to change.
    public func proposeRevert(
        country: String, policy: CutoverPolicy = CutoverPolicy(), now: Date = Date(), instance: String?
    ) throws -> FlagRequest? {
        try read { db in try Self.revertDecision(db, country: country, policy: policy, now: now, instance: instance) }
    }

    /// The revert of a live country whose sequential test crossed its limit over the comparisons
    /// recorded since it went live (the latest ``CutoverPolicy/revertHistory`` of them, known
    /// differences excluded), or nil.
    private static func revertDecision(
        _ db: Database, country: String, policy: CutoverPolicy, now: Date, instance: String?
    ) throws -> FlagRequest? {
        let current = try currentFlag(db, country: country)
        guard current == .live else { return nil }
        let since =
            try Int64.fetchOne(db, sql: "SELECT changed_ms FROM flag WHERE country = ?", arguments: [country]) ?? 0
        let known = Array(policy.knownSignatures)
        let notKnown =
            known.isEmpty
            ? "1" : "signature_id NOT IN (\(Array(repeating: "?", count: known.count).joined(separator: ",")))"
        let parityKinds = Self.parityKindsSQL
        // Newest first from the index, then replayed oldest first.
        let outcomes = try Bool.fetchAll(
            db,
            sql: """
                SELECT kind IN (\(parityKinds)) FROM comparison
                WHERE country = ? AND recorded_ms >= ? AND kind != 'skipped' AND \(notKnown)
                ORDER BY rowid DESC LIMIT \(max(1, policy.revertHistory))
                """, arguments: [country, since] + StatementArguments(known)
        ).reversed()
        var detector = policy.sequentialRevert
        var seen = 0
        var mismatches = 0
        for atParity in outcomes {
            seen += 1
            if !atParity { mismatches += 1 }
            guard detector.observe(atParity: atParity) else { continue }
            let parity = Double(seen - mismatches) * 100 / Double(seen)
            let evidence = CutoverEvidence(
                comparisons: seen, parity: parity, legacyP99Ms: 0, swiftP99Ms: 0, windowHours: 0,
                atParity: seen - mismatches)
            return FlagRequest(
                country: country, from: .live, to: .shadow, actor: Self.automaticActor,
                reason:
                    "automatic revert: the sequential test on the mismatch rate crossed its limit (\(mismatches) mismatches in \(seen) comparisons since live, parity \(String(format: "%.2f", parity))%)",
                forced: false, evidence: evidence, changedMs: milliseconds(now), instance: instance)
        }
        return nil
    }

    /// The actor an automatic change names.
    public static let automaticActor = "invoice-shadow"

    /// Writes the flag and its audit row.
    static func recordChange(_ db: Database, _ request: FlagRequest) throws -> FlagChange {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let evidenceJSON = String(decoding: try encoder.encode(request.evidence), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO flag (country, state, changed_ms, percentage) VALUES (?, ?, ?, ?)
                ON CONFLICT(country) DO UPDATE SET state = excluded.state, changed_ms = excluded.changed_ms,
                    percentage = excluded.percentage
                """, arguments: [request.country, request.to.rawValue, request.changedMs, request.toSetting.percentage])
        try db.execute(
            sql: """
                INSERT INTO flag_audit (country, from_state, to_state, actor, reason, forced, evidence, changed_ms,
                    instance, request_id, from_percentage, to_percentage)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                request.country, request.from.rawValue, request.to.rawValue, request.actor, request.reason,
                request.forced ? 1 : 0, evidenceJSON, request.changedMs, request.instance, request.requestID,
                request.fromSetting.percentage, request.toSetting.percentage,
            ])
        let id = db.lastInsertedRowID
        try notePlanStep(db, request)
        return FlagChange(
            id: id, country: request.country, from: request.from, to: request.to,
            actor: request.actor, reason: request.reason, forced: request.forced, evidence: request.evidence,
            changedMs: request.changedMs, instance: request.instance, fromPercentage: request.fromSetting.percentage,
            toPercentage: request.toSetting.percentage)
    }

    /// Audit rows, newest first; for one country or all.
    public func flagHistory(country: String? = nil, limit: Int = 100) throws -> [FlagChange] {
        try read { db in
            var request = FlagAuditRecord.order(FlagAuditRecord.Columns.id.desc).limit(limit)
            if let country { request = request.filter(FlagAuditRecord.Columns.country == country) }
            return try request.fetchAll(db).map { try $0.change() }
        }
    }
}
