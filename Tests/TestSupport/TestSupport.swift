import Foundation
import PythonBridge

/// Paths and the one embedded interpreter that every test in this process shares.
public enum TestSupport {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `legacy/`.
    public static var legacyDirectory: String { repositoryRoot.appendingPathComponent("legacy").path }

    /// `Tests/TestSupport/python`, holding `bridge_fixtures.py`.
    public static var fixturesDirectory: String {
        repositoryRoot.appendingPathComponent("Tests/TestSupport/python").path
    }

    private static let shared = Task {
        try await LegacyInvoiceService.start(legacyDirectory: legacyDirectory, extraSearchPaths: [fixturesDirectory])
    }

    /// The process's interpreter, with `legacy/` and the fixtures on `sys.path`. A process can
    /// initialize CPython once, so every test uses this one.
    public static func legacy() async throws -> LegacyInvoiceService {
        try await shared.value
    }

    /// A fixture function from `bridge_fixtures.py`.
    public static func fixture(_ name: String) -> PythonFunctionName {
        PythonFunctionName(module: "bridge_fixtures", name: name)
    }

    /// The bytes of a file under the repository root.
    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: repositoryRoot.appendingPathComponent(relativePath)))
    }
}

extension TestSupport {
    /// The sample DE eats event (`legacy/samples/de-eats.json`) with changes applied, as bytes.
    /// - Parameter change: Edits the event as a JSON object.
    public static func sampleEvent(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> [UInt8] {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("legacy/samples/de-eats.json"))
        guard var event = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        change(&event)
        return Array(try JSONSerialization.data(withJSONObject: event))
    }

    /// Parses JSON text into an object, for assertions.
    public static func object(_ json: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }
}
