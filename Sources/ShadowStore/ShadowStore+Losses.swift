import Foundation
import GRDB

extension ShadowStore {
    /// Offsets of a partition that were never consumed: the events they held are lost to the
    /// harness (never compared, never recorded), and every report says so.
    public struct EventLoss: Codable, Sendable, Equatable {
        /// The input topic.
        public var topic: String
        /// Its partition.
        public var partition: Int32
        /// The first offset missing.
        public var firstOffset: Int64
        /// The last offset missing (inclusive).
        public var lastOffset: Int64
        /// When serve noticed, Unix milliseconds.
        public var detectedMs: Int64

        /// How many events were lost.
        public var count: Int64 { lastOffset - firstOffset + 1 }

        enum CodingKeys: String, CodingKey {
            case topic, partition
            case firstOffset = "first_offset"
            case lastOffset = "last_offset"
            case detectedMs = "detected_ms"
        }

        /// A loss of `firstOffset...lastOffset` in `topic`'s `partition`, noticed at `detected`.
        public init(topic: String, partition: Int32, firstOffset: Int64, lastOffset: Int64, detected: Date) {
            self.topic = topic
            self.partition = partition
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            detectedMs = Int64((detected.timeIntervalSince1970 * 1000).rounded())
        }
    }

    /// Records a loss.
    /// - Throws: The database's error when the row cannot be written.
    public func recordLoss(_ loss: EventLoss) throws {
        try writeTransaction { db in
            try db.execute(
                sql: """
                    INSERT INTO lost_events (topic, partition, first_offset, last_offset, detected_ms)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [loss.topic, loss.partition, loss.firstOffset, loss.lastOffset, loss.detectedMs])
        }
    }

    /// The losses recorded, newest first.
    public func losses(limit: Int = 100) throws -> [EventLoss] {
        try read { db in
            try EventLoss.fetchAll(
                db, sql: "SELECT * FROM lost_events ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
    }

    /// How many events were lost in all.
    public func lostEventCount() throws -> Int64 {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(last_offset - first_offset + 1), 0) FROM lost_events")
                ?? 0
        }
    }
}

extension ShadowStore.EventLoss: FetchableRecord {}
