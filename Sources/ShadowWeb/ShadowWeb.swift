import DocumentStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ShadowCore
import ShadowStore

/// What a running `serve` reports about itself on `GET /health`.
public struct ServeStatus: Codable, Sendable, Equatable {
    /// Events taken from the input topic.
    public var consumed: Int
    /// Events recorded and committed.
    public var completed: Int
    /// Invoices published to the output topic.
    public var published: Int
    /// Events dead-lettered.
    public var deadLettered: Int
    /// Shadow runs skipped.
    public var skippedShadows: Int
    /// Events taken again whose id and content were already recorded or in flight (Kafka's
    /// redeliveries); counted in `completed` too.
    public var redelivered: Int

    enum CodingKeys: String, CodingKey {
        case consumed, completed, published
        case deadLettered = "dead_lettered"
        case skippedShadows = "skipped_shadows"
        case redelivered
    }

    /// Creates a status.
    public init(
        consumed: Int, completed: Int, published: Int, deadLettered: Int, skippedShadows: Int, redelivered: Int
    ) {
        self.consumed = consumed
        self.completed = completed
        self.published = published
        self.deadLettered = deadLettered
        self.skippedShadows = skippedShadows
        self.redelivered = redelivered
    }

    /// A status with every counter at zero, for a dashboard without a running engine.
    public static let idle = ServeStatus(
        consumed: 0, completed: 0, published: 0, deadLettered: 0, skippedShadows: 0, redelivered: 0)
}

/// The HTTP side of `serve`: the dashboard, its JSON API, flag changes, invoices and `/metrics`.
///
/// | Route | What |
/// |---|---|
/// | `GET /` | overview: one row per country, parity over time, latency histograms, signatures |
/// | `GET /signatures/{id}` | one signature: counts, countries, examples with diffs and both invoices (sandboxed) |
/// | `GET /flags`, `POST /flags` | flags with evidence and history; the change form (reason and token required) |
/// | `GET /invoices/{number}` | a published invoice: HTML, or JSON with `Accept: application/json` |
/// | `GET /api/overview`, `/api/signatures`, `/api/signatures/{id}`, `/api/flags`, `/api/flags/{country}` | JSON |
/// | `PUT /api/flags/{country}` | `{"state", "reason", "force"}` with `Authorization: Bearer TOKEN` |
/// | `GET /metrics` | Prometheus text format |
/// | `GET /health` | 200 `{"status": "ok", ...}`, or 503 `{"status": "failing", "failing": [...]}` naming the checks that fail |
/// | `GET /ready` | 200 while serve consumes and every check passes, else 503: for load balancers and orchestrators |
///
/// Reads are open when the server listens on loopback, and need a token otherwise. Every write
/// needs a token from the operator's tokens file; without one, writes are refused.
public enum ShadowWeb {
    /// The default listen address.
    public static let defaultAddress = "127.0.0.1:8080"

    /// The largest request body accepted (flag changes are a few hundred bytes).
    public static let maximumBodyBytes = 16 * 1024

    /// Everything the routes read from and write to.
    public struct Configuration: Sendable {
        /// The store the pages and the API read, and flag changes write.
        public var store: ShadowStore
        /// Where published invoices are, if serve publishes any.
        public var objects: (any ObjectStore)?
        /// The running engine's counters.
        public var status: @Sendable () -> ServeStatus
        /// The running engine's health checks and whether it consumes.
        public var health: @Sendable () -> HealthReport
        /// The registry `GET /metrics` renders, if an engine runs.
        public var metrics: PrometheusCollectorRegistry?
        /// Who may write.
        public var tokens: TokenBook
        /// The cutover gate.
        public var policy: CutoverPolicy
        /// Whether reads need a token too (the server listens beyond loopback).
        public var readsNeedToken: Bool
        /// The text `GET /metrics` shows instead of ``metrics``' (the totals of `serve --workers`).
        public var metricsText: (@Sendable () -> String)?
        /// How a flag change is made: country, flag and percentage, actor, reason, force. Nil: in ``store``
        /// directly; instances that share their flags propose it on the flags topic instead.
        public var changeFlag:
            (@Sendable (String, FlagSetting, String, String, Bool) async throws -> ShadowStore.FlagChange)?
        /// How a ramp plan command is carried out. Nil: applied to ``store`` directly; instances that
        /// share their flags propose it on the flags topic instead.
        public var submitPlan: (@Sendable (PlanRequest) async throws -> ShadowStore.RampPlan)?

        /// Creates a configuration.
        public init(
            store: ShadowStore, objects: (any ObjectStore)? = nil,
            status: @escaping @Sendable () -> ServeStatus = {
                .idle
            }, health: @escaping @Sendable () -> HealthReport = { .noEngine },
            metrics: PrometheusCollectorRegistry? = nil, tokens: TokenBook = .none,
            policy: CutoverPolicy = CutoverPolicy(),
            readsNeedToken: Bool = false,
            changeFlag: (
                @Sendable (String, FlagSetting, String, String, Bool) async throws -> ShadowStore.FlagChange
            )? =
                nil
        ) {
            self.changeFlag = changeFlag
            metricsText = nil
            submitPlan = nil
            self.store = store
            self.objects = objects
            self.status = status
            self.health = health
            self.metrics = metrics
            self.tokens = tokens
            self.policy = policy
            self.readsNeedToken = readsNeedToken
        }
    }

