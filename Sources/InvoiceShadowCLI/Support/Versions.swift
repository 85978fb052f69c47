import CBuildID
import Foundation
import ShadowCore
import ShadowStore

extension ShadowStore.Versions {
    /// The versions this process runs with: the legacy package in `legacyDirectory` by the content of
    /// its files (`invoicing/`, every file but compiled bytecode, by path), the port by this binary's
    /// build id (or, without one, the hash of the binary's bytes).
    static func current(legacyDirectory: String) -> ShadowStore.Versions {
        ShadowStore.Versions(legacy: legacyHash(legacyDirectory), port: portBuildID())
    }

    private static func legacyHash(_ directory: String) -> String {
        let root = URL(fileURLWithPath: directory).appendingPathComponent("invoicing")
        let files =
            (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { !$0.contains("__pycache__") && !$0.hasSuffix(".pyc") }
            .sorted()
        var bytes: [UInt8] = []
        for file in files {
            var isDirectory: ObjCBool = false
            let path = root.appendingPathComponent(file).path
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            bytes += Array(file.utf8) + [0] + Array(data) + [0]
        }
        return StableHash.fnv1aHex(bytes)
    }

    private static func portBuildID() -> String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let length = invoice_shadow_build_id(&buffer, buffer.count)
        if length > 0 { return buffer.prefix(length).map { String(format: "%02x", $0) }.joined() }
        let binary = FileManager.default.contents(atPath: "/proc/self/exe").map { Array($0) } ?? []
        return StableHash.fnv1aHex(binary)
    }
}
