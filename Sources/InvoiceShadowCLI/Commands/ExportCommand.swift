import ArgumentParser
import Foundation
import ShadowStore

/// `invoice-shadow export`: the evidence, out to a warehouse.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write comparisons or daily counts as JSON lines or CSV, for a warehouse.",
        discussion: """
            Nothing personal is exported: no event, no invoice (the columns are listed in the \
            README, "Export"). Times are UTC. Rows are read a page at a time, so an export of \
            millions of comparisons runs beside serve without holding the store.

            Examples:
              invoice-shadow export --since 7d --format csv --output comparisons.csv
              invoice-shadow export --what daily --since 2026-11-01 --until 2026-12-01 --format jsonl
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }
    enum What: String, ExpressibleByArgument, CaseIterable { case comparisons, daily }

    @Option(
        help: ArgumentHelp(
            "From: an ISO 8601 date or time (2026-11-01, 2026-11-01T08:00:00Z), or a time ago (90m, 24h, 7d).",
            valueName: "TIME"))
    var since: String

    @Option(help: ArgumentHelp("Until (not included), as --since; default now.", valueName: "TIME"))
    var until: String?

    @Option(help: "jsonl or csv.")
    var format: Format = .jsonl

    @Option(help: "comparisons (one row each) or daily (per day, country, signature and kind, folded ones included).")
    var what: What = .comparisons

    @Option(help: ArgumentHelp("Write here (through a temporary file); default standard output.", valueName: "FILE"))
    var output: String?

    @OptionGroup var store: StoreOption

    static func time(_ text: String, now: Date = Date()) -> Date? {
        if let ago = FlagsPlan.duration(text) {
            return now.addingTimeInterval(-Double(ago.components.seconds))
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }

    func validate() throws {
        guard Self.time(since) != nil else {
            throw ValidationError(
                "--since takes a date (2026-11-01), a time (2026-11-01T08:00:00Z) or an age (24h, 7d)")
        }
        if let until, Self.time(until) == nil { throw ValidationError("--until takes a time like --since") }
    }

    func run() throws {
        let shadow = try store.open()
        let from = Self.time(since)!
        let to = until.flatMap { Self.time($0) } ?? Date()
        let sink = try LineSink(path: output)
        var rows = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func write(_ values: [String]) throws { try sink.write(values.map(Self.csvField).joined(separator: ",")) }
        switch what {
        case .comparisons:
            if format == .csv { try write(ShadowStore.ExportedComparison.columns) }
            try shadow.forEachComparison(since: from, until: to) { comparison in
                rows += 1
                if format == .csv {
                    try write(comparison.values)
                } else {
                    try sink.write(String(decoding: try encoder.encode(comparison), as: UTF8.self))
                }
            }
        case .daily:
            if format == .csv { try write(ShadowStore.ExportedDay.columns) }
            for day in try shadow.dailyCounts(since: from, until: to) {
                rows += 1
                if format == .csv {
                    try write(day.values)
                } else {
                    try sink.write(String(decoding: try encoder.encode(day), as: UTF8.self))
                }
            }
        }
        try sink.close()
        FileHandle.standardError.write(
            Data(
                "exported \(rows) \(what == .daily ? "daily counts" : "comparisons") to \(output ?? "standard output")\n"
                    .utf8))
    }

    /// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
