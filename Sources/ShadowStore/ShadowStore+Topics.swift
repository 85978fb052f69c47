import Foundation
import GRDB
import ShadowCore

/// A flag change as it travels on the flags topic (`shadow.flags`, keyed by country): proposed by
/// one instance after its gate check, applied by every store in the topic's order.
///
/// A change is conditional: it applies only if the country's flag is still ``from`` when the store
/// reaches it. Two instances that revert the same regression both publish `live → shadow`; the
/// first applies, the second finds `shadow` and is superseded, so the revert happens once in every
/// store. Two people changing one country at once: the first in the topic wins, the second is told.
public struct FlagRequest: Codable, Sendable, Equatable {
    /// The format's version.
    public var v = 1
    /// The change's id, for its proposer to find out what became of it.
    public var requestID: String
    /// The country whose flag changes.
    public var country: String
    /// The flag the proposer saw; the change applies only from it.
    public var from: CutoverFlag
    /// The flag it changes to.
    public var to: CutoverFlag
    /// Who asked: a token's owner, a user at the CLI, or `invoice-shadow` for an automatic revert.
    public var actor: String
    /// Why, as given.
    public var reason: String
    /// Whether the evidence gate was overridden.
    public var forced: Bool
    /// What the proposer's gate saw.
    public var evidence: CutoverEvidence
    /// When it was proposed, Unix milliseconds.
    public var changedMs: Int64
    /// The instance that proposed it.
    public var instance: String?
    /// The ramp percentage the proposer saw (absent: 100).
    public var fromPercentage: Double?
    /// The ramp percentage it changes to (absent: 100).
    public var toPercentage: Double?

    /// The setting the proposer saw.
    public var fromSetting: FlagSetting { FlagSetting(from, percentage: fromPercentage ?? 100) }
    /// The setting it changes to.
    public var toSetting: FlagSetting { FlagSetting(to, percentage: toPercentage ?? 100) }

    enum CodingKeys: String, CodingKey {
        case v, country, from, to, actor, reason, forced, evidence, instance
        case requestID = "request_id"
        case changedMs = "changed_ms"
        case fromPercentage = "from_percentage"
        case toPercentage = "to_percentage"
    }

    /// A change with a new id.
    public init(
        country: String, from: CutoverFlag, to: CutoverFlag, actor: String, reason: String, forced: Bool,
        evidence: CutoverEvidence, changedMs: Int64, instance: String?
    ) {
        requestID = UUID().uuidString.lowercased()
        self.country = country
        self.from = from
        self.to = to
        self.actor = actor
        self.reason = reason
        self.forced = forced
        self.evidence = evidence
        self.changedMs = changedMs
        self.instance = instance
    }
}

/// One message of a topic a store materializes, with its place; `value` is nil for a message that
/// did not decode (its offset is still applied, so that it is not read again forever).
public struct TopicMessage<Value: Sendable>: Sendable {
    /// The partition it was read from.
    public var partition: Int32
    /// Its offset there.
    public var offset: Int64
    /// What it carries, decoded; nil when it did not decode.
    public var value: Value?

    /// A message read at `offset` of `partition`.
    public init(partition: Int32, offset: Int64, value: Value?) {
        self.partition = partition
        self.offset = offset
        self.value = value
    }
}

extension ShadowStore {
    /// Offsets of a topic no store read before it was dropped from the log.
    public struct TopicGap: Sendable, Equatable {
        /// The partition.
        public var partition: Int32
        /// The first offset missing.
        public var first: Int64
        /// The last offset missing.
        public var last: Int64
    }

    /// What applying a batch of comparison messages did.
    public struct Materialized: Sendable, Equatable {
        /// Rows written.
        public var applied = 0
        /// Messages this store had applied already (another process reading into the same file).
        public var alreadyApplied = 0
        /// Offsets the topic no longer had when they were due.
        public var gaps: [TopicGap] = []
    }

    /// The next offset to read, per partition, of a topic this store materializes.
    public func topicOffsets(topic: String) throws -> [Int32: Int64] {
        try read { db in
            var offsets: [Int32: Int64] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT partition, next_offset FROM topic_offset WHERE topic = ?", arguments: [topic])
            {
                offsets[row["partition"]] = row["next_offset"]
            }
            return offsets
        }
    }

