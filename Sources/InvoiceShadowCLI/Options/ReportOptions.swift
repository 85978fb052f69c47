import ArgumentParser
import Foundation
import ShadowCore
import ShadowReports
import ShadowStore

/// Where reports go and what they must show to pass: shared by `replay` and `report`.
struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite store.", valueName: "PATH"))
    var db = "shadow.db"

    @Option(
        help: ArgumentHelp("Directory the HTML, Markdown, JSON and JUnit reports are written to.", valueName: "DIR"))
    var reports = "shadow-reports"

    @Option(help: ArgumentHelp("Exit non-zero when parity is below this (0 to 100).", valueName: "PERCENT"))
    var minParity: Double = 100

    @Option(
        help: ArgumentHelp(
            "Known differences: a JSON file {\"known\": [{\"signature\", \"reason\", \"decision\"}]}; "
                + "any other signature fails the run.", valueName: "FILE"))
    var known: String?

    @Option(help: ArgumentHelp("Also write the JUnit XML here.", valueName: "FILE"))
    var junit: String?

    func validate() throws {
        guard (0...100).contains(minParity) else { throw ValidationError("--min-parity must be between 0 and 100") }
    }

    func knownDifferences() throws -> [KnownDifference] {
        guard let known else { return [] }
        return try KnownDifferencesFile.load(known)
    }

    /// Builds the run's report, writes the four files, prints where, and returns the report.
    func writeReports(store: ShadowStore, runID: Int64?) throws -> ParityReport {
        let report = try store.report(runID: runID, known: try knownDifferences(), minParity: minParity)
        try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
        let name = "run-\(report.run?.id ?? 0)-" + Self.stamp(report.run?.startedMs ?? 0)
        let files = [
            ("html", ReportRenderer.html(report)), ("md", ReportRenderer.markdown(report)),
            ("json", ReportRenderer.json(report)), ("junit.xml", ReportRenderer.junit(report)),
        ]
        var written: [String] = []
        for (suffix, text) in files {
            for base in [name, "latest"] {
                let path = "\(reports)/\(base).\(suffix)"
                try AtomicFile.write(text, to: path)
                if base == name { written.append(path) }
            }
        }
        if let junit {
            try AtomicFile.write(ReportRenderer.junit(report), to: junit)
            written.append(junit)
        }
        print("events: \(report.events)  parity: \(String(format: "%.2f", report.parity))%  (required \(minParity)%)")
        for kind in DiscrepancyKind.allCases {
            if let count = report.byKind[kind.rawValue]?.count, count > 0 { print("  \(kind.rawValue): \(count)") }
        }
        if !report.newSignatures.isEmpty {
            print("new signatures (not in the known-differences file): \(report.newSignatures.count)")
            let unknown = report.signatures.filter { $0.known == nil && $0.kind != "skipped" }
            for signature in unknown.prefix(10) {
                print("  \(signature.id)  \(signature.count) × \(signature.text)")
            }
            if report.newSignatures.count > 10 {
                print("  … and \(report.newSignatures.count - 10) more in the reports")
            }
        }
        print("reports: " + written.joined(separator: ", "))
        return report
    }

    private static func stamp(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}

/// A known-differences file: `{"known": [{"signature", "reason", "decision"}]}`.
enum KnownDifferencesFile {
    static func load(_ path: String) throws -> [KnownDifference] {
        struct File: Decodable { var known: [KnownDifference] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the known-differences file \(path)")
        }
        do {
            return try JSONDecoder().decode(File.self, from: data).known
        } catch {
            throw CLIError(
                "the known-differences file \(path) is not {\"known\": [{\"signature\", \"reason\", \"decision\"}]}: \(error)"
            )
        }
    }

    /// The signature ids the entries name (an entry may give the signature's text instead).
    static func signatureIDs(_ entries: [KnownDifference]) -> Set<String> {
        Set(
            entries.map { entry in
                let isID = entry.signature.count == 16 && entry.signature.allSatisfy(\.isHexDigit)
                return isID ? entry.signature : StableHash.fnv1aHex(Array(entry.signature.utf8))
            })
    }
}
