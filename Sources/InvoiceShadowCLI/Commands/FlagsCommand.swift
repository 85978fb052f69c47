import ArgumentParser
import Foundation
import KafkaIO
import Logging
import ShadowCore
import ShadowLogging
import ShadowServe
import ShadowStore

/// `invoice-shadow flags`: the per-country cutover flags.
struct FlagsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flags",
        abstract: "Show, change and audit the per-country cutover flags.",
        discussion: """
            A flag says who serves a country: legacy (Python only), shadow (Python serves, Swift
            shadows), live (Swift serves, Python shadows), swift (Swift only). Moving to live or
            swift needs evidence in the store: over the last 24 h, at least 1,000 comparisons and
            parity of 99.9% or better at 95% confidence (the lower Wilson bound: about 2,700 clean
            comparisons), and Swift's render times not shown slower than legacy's (one-sided
            Mann-Whitney test); before that the gate says how many more clean comparisons it needs.
            --gate-* options change the rules; --force with a reason overrides. A running `serve`
            picks a change up within a second.
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
        commandName: "list",
        abstract: "Each country's flag, the evidence the gate would use now, and its verdict on the next step.")

    @OptionGroup var store: StoreOption

    @OptionGroup(title: "Cutover gate") var gate: GateOptions

    func run() throws {
        let store = try store.open()
        let flags = try store.flagSettings()
        let policy = gate.policy
        print("country  flag      comparisons  parity    bound     legacy p99  swift p99  next step")
        for country in ContractCountry.codes {
            let setting = flags[country]!
            let evidence = try store.gateEvidence(country: country, policy: policy)
            let bound = CutoverStatistics.wilsonLowerBound(
                successes: evidence.atParity, trials: evidence.comparisons, confidence: policy.confidence)
            let next: FlagSetting? =
                switch setting.state {
                case .legacy: FlagSetting(.shadow)
                case .shadow: FlagSetting(.live)
                case .live: FlagSetting(.swift)
                case .swift: nil
                }
            var verdict = "–"
            if let next {
                let decision = policy.decide(from: setting, to: next, evidence: evidence)
                verdict =
                    switch decision.verdict {
                    case .allowed: "\(next.description): allowed"
                    case .inconclusive(let needed):
                        "\(next.description): not yet" + (needed.map { " (about \($0) more clean)" } ?? "")
                    case .refused: "\(next.description): refused"
                    }
            }
            print(
                String(
                    format: "%@       %@  %11d  %7.2f%%  %7.2f%%  %7.2f ms  %6.2f ms  %@", country,
                    setting.description.padding(toLength: 8, withPad: " ", startingAt: 0), evidence.comparisons,
                    evidence.parity, bound * 100, evidence.legacyP99Ms, evidence.swiftP99Ms, verdict))
        }
    }
}

struct FlagsSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a country's flag (gated by evidence, audited).",
        discussion: """
            Example: invoice-shadow flags set DE live --reason "parity proven in CW47"

            Instances that share their flags (serve --instance) take changes from the flags topic
            only: pass --brokers, and the change is gate-checked on this store (which holds every
            instance's comparisons), proposed on the topic, and applied by every instance in the
            topic's order. It is refused if another change to the country came first.
            """)

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

    @Option(
        help: ArgumentHelp(
            "With live: the share of the country's customers Swift serves, by a sticky hash of the customer id (the others stay with Python, Swift shadowing).",
            valueName: "PERCENT"))
    var percent: Double = 100

    @Option(
        help: ArgumentHelp(
            "Propose the change on the flags topic of this Kafka cluster (instances that share flags).",
            valueName: "LIST"))
    var brokers: String?

    @Option(help: ArgumentHelp("The flags topic, with --brokers.", valueName: "TOPIC"))
    var flagsTopic = SharedTopics().flags

    @OptionGroup var store: StoreOption

    @OptionGroup(title: "Cutover gate") var gate: GateOptions

    func validate() throws {
        guard let state = CutoverFlag(rawValue: flag) else {
            throw ValidationError("unknown flag \(flag): use legacy, shadow, live or swift")
        }
        guard percent > 0 && percent <= 100 && (percent == 100 || state == .live) else {
            throw ValidationError("--percent is for live only, above 0 and at most 100")
        }
    }

    func run() async throws {
        let store = try store.open()
        let actor = actor ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        let to = CutoverFlag(rawValue: flag)!
        let change: ShadowStore.FlagChange
        if let brokers {
            let logger = Logger.shadow(label: "flags", format: .text, level: .warning)
            let reader = TopicMaterializer(
                bootstrapServers: brokers, topic: flagsTopic, content: .flags, store: store, logger: logger)
            // The gate sees the flags as every instance has them.
            try reader.catchUp()
            let request = try store.proposeFlagChange(
                country: country.uppercased(), to: to, percentage: percent, actor: actor, reason: reason,
                force: force, policy: gate.policy, instance: nil)
            let producer = try KafkaProducer.make(bootstrapServers: brokers, logger: logger)
            defer { producer.close() }
            change = try await FlagPublisher(producer: producer, topic: flagsTopic, store: store).publish(request) {
                try reader.catchUp()
            }
        } else {
            guard try store.topicOffsets(topic: flagsTopic).isEmpty else {
                throw ValidationError(
                    "\(self.store.db) takes its flags from the \(flagsTopic) topic (serve --instance): pass --brokers so that every instance gets the change"
                )
            }
            change = try store.setFlag(
                country: country.uppercased(), to: to, actor: actor, reason: reason, force: force)
        }
        print(
            "\(change.country): \(change.fromSetting.description) → \(change.toSetting.description)\(change.forced ? " (forced)" : "")"
        )
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
                "\(when)  \(change.country)  \(change.fromSetting.description) → \(change.toSetting.description)  by \(change.actor)"
                    + "\(change.forced ? " (forced)" : ""): \(change.reason)  "
                    + String(
                        format: "[%d comparisons, parity %.2f%%, p99 legacy %.2f ms, swift %.2f ms]",
                        change.evidence.comparisons, change.evidence.parity, change.evidence.legacyP99Ms,
                        change.evidence.swiftP99Ms))
        }
    }
}
