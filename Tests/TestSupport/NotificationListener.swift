import Foundation
import Synchronization

/// A loopback HTTP listener that answers each request with the next status of `statuses` (then
/// 200) and keeps the bodies: a real socket, not a stub of URLSession.
public final class NotificationListener: Sendable {
    /// The bodies received, in order.
    public final class Bodies: Sendable {
        /// The bodies so far.
        public let value = Mutex<[String]>([])
    }

    /// Where it listens on 127.0.0.1.
    public let port: UInt16
    /// What it received.
    public let bodies = Bodies()
    private let socketDescriptor: Int32

    /// Listens on a free port; answers with `statuses` in turn, then 200.
    public init(statuses: [Int] = []) throws {
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

    /// Stops listening.
    public func stop() { shutdown(socketDescriptor, Int32(SHUT_RDWR)); close(socketDescriptor) }
}
