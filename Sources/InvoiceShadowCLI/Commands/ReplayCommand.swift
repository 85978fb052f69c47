import ArgumentParser
import Foundation
import InvoiceRenderers
import Logging
import ShadowCore
import ShadowHarness
import ShadowLogging
import ShadowStore

/// `invoice-shadow replay`: both implementations over recorded events, no Kafka.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run both implementations over recorded events, record every comparison, and write reports.",
        discussion: """
            Reads JSON-lines files (from `generate` or `record`), renders each event with the \
            legacy service (embedded) and the Swift port, compares canonical forms, and records \
            one row per event in the store (replaying again replaces rows, never duplicates them). \
            Writes run-N-TIME.{html,md,json,junit.xml} and latest.* into --reports.

            Exits 1 when parity is below --min-parity or a signature not listed in --known \
            appears.

            Examples:
              invoice-shadow replay Tests/Corpus/events.jsonl --min-parity 100 --known known-differences.json
              invoice-shadow generate --seed 9 --count 20000 --output /tmp/e.jsonl && invoice-shadow replay /tmp/e.jsonl
            """)

    @Argument(help: ArgumentHelp("Recorded events, JSON lines.", valueName: "FILE"))
    var files: [String]

    @OptionGroup var reportOptions: ReportOptions

    @Option(
        help: ArgumentHelp(
            "Ignore rules: {\"ignore\": [{\"path\" or \"pattern\", \"reason\"}]}, listed in every report.",
            valueName: "FILE"))
    var ignore: String?

    @Flag(help: "Run the legacy twice per event; what differs between its own runs is reported as noise.")
    var noiseCheck = false

    @Option(help: "Seconds each legacy render may take.")
    var timeout: Double = 10

    @OptionGroup var legacy: LegacyOptions

    @OptionGroup(title: "Personal data") var redaction: RedactionOptions

    @Option(
        help: ArgumentHelp(
            "Replay only the events `corpus add` pinned for this signature (from each file's FILE.signatures.json).",
            valueName: "ID"))
    var signature: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one events file") }
    }

    func run() async throws {
        var events: [[UInt8]] = []
        for file in files {
            var fileEvents = try ReplayInput.events(path: file)
            if let signature {
                let pinned = Set(try CorpusIndex.load(corpus: file).signatures[signature]?.events ?? [])
                fileEvents = fileEvents.filter { pinned.contains(EventFacts.read($0).eventID) }
            }
            events += fileEvents
        }
        if let signature, events.isEmpty {
            throw ValidationError(
                "no events of signature \(signature) in \(files.joined(separator: ", ")) (their .signatures.json index): pin them with invoice-shadow corpus add --signature \(signature)"
            )
        }
        let rules = try loadIgnoreRules()
        let store = try ShadowStore.open(path: reportOptions.db)
        let logger = Logger.shadow(label: "replay", format: .text, level: .notice)
        let redactor = try redaction.redactor(besides: reportOptions.db, logger: logger)
        let service = try await legacy.start()
        var engine = ReplayEngine(
            legacy: LegacyRenderer(service: service, timeout: .milliseconds(Int(timeout * 1000))),
            swift: SwiftRenderer(), comparator: OutcomeComparator(ignoreRules: rules), store: store,
            noiseCheck: noiseCheck)
        engine.redactor = redactor
        engine.versions = .current(legacyDirectory: try legacy.resolvedDirectory())
        let progress = ProgressLine(label: "replay")
        let runID = try await engine.replay(events, source: "replay " + files.joined(separator: " ")) { update in
            progress.show(done: update.done, total: update.total, atParity: update.atParity, elapsed: update.elapsed)
        }
        progress.finish()
        await service.interpreter.shutdown()
        let report = try reportOptions.writeReports(store: store, runID: runID)
        if !report.passed { throw ExitCode(1) }
    }

    private func loadIgnoreRules() throws -> IgnoreRules {
        guard let ignore else { return IgnoreRules() }
        struct File: Decodable { var ignore: [IgnoreRules.Rule] }
        guard let data = FileManager.default.contents(atPath: ignore) else {
            throw CLIError("cannot read the ignore rules \(ignore)")
        }
        let rules: [IgnoreRules.Rule]
        do {
            rules = try JSONDecoder().decode(File.self, from: data).ignore
        } catch {
            throw CLIError(
                "the ignore rules \(ignore) are not {\"ignore\": [{\"path\" or \"pattern\", \"reason\"}]}: \(error)")
        }
        for rule in rules {
            guard (rule.path == nil) != (rule.pattern == nil) else {
                throw CLIError("each ignore rule in \(ignore) needs exactly one of path and pattern")
            }
            if let pattern = rule.pattern, (try? Regex(pattern)) == nil {
                throw CLIError("the ignore pattern \(pattern) in \(ignore) is not a valid regular expression")
            }
        }
        return IgnoreRules(rules: rules)
    }
}

/// `invoice-shadow report`: the reports again, from the store.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild the HTML, Markdown, JSON and JUnit reports of a run from an existing store.",
        discussion: """
            Example:
              invoice-shadow report --db shadow.db --run 3 --known known-differences.json
            """)

    @OptionGroup var reportOptions: ReportOptions

    @Option(name: .customLong("run"), help: "The run to report on; default the latest.")
    var runID: Int64?

    func run() async throws {
        guard FileManager.default.fileExists(atPath: reportOptions.db) else {
            throw CLIError("no store at \(reportOptions.db): replay first, or pass --db")
        }
        let store = try ShadowStore.open(path: reportOptions.db)
        let report = try reportOptions.writeReports(store: store, runID: runID)
        if !report.passed { throw ExitCode(1) }
    }
}
