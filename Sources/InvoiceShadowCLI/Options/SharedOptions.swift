import ArgumentParser
import KafkaIO
import Logging
import ServiceLifecycle
import ShadowCore
import ShadowLogging
import ShadowServe
import ShadowStore

/// `--instance` and the shared topics' names: several serve processes with stores of their own,
/// sharing only the Kafka cluster, acting as one harness.
struct SharedOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "This instance's name. Turns on sharing: comparisons are published to the comparisons topic and every instance's are read into --db; flag changes travel through the flags topic.",
            valueName: "NAME"))
    var instance: String?

    @Option(help: ArgumentHelp("Where instances publish their comparisons.", valueName: "TOPIC"))
    var comparisonsTopic = SharedTopics().comparisons

    @Option(help: ArgumentHelp("Where flag changes travel, keyed by country.", valueName: "TOPIC"))
    var flagsTopic = SharedTopics().flags

    func validate() throws {
        if let instance, instance.isEmpty || instance.count > 64 || instance.contains(where: \.isWhitespace) {
            throw ValidationError("--instance needs a name of 1 to 64 characters without spaces")
        }
    }

    /// These options as arguments, for a worker process.
    var arguments: [String] {
        (instance.map { ["--instance", $0] } ?? []) + [
            "--comparisons-topic", comparisonsTopic, "--flags-topic", flagsTopic,
        ]
    }

    /// The shared topics, for an embedded broker to create.
    var topicNames: [String] { [comparisonsTopic, flagsTopic] }

    /// The engine's part: name its comparisons, publish them, leave reverts to the flags topic.
    func configure(_ configuration: inout ServeEngine.Configuration) {
        guard let instance else { return }
        configuration.instance = instance
        configuration.evidenceTopic = comparisonsTopic
        configuration.automaticRevert = false
    }

    /// What sharing adds to serve: the two topic readers, the reverter, and flag changes proposed on
    /// the flags topic. Reads the flags topic to its end first. Nil without `--instance`.
    func start(
        bootstrap: String, store: ShadowStore, producer: KafkaProducer, health: ServeHealth, runID: Int64,
        policy: CutoverPolicy, notifier: ChangeNotifier?, logger: Logger,
        reloadFlags: @escaping @Sendable () throws -> Void
    ) throws -> Sharing? {
        guard let instance else { return nil }
        var logger = logger
        logger[metadataKey: LogKey.instance] = "\(instance)"
        let flags = TopicMaterializer(
            bootstrapServers: bootstrap, topic: flagsTopic, content: .flags, store: store, health: health,
            logger: logger
        ) { [logger] _ in
            // The next refresh would read them within a second; now is sooner.
            do {
                try reloadFlags()
            } catch {
                logger.warning(
                    "cannot re-read the flags after a change; the next refresh will",
                    metadata: [LogKey.error: "\(error)"])
            }
        }
        try flags.catchUp()
        try reloadFlags()
        logger.info("flags read from \(flagsTopic) (\(flags.applied) changes applied); sharing as \(instance)")
        let comparisons = TopicMaterializer(
            bootstrapServers: bootstrap, topic: comparisonsTopic, content: .comparisons(runID: runID), store: store,
            health: health, logger: logger)
        let publisher = FlagPublisher(producer: producer, topic: flagsTopic, store: store)
        return Sharing(
            services: [
                .init(service: MaterializerService(reader: flags), serviceName: "flags-topic"),
                .init(service: MaterializerService(reader: comparisons), serviceName: "comparisons-topic"),
                .init(
                    service: PeriodicService(interval: .seconds(1)) { [logger] in
                        // Ramp plans advance where reverts are made, after them: a regressed
                        // country goes back before its plan could take it further.
                        for change in await publisher.revertRegressed(
                            policy: policy, instance: instance, logger: logger)
                        {
                            notifier?.notify(change, store: store)
                        }
                        for change in await publisher.advancePlans(policy: policy, instance: instance, logger: logger) {
                            notifier?.notify(change, store: store)
                        }
                    }, serviceName: "reverter"),
            ],
            changeFlag: { country, setting, actor, reason, force in
                let request = try store.proposeFlagChange(
                    country: country, to: setting.state, percentage: setting.percentage, actor: actor, reason: reason,
                    force: force, policy: policy, instance: instance)
                return try await publisher.publish(request)
            },
            submitPlan: { request in try await publisher.publish(request) })
    }
}

/// What `--instance` adds to serve.
struct Sharing {
    var services: [ServiceGroupConfiguration.ServiceConfiguration]
    var changeFlag: @Sendable (String, FlagSetting, String, String, Bool) async throws -> ShadowStore.FlagChange
    var submitPlan: @Sendable (PlanRequest) async throws -> ShadowStore.RampPlan
}

/// A shared topic's reader as a service: it follows the topic until shut down.
struct MaterializerService: Service {
    let reader: TopicMaterializer

    func run() async throws {
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await reader.run()
            } onGracefulShutdown: {
                reader.stop()
            }
        } onCancel: {
            reader.stop()
        }
    }
}
