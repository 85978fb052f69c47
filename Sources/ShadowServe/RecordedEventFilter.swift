import ShadowCore
import ShadowStore
import Synchronization

/// Which event ids the store may hold, so that serve's duplicate check asks SQLite only about
/// those: a Bloom filter of every recorded id (no false negatives; about 1 in 1,500 ids never
/// recorded answers "maybe" at its design load).
///
/// Why: the check ran one `SELECT … WHERE event_id IN (…)` per consumed batch, on a reader whose
/// page cache SQLite empties whenever the writer has committed since its last read, so every
/// batch read its index pages again from the file, a large share of the pool's CPU in swift
/// mode, for events that are almost all new.
///
/// Filled from the store a chunk at a time (``catchUp(from:chunk:run:)``, by row number, so the first
/// call reads every id once and later ones only rows recorded since, by this process or another
/// sharing the store), and by the engine with each batch it records, before the batch's ids are
/// released. Until the first catch-up has read the whole table it answers "maybe" for every id, as
/// it does while it rebuilds itself, sized for the store's rows then, once it holds more ids than
/// it was sized for.
/// So an id recorded by another process sharing the store is checked against SQLite only after the
/// next catch-up (serve runs one a second); one recorded by this process, at once.
final class RecordedEventFilter: Sendable {
    private struct State {
        var bits: [UInt64]
        /// Ids inserted (with repeats).
        var count = 0
        /// The last store row read.
        var through: Int64 = 0
        /// Whether every row up to `through` is in, from the first (false: answer "maybe").
        var complete = false
    }

    /// Probes per id.
    private static let probes = 7
    private let state: Mutex<State>

    /// A filter sized for `expected` ids (16 bits each, at least 2 MiB).
    init(expected: Int) {
        state = Mutex(State(bits: Self.words(for: expected)))
    }

    private static func words(for expected: Int) -> [UInt64] {
        var bits = 1 << 24
        while bits < expected * 16 { bits <<= 1 }
        return [UInt64](repeating: 0, count: bits / 64)
    }

    /// Whether the store may hold each id (true until the first catch-up is done).
    func mayContain(_ ids: [String]) -> [Bool] {
        let hashes = ids.map(Self.hash)
        return state.withLock { state in
            guard state.complete else { return [Bool](repeating: true, count: ids.count) }
            return hashes.map { Self.test($0, in: state.bits) }
        }
    }

    /// Adds ids just recorded.
    func insert(_ ids: some Sequence<String>) {
        let hashes = ids.map(Self.hash)
        state.withLock { state in
            for hash in hashes { Self.set(hash, in: &state.bits) }
            state.count += hashes.count
        }
    }

    /// Reads the ids recorded since the last call, from `chunk` row numbers at most (once the table is read
    /// through, the filter answers for itself); returns whether there may be more.
    /// - Parameter run: The caller's run: its rows' ids are in already (``insert(_:)``), once the
    ///   first read is through.
    func catchUp(from store: ShadowStore, chunk: Int = 20_000, run: Int64? = nil) throws -> Bool {
        let (after, complete) = state.withLock { ($0.through, $0.complete) }
        let (ids, last, more) = try store.eventIDs(after: after, limit: chunk, skippingRun: complete ? run : nil)
        let hashes = ids.map(Self.hash)
        let full = state.withLock { state -> Bool? in
            // A rebuild that began meanwhile starts again from the first row.
            guard state.through == after else { return nil }
            for hash in hashes { Self.set(hash, in: &state.bits) }
            state.count += hashes.count
            state.through = last
            if !more { state.complete = true }
            // Past 8 bits an id, false "maybe"s pass 2 %.
            return state.count * 8 > state.bits.count * 64
        }
        guard let full else { return true }
        guard full else { return more }
        // Again, from the first row, sized for the rows the store holds now and a million more as
        // at the start: the ids counted include those retention has deleted since, so sizing by
        // them would grow the filter with every rebuild of a store that does not grow.
        let rows = try store.comparisonRowsEstimate()
        state.withLock { $0 = State(bits: Self.words(for: rows + Self.headroom)) }
        return true
    }

    /// Ids a filter has room for beyond the store's rows when it is made.
    static let headroom = 1_000_000

    /// How many ids the filter is sized for (16 bits each).
    var capacity: Int { state.withLock { $0.bits.count * 64 / 16 } }

    /// Whether the first catch-up has read the whole table.
    var isComplete: Bool { state.withLock { $0.complete } }

    private static func hash(_ id: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(id)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// The probes' bit positions: double hashing on the two halves of a mixed 64-bit hash.
    private static func positions(_ hash: UInt64, count: Int) -> some Sequence<Int> {
        var mixed = hash &+ 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        let first = hash, second = mixed | 1
        let mask = UInt64(count - 1)
        return (0..<probes).lazy.map { Int((first &+ UInt64($0) &* second) & mask) }
    }

    private static func test(_ hash: UInt64, in bits: [UInt64]) -> Bool {
        positions(hash, count: bits.count * 64).allSatisfy { bits[$0 >> 6] & (1 << UInt64($0 & 63)) != 0 }
    }

    private static func set(_ hash: UInt64, in bits: inout [UInt64]) {
        for position in positions(hash, count: bits.count * 64) { bits[position >> 6] |= 1 << UInt64(position & 63) }
    }
}
