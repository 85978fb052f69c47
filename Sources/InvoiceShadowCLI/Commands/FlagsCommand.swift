import ArgumentParser
import Foundation
import ShadowCore
import ShadowStore

/// `invoice-shadow flags`: the per-country cutover flags.
struct FlagsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flags",
        abstract: "Show, change and audit the per-country cutover flags.",
        discussion: """
            A flag says who serves a country: legacy (Python only), shadow (Python serves, Swift
            shadows), live (Swift serves, Python shadows), swift (Swift only). Moving to live or
            swift needs evidence in the store: at least 1,000 comparisons in the last 24 h at
            99.9% parity or better, and Swift p99 latency no worse than legacy's; --force with a
            reason overrides. A running `serve` picks a change up within a second.
            """,
        subcommands: [FlagsList.self, FlagsSet.self, FlagsHistory.self], defaultSubcommand: FlagsList.self)
}

struct StoreOption: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite store.", valueName: "PATH"))
    var db = "shadow.db"

    func open() throws -> ShadowStore { try ShadowStore.open(path: db) }
}

struct FlagsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Each country's flag and the evidence the gate would use now.")

    @OptionGroup var store: StoreOption

    func run() throws {
        let store = try store.open()
        let flags = try store.flags()
        print("country  flag    comparisons(24h)  parity    legacy p99  swift p99")
        for country in ContractCountry.codes {
            let evidence = try store.evidence(country: country)
            print(
                String(
                    format: "%@       %@  %16d  %7.2f%%  %7.2f ms  %6.2f ms", country,
                    flags[country]!.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0), evidence.comparisons,
                    evidence.parity, evidence.legacyP99Ms, evidence.swiftP99Ms))
        }
    }
}

struct FlagsSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a country's flag (gated by evidence, audited).",
        discussion: "Example: invoice-shadow flags set DE live --reason \"parity proven in CW47\"")

    @Argument(help: "The country (ISO code, e.g. DE).")
    var country: String

    @Argument(help: "The new flag: legacy, shadow, live or swift.")
    var flag: String

    @Option(help: "Why; recorded in the audit.")
    var reason: String

    @Option(help: "Who is changing it; default $USER.")
    var actor: String?

    @Flag(help: "Override the evidence gate (the audit records it).")
    var force = false

    @OptionGroup var store: StoreOption

    func validate() throws {
        guard CutoverFlag(rawValue: flag) != nil else {
            throw ValidationError("unknown flag \(flag): use legacy, shadow, live or swift")
        }
    }

    func run() throws {
        let change = try store.open().setFlag(
            country: country.uppercased(), to: CutoverFlag(rawValue: flag)!,
            actor: actor ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown", reason: reason, force: force)
        print("\(change.country): \(change.from.rawValue) → \(change.to.rawValue)\(change.forced ? " (forced)" : "")")
    }
}

struct FlagsHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Audit rows, newest first: who, when, why, from, to, and the evidence.")

    @Argument(help: "Only this country.")
    var country: String?

    @OptionGroup var store: StoreOption

    func run() throws {
        let formatter = ISO8601DateFormatter()
        for change in try store.open().flagHistory(country: country?.uppercased()) {
            let when = formatter.string(from: Date(timeIntervalSince1970: Double(change.changedMs) / 1000))
            print(
                "\(when)  \(change.country)  \(change.from.rawValue) → \(change.to.rawValue)  by \(change.actor)"
                    + "\(change.forced ? " (forced)" : ""): \(change.reason)  "
                    + String(
                        format: "[%d comparisons, parity %.2f%%, p99 legacy %.2f ms, swift %.2f ms]",
                        change.evidence.comparisons, change.evidence.parity, change.evidence.legacyP99Ms,
                        change.evidence.swiftP99Ms))
        }
    }
}
