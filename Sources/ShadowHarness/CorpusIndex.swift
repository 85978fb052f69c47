import Foundation

/// Which events of a corpus file pin which signature: `FILE.signatures.json` beside the corpus,
/// written by `corpus add` and read by `replay --signature`. Sorted and indented, so that a change
/// to it reads well in a review.
public struct CorpusIndex: Codable, Sendable, Equatable {
    /// One pinned signature.
    public struct Entry: Codable, Sendable, Equatable {
        /// The signature's text (`DE|eats|mismatch|totals.tax`), for the reader of the file.
        public var text: String
        /// The ids of its events in the corpus.
        public var events: [String]

        /// An entry.
        public init(text: String, events: [String]) {
            self.text = text
            self.events = events
        }
    }

    /// By signature id.
    public var signatures: [String: Entry] = [:]

    /// An empty index.
    public init() {}

    /// Where the index of `corpus` is.
    public static func path(forCorpus corpus: String) -> String { corpus + ".signatures.json" }

    /// The index of `corpus`; empty when it has none yet.
    /// - Throws: ``ReplayError`` naming the file when it exists but does not read.
    public static func load(corpus: String) throws -> CorpusIndex {
        let path = path(forCorpus: corpus)
        guard let data = FileManager.default.contents(atPath: path) else { return CorpusIndex() }
        do {
            return try JSONDecoder().decode(CorpusIndex.self, from: data)
        } catch {
            throw ReplayError(code: .malformedLine, message: "\(path) is not a corpus index: \(error)")
        }
    }

    /// Writes the index beside `corpus`, whole, through a temporary file.
    public func save(corpus: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        try data.write(to: URL(fileURLWithPath: Self.path(forCorpus: corpus)), options: .atomic)
    }
}
