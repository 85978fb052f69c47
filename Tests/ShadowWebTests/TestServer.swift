import Foundation
import HTTPTypes
import Hummingbird
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A response as the tests read it.
struct TestResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer
}

/// Requests to a ``withTestServer(_:_:)`` server, over real HTTP (Foundation's URLSession).
///
/// (Not HummingbirdTesting: it brings AsyncHTTPClient, and with it NIOSSL's BoringSSL, NIOHTTP2 and
/// swift-configuration, most of a fresh debug build's dependencies, for these tests alone.)
struct TestClient {
    let base: String
    let session: URLSession

    /// Sends one request and hands its response to `check`.
    func execute(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
        _ check: (TestResponse) async throws -> Void
    ) async throws {
        guard let url = URL(string: base + uri) else { throw TestServerError("not a URL: \(base + uri)") }
        var request = URLRequest(url: url)
        request.httpMethod = method.rawValue
        for field in headers { request.addValue(field.value, forHTTPHeaderField: field.name.rawName) }
        if let body { request.httpBody = Data(buffer: body) }
        let (data, response) = try await session.data(for: request)
        guard let response = response as? HTTPURLResponse else { throw TestServerError("no HTTP response") }
        var fields = HTTPFields()
        for case let (name as String, value as String) in response.allHeaderFields {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        try await check(
            TestResponse(
                status: HTTPResponse.Status(code: response.statusCode), headers: fields, body: ByteBuffer(data: data)))
    }
}

struct TestServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Serves `router` on a free loopback port while `body` runs, then stops the server.
func withTestServer(
    _ router: Router<BasicRequestContext>, _ body: (TestClient) async throws -> Void
) async throws {
    let (ports, listening) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "test-server")
    logger.logLevel = .warning
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            listening.yield(channel.localAddress?.port ?? 0)
            listening.finish()
        }, logger: logger)
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = 30
    let session = URLSession(configuration: configuration)
    defer { session.finishTasksAndInvalidate() }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var next = ports.makeAsyncIterator()
        guard let port = await next.next(), port > 0 else { throw TestServerError("the server did not start") }
        try await body(TestClient(base: "http://127.0.0.1:\(port)", session: session))
        group.cancelAll()
    }
}
