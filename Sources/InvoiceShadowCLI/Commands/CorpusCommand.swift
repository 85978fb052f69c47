import ArgumentParser
import Foundation
import ShadowCore
import ShadowHarness
import ShadowStore

/// `invoice-shadow corpus`: from a signature on the dashboard to a regression test in CI.
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Pin discrepancies as regression tests in the replay corpus.",
        discussion: """
            Appends a signature's stored example events (redacted, as the store keeps them) to \
            Tests/Corpus/events.jsonl, which CI replays at 100% parity; until the difference is \
            fixed or decided (an ignore rule, a known difference), CI says so. The second command \
            replays only those events:
              invoice-shadow corpus add --signature 3f2a9c1e07b4d5a6 --db shadow.db
              invoice-shadow replay Tests/Corpus/events.jsonl --signature 3f2a9c1e07b4d5a6
            """,
        subcommands: [CorpusAdd.self])
}

struct CorpusAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Append a signature's example events to a corpus file and note them in its index.")

    @Option(help: ArgumentHelp("The signature id (the dashboard's signature page shows it).", valueName: "ID"))
    var signature: String

    @Option(help: "At most this many events (the newest examples).")
    var max = 20

    @OptionGroup var store: StoreOption

    @Option(help: ArgumentHelp("The corpus file to append to.", valueName: "FILE"))
    var output = "Tests/Corpus/events.jsonl"

    func validate() throws {
        guard max >= 1 else { throw ValidationError("--max must be at least 1") }
    }

    func run() throws {
        let shadow = try store.open()
        guard let detail = try shadow.signatureDetail(id: signature, examples: 0) else {
            throw ValidationError("\(store.db) has no signature \(signature)")
        }
        let events = try shadow.exampleEvents(signature: signature, limit: max)
        guard !events.isEmpty else {
            throw ValidationError(
                "\(store.db) keeps no example event of \(signature) (\(detail.text)): only discrepancies keep theirs")
        }
        let existing =
            FileManager.default.fileExists(atPath: output)
            ? Set(try ReplayInput.events(path: output).map { EventFacts.read($0).eventID }) : []
        let fresh = events.filter { !existing.contains(EventFacts.read($0).eventID) }
        if !fresh.isEmpty {
            if !FileManager.default.fileExists(atPath: output) {
                guard FileManager.default.createFile(atPath: output, contents: nil) else {
                    throw ValidationError("cannot create \(output)")
                }
            }
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: output))
            // Synchronized before it closes: a failing close can lose nothing written.
            defer { try? handle.close() }
            let end = try handle.seekToEnd()
            // A file whose last line has no line break gets one first, so no event is glued to it.
            var text = ""
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                if handle.readData(ofLength: 1) != Data([0x0A]) { text = "\n" }
                try handle.seekToEnd()
            }
            text += fresh.map { ReplayInput.line(for: $0) + "\n" }.joined()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
        }
        var index = try CorpusIndex.load(corpus: output)
        let ids = events.map { EventFacts.read($0).eventID }
        var entry = index.signatures[signature] ?? CorpusIndex.Entry(text: detail.text, events: [])
        entry.events = Array(Set(entry.events + ids)).sorted()
        index.signatures[signature] = entry
        try index.save(corpus: output)
        print(
            "added \(fresh.count) events of \(signature) (\(detail.text)) to \(output)"
                + (events.count > fresh.count ? " (\(events.count - fresh.count) were there already)" : ""))
        print("replay them: invoice-shadow replay \(output) --signature \(signature)")
    }
}
