import ArgumentParser
import ShadowCore

/// The cutover gate's rules, for every command that changes or reverts flags.
struct GateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Comparisons a country needs in the window before it may move to live or swift."))
    var gateComparisons = CutoverPolicy().minimumComparisons

    @Option(help: ArgumentHelp("Parity, percent, a country needs to move forward and keeps while live."))
    var gateParity = CutoverPolicy().minimumParity

    @Option(help: ArgumentHelp("The evidence window, hours.", valueName: "HOURS"))
    var gateWindow = CutoverPolicy().windowHours

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Whether Swift's p99 latency must be no worse than legacy's to move forward (off where latency measures the machine, not the port: a debug build on shared cores)."
        ))
    var gateLatency = true

    func validate() throws {
        guard gateComparisons >= 1 else { throw ValidationError("--gate-comparisons must be at least 1") }
        guard (0...100).contains(gateParity) else { throw ValidationError("--gate-parity is a percent, 0 to 100") }
        guard gateWindow > 0 else { throw ValidationError("--gate-window must be more than 0 hours") }
    }

    /// These options as arguments, for a worker process.
    var arguments: [String] {
        [
            "--gate-comparisons", "\(gateComparisons)", "--gate-parity", "\(gateParity)", "--gate-window",
            "\(gateWindow)", gateLatency ? "--gate-latency" : "--no-gate-latency",
        ]
    }

    var policy: CutoverPolicy {
        var policy = CutoverPolicy()
        policy.minimumComparisons = gateComparisons
        policy.minimumParity = gateParity
        policy.windowHours = gateWindow
        policy.judgesLatency = gateLatency
        return policy
    }
}