    /// The router: every route, behind the read-access middleware.
    public static func buildRouter(_ configuration: Configuration) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ReadAccess(configuration: configuration))
        let routes = Routes(configuration: configuration)
        router.get("health") { _, _ in try routes.health() }
        router.get("ready") { _, _ in try routes.ready() }
        router.get("metrics") { _, _ in routes.metrics() }
        router.get("/") { _, _ in try routes.overviewPage() }
        router.get("signatures/:id") { _, context in try routes.signaturePage(context.parameters.get("id") ?? "") }
        router.get("flags") { _, _ in try routes.flagsPage(message: nil, status: .ok) }
        router.post("flags") { request, _ in try await routes.submitFlagForm(request) }
        router.post("flags/plan") { request, _ in try await routes.submitPlanForm(request) }
        router.get("invoices/:number") { request, context in
            try routes.invoice(context.parameters.get("number") ?? "", request: request)
        }
        router.get("api/overview") { _, _ in try routes.overviewJSON() }
        router.get("api/signatures") { _, _ in try json(routes.configuration.store.signatureCounts()) }
        router.get("api/signatures/:id") { _, context in try routes.signatureJSON(context.parameters.get("id") ?? "") }
        router.get("api/flags") { _, _ in try routes.flagsJSON() }
        router.get("api/flags/:country") { _, context in try routes.flagJSON(context.parameters.get("country") ?? "") }
        router.put("api/flags/:country") { request, context in
            try await routes.putFlag(request, country: context.parameters.get("country") ?? "")
        }
        router.get("api/plans") { _, _ in try json(routes.configuration.store.plans()) }
        router.put("api/plans/:country") { request, context in
            try await routes.putPlan(request, country: context.parameters.get("country") ?? "")
        }
        router.post("api/plans/:country/:action") { request, context in
            try await routes.planAction(
                request, country: context.parameters.get("country") ?? "",
                action: context.parameters.get("action") ?? "")
        }
        return router
    }

    /// The application listening on `address` (`HOST:PORT`; port 0 picks a free one).
    /// - Parameters:
    ///   - address: Where to listen.
    ///   - configuration: The routes' sources; `readsNeedToken` is set from the address.
    ///   - logger: The server's logger (Hummingbird's own lines go through it).
    ///   - onListening: Called with the bound `HOST:PORT` once the server accepts connections.
    public static func buildApplication(
        address: String, configuration: Configuration, logger: Logger,
        onListening: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let (host, port) = try parse(address: address)
        var configuration = configuration
        configuration.readsNeedToken = !isLoopback(host)
        return Application(
            router: buildRouter(configuration),
            configuration: .init(address: .hostname(host, port: port), serverName: "invoice-shadow"),
            onServerRunning: { channel in
                onListening("\(host):\(channel.localAddress?.port ?? port)")
            }, logger: logger)
    }

    /// Splits `HOST:PORT`.
    /// - Throws: ``WebError`` naming the malformed address.
    public static func parse(address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port), colon != address.startIndex
        else {
            throw WebError(message: "--http takes HOST:PORT (for example 127.0.0.1:8080), got \(address)")
        }
        return (String(address[..<colon]), port)
    }

    /// Whether `host` is a loopback name or address.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers[.contentSecurityPolicy] = Pages.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page.description)))
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String, headers extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(["error": message])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// A bad `--http` value.
public struct WebError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}

/// Reads beyond loopback need a token (health and readiness excepted, for load balancers).
struct ReadAccess: RouterMiddleware {
    typealias Context = BasicRequestContext
    let configuration: ShadowWeb.Configuration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // A published invoice is the service's output as the customer got it, personal data and all:
        // a token holder's to read, wherever the server listens (the evidence pages are redacted).
        let publishedInvoice = request.uri.path.hasPrefix("/invoices/")
        if (configuration.readsNeedToken || publishedInvoice) && request.method == .get && request.uri.path != "/health"
            && request.uri.path != "/ready"
        {
            if case .refused(let response) = Authorization.check(request, tokens: configuration.tokens) {
                return response
            }
        }
        return try await next(request, context)
    }
}

/// Who is asking, from the `Authorization: Bearer` header.
enum Authorization {
    enum Verdict {
        case owner(String)
        case refused(Response)
    }

    /// Query parameters that look like credentials: refused wherever they appear, because URLs end up in logs.
    static let credentialParameters: Set<String> = ["token", "access_token", "bearer", "auth", "authorization", "key"]

    static func hasCredentialInQuery(_ request: Request) -> Bool {
        request.uri.queryParameters.contains { credentialParameters.contains(String($0.key).lowercased()) }
    }

    static func check(_ request: Request, tokens: TokenBook) -> Verdict {
        if hasCredentialInQuery(request) {
            return .refused(
                ShadowWeb.problem(
                    .badRequest,
                    "tokens are not accepted in the URL (URLs are logged); send the header Authorization: Bearer TOKEN")
            )
        }
        guard let header = request.headers[.authorization] else {
            return .refused(tokens.isEmpty ? disabled : missing)
        }
        return verify(header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : nil, tokens: tokens)
    }

    /// Checks a token given in a form field (the flags page).
    static func verify(_ token: String?, tokens: TokenBook) -> Verdict {
        if tokens.isEmpty { return .refused(disabled) }
        guard let token, !token.isEmpty else { return .refused(missing) }
        guard let owner = tokens.owner(of: token.trimmingCharacters(in: .whitespaces)) else {
            return .refused(
                ShadowWeb.problem(
                    .forbidden, "the token is not one of this serve's tokens",
                    headers: [.wwwAuthenticate: "Bearer realm=\"invoice-shadow\", error=\"invalid_token\""]))
        }
        return .owner(owner)
    }

    static var missing: Response {
        ShadowWeb.problem(
            .unauthorized, "this needs a token: send the header Authorization: Bearer TOKEN",
            headers: [.wwwAuthenticate: "Bearer realm=\"invoice-shadow\""])
    }

    static var disabled: Response {
        ShadowWeb.problem(
            .forbidden,
            "writes are disabled: this serve has no tokens; start it with --tokens FILE (one `OWNER TOKEN` per line)")
    }
}