    /// Notes partitions of `topic` this store has read to `offsets` without a message to apply (they
    /// were empty): the store then knows it follows the topic. Partitions it knows already keep
    /// their place.
    public func noteRead(topic: String, offsets: [Int32: Int64]) throws {
        try writeTransaction { db in
            for (partition, offset) in offsets {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO topic_offset (topic, partition, next_offset) VALUES (?, ?, ?)",
                    arguments: [topic, partition, offset])
            }
        }
    }

    /// Writes the comparisons of `messages` (read from `topic`, in each partition's order) and the
    /// topic's offsets in one transaction: a message is applied exactly once, whichever process or
    /// restart reads it again. A recorded event again replaces its row, as ``record(_:runID:)`` does.
    public func materialize(topic: String, _ messages: [TopicMessage<Record>], runID: Int64) throws -> Materialized {
        guard !messages.isEmpty else { return Materialized() }
        return try writeTransaction { db in
            var result = Materialized()
            let fresh = try Self.advance(db, topic: topic, messages, gaps: &result.gaps)
            result.alreadyApplied = messages.count - fresh.count
            let records = fresh.compactMap(\.value)
            try Self.write(records, runID: runID, db)
            result.applied = records.count
            return result
        }
    }

    /// What applying a batch of the flags topic did.
    public struct FlagsApplied: Sendable {
        /// The flag changes applied, in order (not those superseded or applied before).
        public var changes: [FlagChange] = []
        /// The plans as each applied plan command left them, in order.
        public var plans: [RampPlan] = []
        /// Plan commands that no longer fit when this store reached them, with why.
        public var refusedPlans: [(request: PlanRequest, reason: String)] = []
    }

    /// Applies the flags topic's `messages` in order, with the topic's offsets in the same
    /// transaction: a flag change only if the country's flag is still the one it was proposed from, a
    /// plan command only if it still fits the country's plan.
    public func applyFlagsTopic(topic: String, _ messages: [TopicMessage<FlagsTopicMessage>]) throws -> FlagsApplied {
        guard !messages.isEmpty else { return FlagsApplied() }
        return try writeTransaction { db in
            var gaps: [TopicGap] = []
            var applied = FlagsApplied()
            for message in try Self.advance(db, topic: topic, messages, gaps: &gaps) {
                switch message.value {
                case .flag(let request):
                    guard try Self.currentSetting(db, country: request.country) == request.fromSetting else { continue }
                    applied.changes.append(try Self.recordChange(db, request))
                case .plan(let request):
                    do {
                        applied.plans.append(try Self.apply(request, db))
                    } catch let error as ShadowStoreError {
                        applied.refusedPlans.append((request, error.message))
                    }
                case nil: continue
                }
            }
            return applied
        }
    }

    /// ``applyFlagsTopic(topic:_:)`` for flag changes only.
    /// - Returns: The changes applied, in order (those superseded or applied before are not).
    public func applyFlagRequests(topic: String, _ messages: [TopicMessage<FlagRequest>]) throws -> [FlagChange] {
        try applyFlagsTopic(
            topic: topic,
            messages.map { TopicMessage(partition: $0.partition, offset: $0.offset, value: $0.value.map { .flag($0) }) }
        ).changes
    }

    /// The change a flag request made in this store, or nil (not applied yet, or superseded).
    public func flagChange(requestID: String) throws -> FlagChange? {
        try read { db in
            try FlagAuditRecord.filter(Column("request_id") == requestID).fetchOne(db).map { try $0.change() }
        }
    }

    /// The messages of `messages` this store has not applied yet, with the topic's next offsets moved
    /// past all of them; a partition that skips offsets adds a gap.
    private static func advance<Value>(
        _ db: Database, topic: String, _ messages: [TopicMessage<Value>], gaps: inout [TopicGap]
    ) throws -> [TopicMessage<Value>] {
        var next: [Int32: Int64?] = [:]
        for partition in Set(messages.map(\.partition)) {
            next[partition] = try Int64.fetchOne(
                db, sql: "SELECT next_offset FROM topic_offset WHERE topic = ? AND partition = ?",
                arguments: [topic, partition])
        }
        var fresh: [TopicMessage<Value>] = []
        for message in messages {
            let expected = next[message.partition] ?? nil
            if let expected, message.offset < expected { continue }
            // A partition's first message ever read may start past 0: the log's start, not a loss.
            if let expected, message.offset > expected {
                gaps.append(TopicGap(partition: message.partition, first: expected, last: message.offset - 1))
            }
            next[message.partition] = message.offset + 1
            fresh.append(message)
        }
        for case (let partition, let offset?) in next {
            try db.execute(
                sql: """
                    INSERT INTO topic_offset (topic, partition, next_offset) VALUES (?, ?, ?)
                    ON CONFLICT(topic, partition) DO UPDATE SET next_offset = excluded.next_offset
                    """, arguments: [topic, partition, offset])
        }
        return fresh
    }
}
