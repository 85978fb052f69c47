import Foundation
import Logging
import ShadowCore
import ShadowLogging
import ShadowServe
import ShadowStore
import Synchronization
import Testing

/// A loopback HTTP listener that answers each request with the next status of `statuses` (then
/// 200) and keeps the bodies: a real socket, not a stub of URLSession.
final class NotificationListener: Sendable {
    final class Bodies: Sendable {
        let value = Mutex<[String]>([])
    }

    let port: UInt16
    let bodies = Bodies()
    private let socketDescriptor: Int32

    init(statuses: [Int]) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(descriptor, raw, length) == 0, listen(descriptor, 8) == 0 else {
                    throw CocoaError(.fileWriteUnknown)
                }
            }
        }
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        socketDescriptor = descriptor
        let bodies = self.bodies
        Thread.detachNewThread {
            var remaining = statuses
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                var request = Data()
                var buffer = [UInt8](repeating: 0, count: 65_536)
                // Headers, then as many body bytes as Content-Length says.
                while true {
                    let count = read(connection, &buffer, buffer.count)
                    if count <= 0 { break }
                    request.append(contentsOf: buffer[0..<count])
                    let text = String(decoding: request, as: UTF8.self)
                    if let end = text.range(of: "\r\n\r\n") {
                        let header = text[..<end.lowerBound].lowercased()
                        let length =
                            header.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                            ?? 0
                        if text.utf8.count - text[..<end.upperBound].utf8.count >= length {
                            bodies.value.withLock { $0.append(String(text[end.upperBound...])) }
                            break
                        }
                    }
                }
                let status = remaining.isEmpty ? 200 : remaining.removeFirst()
                let response = "HTTP/1.1 \(status) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                _ = response.withCString { write(connection, $0, strlen($0)) }
                close(connection)
            }
        }
    }

    func stop() { shutdown(socketDescriptor, Int32(SHUT_RDWR)); close(socketDescriptor) }
}

@Suite struct ChangeNotifierTests {
    @Test func anAutomaticChangeIsPostedAndRetriedUntilTheEndpointTakesIt() async throws {
        // Given an endpoint that fails twice, then answers 200
        let listener = try NotificationListener(statuses: [500, 503])
        defer { listener.stop() }
        let output = LogOutput.capture()
        let notifier = ChangeNotifier(
            url: URL(string: "http://127.0.0.1:\(listener.port)/hooks/cutover")!,
            logger: Logger.shadow(label: "test", format: .text, level: .info, output: output),
            retry: (.milliseconds(50), .milliseconds(200), .seconds(30)))
        // When a revert is notified
        let store = try ShadowStore.inMemory()
        _ = try store.setFlag(country: "DE", to: .live, actor: "ana", reason: "ready", force: true)
        let change = try store.setFlag(
            country: "DE", to: .shadow, actor: ShadowStore.automaticActor, reason: "automatic revert")
        notifier.notify(change)
        await notifier.finish()
        // Then it arrived on the third attempt, as JSON naming the change
        let bodies = listener.bodies.value.withLock { $0 }
        #expect(bodies.count == 3)
        let body = try #require(bodies.last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(object["event"] as? String == "flag_changed")
        #expect(object["country"] as? String == "DE" && object["from"] as? String == "live")
        #expect(object["to"] as? String == "shadow" && object["actor"] as? String == "invoice-shadow")
        #expect(output.lines.filter { $0.contains("did not reach") }.count == 2)
    }
}
