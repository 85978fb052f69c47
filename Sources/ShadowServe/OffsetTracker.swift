/// Which offsets of each partition are done, and up to where a commit is safe: the highest
/// offset below which every message is done. Messages finish out of order; commits never skip one.
struct OffsetTracker: Sendable {
    private var next: [Int32: Int64] = [:]  // per partition: the lowest offset not yet done
    private var done: [Int32: Set<Int64>] = [:]

    /// Records the first offset seen of a partition (where consumption started).
    mutating func started(partition: Int32, at offset: Int64) {
        if next[partition] == nil || offset < next[partition]! { next[partition] = offset }
    }

    /// The lowest offset of `partition` not done yet, if the partition was seen.
    func nextUndone(partition: Int32) -> Int64? { next[partition] }

    /// Marks `offset` done; returns the new committable offset (the last done in sequence) if it moved.
    mutating func finish(partition: Int32, offset: Int64) -> Int64? {
        done[partition, default: []].insert(offset)
        guard var cursor = next[partition] else { return nil }
        let before = cursor
        while done[partition]!.remove(cursor) != nil { cursor += 1 }
        next[partition] = cursor
        return cursor > before ? cursor - 1 : nil
    }
}
