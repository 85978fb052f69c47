import ArgumentParser

/// `invoice-shadow bench`: benchmarks that print their figures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the harness and both implementations; prints figures, side by side in one run.",
        subcommands: [BenchAllCommand.self, BridgeBenchCommand.self, RenderBenchCommand.self, ServeBenchCommand.self],
        defaultSubcommand: BenchAllCommand.self)
}
