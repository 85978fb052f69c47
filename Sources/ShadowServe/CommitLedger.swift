/// Which consumed offsets are done, per topic and partition, and what may be committed: the
/// offset below which every consumed message is done. Messages finish out of order (legacy- and
/// port-primary events, batched rows); a commit never skips one that is not done.
struct CommitLedger: Sendable {
    /// A topic's partition.
    struct Partition: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    /// An offset to commit: every message of the partition up to and including `through` is done.
    struct Commit: Sendable, Equatable {
        var topic: String
        var partition: Int32
        var through: Int64
    }

    /// Offsets of a partition that were never consumed: the consumer jumped past them (the broker
    /// dropped them from the log first, by retention or a size cap).
    struct Gap: Sendable, Equatable {
        var partition: Partition
        var first: Int64
        var last: Int64
        /// How many offsets are missing.
        var count: Int64 { last - first + 1 }
    }

    private struct Progress: Sendable {
        /// The lowest offset not done yet.
        var next: Int64
        /// The highest offset consumed.
        var highest: Int64
        /// Gaps, by their first offset: nothing in them will finish, so the walk steps over them
        /// (kept after, for a redelivery from before one after a rebalance; losses are rare).
        var gaps: [Int64: Int64] = [:]
        /// Offsets at or above `next` that are done.
        var done: Set<Int64> = []
        /// The last offset safe to commit, once one is.
        var committable: Int64?
        /// Whether `committable` was handed out to be committed.
        var handedOut = true
    }

    private var partitions: [Partition: Progress] = [:]

    /// Notes a consumed offset (the lowest one seen of a partition is where consumption started);
    /// returns the offsets skipped, if this one jumped past the next after the highest consumed.
    /// (Offsets of a topic that is neither compacted nor written in transactions are contiguous.)
    mutating func consumed(_ partition: Partition, offset: Int64) -> Gap? {
        guard var progress = partitions[partition] else {
            partitions[partition] = Progress(next: offset, highest: offset)
            return nil
        }
        partitions[partition] = nil  // edited out of the dictionary: no copy of its collections
        defer { partitions[partition] = progress }
        if offset < progress.next { progress.next = offset }
        guard offset > progress.highest + 1 else {
            progress.highest = max(progress.highest, offset)
            return nil
        }
        let gap = Gap(partition: partition, first: progress.highest + 1, last: offset - 1)
        progress.gaps[gap.first] = gap.last
        progress.highest = offset
        return gap
    }

    /// The lowest offset of `partition` not done yet, if it was consumed from.
    func nextUndone(_ partition: Partition) -> Int64? { partitions[partition]?.next }

    /// Marks `offset` done, moving the partition's committable offset when it completes a run.
    mutating func finished(_ partition: Partition, offset: Int64) {
        guard var progress = partitions[partition] else { return }
        partitions[partition] = nil  // edited out of the dictionary: no copy of its set
        progress.done.insert(offset)
        let before = progress.next
        while true {
            if progress.done.remove(progress.next) != nil {
                progress.next += 1
            } else if let last = progress.gaps[progress.next] {
                progress.next = last + 1
            } else {
                break
            }
        }
        if progress.next > before {
            progress.committable = progress.next - 1
            progress.handedOut = false
        }
        partitions[partition] = progress
    }

    /// The committable offsets not handed out yet (all of them when `all`), now marked handed out.
    mutating func takeCommits(all: Bool = false) -> [Commit] {
        var commits: [Commit] = []
        for (partition, progress) in partitions where all || !progress.handedOut {
            guard let through = progress.committable else { continue }
            commits.append(Commit(topic: partition.topic, partition: partition.partition, through: through))
            partitions[partition]!.handedOut = true
        }
        return commits
    }
}
