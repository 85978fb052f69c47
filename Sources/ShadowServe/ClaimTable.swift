import ShadowCore

/// The event ids taken by events in flight (consumed, not recorded yet), with the hash of the
/// event that took each and how many events in flight hold it.
///
/// Ids are claimed in consumption order, so of two events with one id and different bytes the
/// first consumed keeps it, however their tasks are scheduled. A redelivery in flight beside its
/// original has the same bytes and shares the claim. A claim is released by its last holder once
/// that holder's row is written, so there is no moment at which neither the table nor the store
/// knows the id. Ids are compared code point by code point (``ExactText``), as the store tells
/// them apart.
struct ClaimTable: Sendable {
    private var claims: [ExactText: (hash: String, holders: Int)] = [:]

    /// What a claim found.
    enum Claim: Sendable, Equatable {
        /// No event in flight held the id: this one holds it now.
        case first
        /// An event in flight holds the id with the same bytes (a redelivery): they share it.
        case shared
        /// An event in flight holds the id with other content.
        case refused

        /// Whether the event holds the id.
        var holds: Bool { self != .refused }
    }

    /// Claims `id` for an event whose bytes hash to `hash`.
    mutating func claim(_ id: String, hash: String) -> Claim {
        let key = ExactText(id)
        guard let claim = claims[key] else {
            claims[key] = (hash, 1)
            return .first
        }
        guard claim.hash == hash else { return .refused }
        claims[key] = (hash, claim.holders + 1)
        return .shared
    }

    /// One holder fewer for `id`'s claim; the claim goes with its last holder.
    mutating func release(_ id: String) {
        let key = ExactText(id)
        guard let claim = claims[key] else { return }
        claims[key] = claim.holders > 1 ? (claim.hash, claim.holders - 1) : nil
    }

    /// The number of ids claimed.
    var count: Int { claims.count }
}
