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
            A flag says who serves a country: legacy (Python only), shadow (Python serves, Swift \
            shadows), live (Swift serves, Python shadows), swift (Swift only). Moving to live or \
            swift needs evidence in the store: over the last 24 h, at least 1,000 comparisons and \
            parity of 99.9% or better at 95% confidence (the lower Wilson bound: about 2,700 clean \
            comparisons), and Swift's render times not shown slower than legacy's (one-sided \
            Mann-Whitney test); before that the gate says how many more clean comparisons it \
            needs. --gate-* options change the rules; --force with a reason overrides. A running \
            `serve` picks a change up within a second.
            """,
        subcommands: [FlagsList.self, FlagsSet.self, FlagsPlan.self, FlagsHistory.self],
        defaultSubcommand: FlagsList.self)
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
            let next = setting.nextState
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
            Instances that share their flags (serve --instance) take changes from the flags topic \
            only: pass --brokers, and the change is gate-checked on this store (which holds every \
            instance's comparisons), proposed on the topic, and applied by every instance in the \
            topic's order. It is refused if another change to the country came first.

            Example:
              invoice-shadow flags set DE live --reason "parity proven in CW47"
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

    @OptionGroup(title: "Instances that share their flags") var topic: FlagsTopicOptions

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
        if let sharing = try topic.client(store: store, db: self.store.db) {
            let request = try store.proposeFlagChange(
                country: country.uppercased(), to: to, percentage: percent, actor: actor, reason: reason,
                force: force, policy: gate.policy, instance: nil)
            change = try await sharing.publish { try await $0.publish(request, catchUp: $1) }
        } else {
            change = try store.setFlag(
                country: country.uppercased(), to: to, percentage: percent, actor: actor, reason: reason, force: force,
                policy: gate.policy)
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

struct FlagsPlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Ramp a country through live percentages to its target, on evidence.",
        discussion: """
            A running serve moves the country to the first live percentage, then to each next one \
            once the hold has passed and the gate passes on that step's own evidence (waiting \
            while it is inconclusive), then to the target; each step is an audit row by \
            invoice-shadow. A revert, or a flag changed by hand, interrupts the plan. --pause, \
            --resume and --cancel act on it; without options, every plan is listed with what it \
            waits for.

            Example: DE to swift through five live steps, each held at least 30 minutes:
              invoice-shadow flags plan DE --to swift --steps 1,5,25,50,100 --hold 30m
            """)

    @Argument(help: "The country; none lists every plan.")
    var country: String?

    @Option(help: ArgumentHelp("Where the plan ends: live (at its last step) or swift.", valueName: "FLAG"))
    var to: String = "swift"

    @Option(help: ArgumentHelp("The live percentages, in order.", valueName: "LIST"))
    var steps: String?

    @Option(help: ArgumentHelp("The least time on each step: 90s, 30m, 2h.", valueName: "DURATION"))
    var hold = "30m"

    @Option(help: "Who makes the plan; default $USER.")
    var actor: String?

    @Flag(help: "Pause the country's plan.") var pause = false
    @Flag(help: "Resume it.") var resume = false
    @Flag(help: "Cancel it.") var cancel = false

    @OptionGroup(title: "Instances that share their flags") var topic: FlagsTopicOptions

    @OptionGroup var store: StoreOption

    static func duration(_ text: String) -> Duration? {
        guard let unit = text.last, let value = Double(text.dropLast()), value >= 0 else { return nil }
        let seconds: Double? = ["s": 1, "m": 60, "h": 3600, "d": 86_400][unit].map { $0 * value }
        return seconds.map { .milliseconds(Int64($0 * 1000)) }
    }

    func validate() throws {
        if [pause, resume, cancel].filter({ $0 }).count > 1 {
            throw ValidationError("one of --pause, --resume, --cancel")
        }
        guard Self.duration(hold) != nil else { throw ValidationError("--hold takes a duration such as 90s, 30m, 2h") }
        guard CutoverFlag(rawValue: to) == .live || CutoverFlag(rawValue: to) == .swift else {
            throw ValidationError("--to is live or swift")
        }
        if let steps, steps.split(separator: ",").contains(where: { Double($0) == nil }) {
            throw ValidationError("--steps takes percentages separated by commas, such as 1,5,25,50,100")
        }
    }

    func run() async throws {
        let store = try store.open()
        let sharing = try topic.client(store: store, db: self.store.db)
        guard let country = country?.uppercased() else {
            for plan in try store.plans() {
                let steps = plan.steps.map { $0 == $0.rounded() ? String(Int($0)) : String($0) }.joined(separator: ",")
                print(
                    "\(plan.country)  \(plan.status.rawValue)  steps \(steps) → \(plan.target.rawValue), \(plan.step) done"
                        + (plan.note.isEmpty ? "" : ": \(plan.note)"))
            }
            return
        }
        let actor = actor ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        let request: PlanRequest
        if pause || resume || cancel {
            request = try store.planRequest(
                country: country, action: pause ? .pause : resume ? .resume : .cancel, actor: actor)
        } else {
            guard let steps else { throw ValidationError("a new plan needs --steps") }
            request = try store.planRequest(
                country: country, target: CutoverFlag(rawValue: to)!,
                steps: steps.split(separator: ",").compactMap { Double($0) }, hold: Self.duration(hold)!, actor: actor)
        }
        let plan =
            if let sharing {
                try await sharing.publish { try await $0.publish(request, catchUp: $1) }
            } else {
                try store.apply(request)
            }
        print(
            "\(country): plan \(plan.status.rawValue)"
                + (plan.status == .running ? ", next \(plan.next?.description ?? "-")" : ""))
    }
}

/// `--brokers` and `--flags-topic` for the flags commands: where instances share their flags
/// (serve --instance), a change or a plan command is proposed on the flags topic and applied by
/// every instance in the topic's order.
struct FlagsTopicOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Propose on the flags topic of this Kafka cluster (instances that share flags).", valueName: "LIST"))
    var brokers: String?

    @Option(help: ArgumentHelp("The flags topic, with --brokers.", valueName: "TOPIC"))
    var flagsTopic = SharedTopics().flags

    /// What proposes on the topic, read to its end into `store` first (so that the checks see the
    /// flags and plans as every instance has them); nil without --brokers.
    /// - Throws: ``ValidationError`` when the store follows the topic and --brokers is missing: a
    ///   change made to it alone would be overwritten, and no other instance would see it.
    func client(store: ShadowStore, db: String) throws -> Client? {
        guard let brokers else {
            guard try store.topicOffsets(topic: flagsTopic).isEmpty else {
                throw ValidationError(
                    "\(db) takes its flags from the \(flagsTopic) topic (serve --instance): pass --brokers so that every instance gets the change"
                )
            }
            return nil
        }
        let logger = Logger.shadow(label: "flags", format: .text, level: .warning)
        let reader = TopicMaterializer(
            bootstrapServers: brokers, topic: flagsTopic, content: .flags, store: store, logger: logger)
        try reader.catchUp()
        return Client(brokers: brokers, topic: flagsTopic, store: store, reader: reader, logger: logger)
    }

    struct Client {
        var brokers: String
        var topic: String
        var store: ShadowStore
        var reader: TopicMaterializer
        var logger: Logger

        /// Runs `body` with a publisher and the catch-up that reads the topic into the store (this
        /// process does not follow the topic otherwise).
        func publish<Result>(
            _ body: (FlagPublisher, @escaping @Sendable () throws -> Void) async throws -> Result
        ) async throws -> Result {
            let producer = try KafkaProducer.make(bootstrapServers: brokers, logger: logger)
            defer { producer.close() }
            let reader = reader
            return try await body(FlagPublisher(producer: producer, topic: topic, store: store)) {
                try reader.catchUp()
            }
        }
    }
}
