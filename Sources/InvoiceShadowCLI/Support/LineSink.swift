import Foundation

/// Buffered line output to a file (written to a temporary name, renamed on close) or stdout.
final class LineSink {
    private let handle: FileHandle
    private let temporaryPath: String?
    private let finalPath: String?
    private var buffer = Data()

    init(path: String?) throws {
        if let path {
            let temporary = path + ".partial"
            guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                throw CLIError("cannot create \(temporary)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            temporaryPath = temporary
            finalPath = path
        } else {
            handle = .standardOutput
            temporaryPath = nil
            finalPath = nil
        }
    }

    func write(_ line: String) throws {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, and for a file moves it into place so a reader never sees half of it.
    func close() throws {
        try flush()
        guard let temporaryPath, let finalPath else { return }
        try handle.close()
        if FileManager.default.fileExists(atPath: finalPath) { try FileManager.default.removeItem(atPath: finalPath) }
        try FileManager.default.moveItem(atPath: temporaryPath, toPath: finalPath)
    }
}
