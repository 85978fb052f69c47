import Foundation
import ShadowCore

/// A ramp plan command: applied to one store, or carried on the flags topic beside flag changes
/// (`"type": "plan"`) so that every instance's store has the same plans. Like a flag change, it is
/// checked by its proposer and again by every store that applies it, in the topic's order: a plan
/// created twice at once runs once, and the second proposer is told.
public struct PlanRequest: Codable, Sendable, Equatable {
    /// What a command does to a country's plan.
    public enum Action: String, Codable, Sendable {
        /// Starts a plan (replacing one that is not running).
        case create
        /// Holds a running plan.
        case pause
        /// Lets a paused plan go on.
        case resume
        /// Ends a plan.
        case cancel
    }

    /// The format's version.
    public var v = 1
    /// Tells a plan command from a flag change on the flags topic.
    public var type = "plan"
    /// The command's id, for its proposer to find out what became of it.
    public var requestID: String
    /// The country.
    public var country: String
    /// What it does.
    public var action: Action
    /// With ``Action/create``: the plan.
    public var plan: ShadowStore.RampPlan?
    /// Who asked.
    public var actor: String
    /// When, Unix milliseconds.
    public var changedMs: Int64

    enum CodingKeys: String, CodingKey {
        case v, type, country, action, plan, actor
        case requestID = "request_id"
        case changedMs = "changed_ms"
    }

    /// A command with a new id.
    public init(country: String, action: Action, plan: ShadowStore.RampPlan?, actor: String, changedMs: Int64) {
        requestID = UUID().uuidString.lowercased()
        self.country = country
        self.action = action
        self.plan = plan
        self.actor = actor
        self.changedMs = changedMs
    }
}

/// One message of the flags topic: a flag change, or a plan command.
public enum FlagsTopicMessage: Decodable, Sendable, Equatable {
    /// A conditional flag change.
    case flag(FlagRequest)
    /// A ramp plan command.
    case plan(PlanRequest)

    private struct Kind: Decodable {
        // Flag changes predate the field: absent means a flag change.
        var type: String?
    }

    /// Decodes by the message's `type`.
    public init(from decoder: any Decoder) throws {
        switch try Kind(from: decoder).type {
        case nil, "flag": self = .flag(try FlagRequest(from: decoder))
        case "plan": self = .plan(try PlanRequest(from: decoder))
        case let other?:
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "unknown flags topic message type \(other)"))
        }
    }
}
