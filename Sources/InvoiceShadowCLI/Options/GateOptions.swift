import ArgumentParser
import ShadowCore

/// The cutover gate's rules, for every command that changes or reverts flags.
struct GateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Comparisons a country needs in the window before it may move to live or swift."))
    var gateComparisons = CutoverPolicy().minimumComparisons

    @Option(
        help: ArgumentHelp(
            "Parity, percent, that the lower confidence bound must reach for a country to move forward, and that it keeps while live."
        ))
    var gateParity = CutoverPolicy().minimumParity

    @Option(help: ArgumentHelp("The evidence window, hours.", valueName: "HOURS"))
    var gateWindow = CutoverPolicy().windowHours

    @Option(help: ArgumentHelp("The one-sided confidence of the bound on parity.", valueName: "FRACTION"))
    var gateConfidence = CutoverPolicy().confidence

    @Option(
        help: ArgumentHelp(
            "A known-differences file ({\"known\": [{\"signature\", \"reason\", \"decision\"}]}): those signatures are reported beside the gate, not counted against parity.",
            valueName: "FILE"))
    var gateKnown: String?

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Whether Swift's render times must not be shown slower than legacy's (one-sided Mann-Whitney, p < 0.01) to move forward (off where latency measures the machine, not the port: a debug build on shared cores)."
        ))
    var gateLatency = true

    func validate() throws {
        guard gateComparisons >= 1 else { throw ValidationError("--gate-comparisons must be at least 1") }
        guard (0...100).contains(gateParity) else { throw ValidationError("--gate-parity is a percent, 0 to 100") }
        guard gateWindow > 0 else { throw ValidationError("--gate-window must be more than 0 hours") }
        guard gateConfidence > 0.5 && gateConfidence < 1 else {
            throw ValidationError("--gate-confidence is a fraction above 0.5 and below 1, such as 0.95")
        }
        if let gateKnown { _ = try KnownDifferencesFile.load(gateKnown) }
    }

    /// Whether the parity rules are the defaults (none of --gate-comparisons, --gate-parity,
    /// --gate-confidence given, or given as the defaults).
    var isDefault: Bool {
        let defaults = CutoverPolicy()
        return gateComparisons == defaults.minimumComparisons && gateParity == defaults.minimumParity
            && gateConfidence == defaults.confidence
    }

    /// These options as arguments, for a worker process.
    var arguments: [String] {
        [
            "--gate-comparisons", "\(gateComparisons)", "--gate-parity", "\(gateParity)", "--gate-window",
            "\(gateWindow)", "--gate-confidence", "\(gateConfidence)",
            gateLatency ? "--gate-latency" : "--no-gate-latency",
        ] + (gateKnown.map { ["--gate-known", $0] } ?? [])
    }

    var policy: CutoverPolicy {
        var policy = CutoverPolicy()
        policy.minimumComparisons = gateComparisons
        policy.minimumParity = gateParity
        policy.windowHours = gateWindow
        policy.judgesLatency = gateLatency
        policy.confidence = gateConfidence
        // validate() read the file already and refused it if it did not parse.
        if let gateKnown, let entries = try? KnownDifferencesFile.load(gateKnown) {
            policy.knownSignatures = KnownDifferencesFile.signatureIDs(entries)
        }
        return policy
    }
}
