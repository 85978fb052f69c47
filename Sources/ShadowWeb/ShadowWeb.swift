import Foundation
import Hummingbird
import ShadowCore
import ShadowStore

/// What a running `serve` reports about itself on `GET /health`.
public struct ServeStatus: Codable, Sendable, Equatable {
    /// Events consumed.
    public var consumed: Int
    /// Events recorded and committed.
    public var completed: Int
    /// Invoices published.
    public var published: Int
    /// Events dead-lettered.
    public var deadLettered: Int
    /// Shadow runs skipped.
    public var skippedShadows: Int

    enum CodingKeys: String, CodingKey {
        case consumed, completed, published
        case deadLettered = "dead_lettered"
        case skippedShadows = "skipped_shadows"
    }

    /// Creates a status.
    public init(consumed: Int, completed: Int, published: Int, deadLettered: Int, skippedShadows: Int) {
        self.consumed = consumed
        self.completed = completed
        self.published = published
        self.deadLettered = deadLettered
        self.skippedShadows = skippedShadows
    }
}

/// The HTTP side of `serve`: for now `GET /health` and `GET /flags`; the dashboard, the flags
/// `PUT` and `/metrics` come with the dashboard issue.
public enum ShadowWeb {
    /// The default listen address.
    public static let defaultAddress = "127.0.0.1:8080"

    /// The routes.
    /// - Parameters:
    ///   - store: The store the flags are read from.
    ///   - status: The running engine's counters.
    public static func buildRouter(store: ShadowStore, status: @escaping @Sendable () -> ServeStatus) -> Router<
        BasicRequestContext
    > {
        let router = Router()
        router.get("health") { _, _ -> Response in
            try json(HealthBody(status: "ok", serve: status()))
        }
        router.get("flags") { _, _ -> Response in
            let flags = try store.flags()
            let body = try ShadowStore.countries.map { country in
                FlagBody(
                    country: country, flag: flags[country]!.rawValue, evidence: try store.evidence(country: country))
            }
            return try json(body)
        }
        return router
    }

    /// The application listening on `host:port`.
    public static func buildApplication(
        address: String, store: ShadowStore, status: @escaping @Sendable () -> ServeStatus
    ) throws -> some ApplicationProtocol {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else {
            throw ShadowStoreError(message: "--http takes HOST:PORT, got \(address)")
        }
        return Application(
            router: buildRouter(store: store, status: status),
            configuration: .init(address: .hostname(String(parts[0]), port: port), serverName: "invoice-shadow"))
    }

    private struct HealthBody: Codable {
        var status: String
        var serve: ServeStatus
    }

    private struct FlagBody: Codable {
        var country: String
        var flag: String
        var evidence: CutoverEvidence
    }

    private static func json<T: Encodable>(_ value: T) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
