import ArgumentParser
import EventGenerator
import Foundation

/// `invoice-shadow generate`: realistic events as JSON lines.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write realistic Money-System events as JSON lines, the same bytes for the same seed.",
        discussion: """
            Every country and business line, refunds, and edge cases: zero amounts, promotions, \
            huge orders, long names, non-Latin scripts, HTML-significant characters, and dates on \
            the DE 2020 and CH 2024 rate boundaries. About 1% break one rule of the contract on \
            purpose (--invalid-share) so that error paths are compared too.

            Example:
              invoice-shadow generate --seed 7 --count 20000 --output events.jsonl
            """)

    @Option(help: "The seed; equal seeds give equal bytes.")
    var seed: UInt64

    @Option(help: "How many events.")
    var count: Int

    @Option(help: ArgumentHelp("Write here instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(help: "Share of events that break one rule of the contract (0 to 1).")
    var invalidShare: Double = 0.01

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
        guard (0...1).contains(invalidShare) else { throw ValidationError("--invalid-share must be between 0 and 1") }
    }

    func run() throws {
        let sink = try LineSink(path: output)
        let generator = EventGenerator(invalidShare: invalidShare)
        try generator.forEachEvent(seed: seed, count: count) { try sink.write($0) }
        try sink.close()
        if let output {
            FileHandle.standardError.write(Data("wrote \(count) events to \(output)\n".utf8))
        }
    }
}
