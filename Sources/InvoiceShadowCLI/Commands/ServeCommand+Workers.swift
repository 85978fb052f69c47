import ArgumentParser
import DocumentStore
import Foundation
import KafkaIO
import Logging
import ServiceLifecycle
import ShadowCore
import ShadowLogging
import ShadowServe
import ShadowStore
import ShadowWeb

extension ServeCommand {
    /// `serve --workers N`: the supervisor. It runs no interpreter; it starts the workers (each a
    /// `serve` of its own, on the store and object store they share, listening on a loopback port for
    /// its metrics), serves the dashboard from the shared store with the workers' summed metrics,
    /// and with `--instance` reads the shared topics into the store for all of them.
    func runWorkers(_ count: Int) async throws {
        let logger = logging.logger(label: "serve")
        let tokenBook = try loadTokens(logger: logger)
        if !noHTTP { _ = try ShadowWeb.parse(address: http) }
        // Checked here, once, rather than failing in every worker; the redaction key is made here
        // too, so that the workers read one key rather than race to make theirs.
        _ = try legacy.resolvedDirectory()
        _ = try redaction.redactor(besides: db, logger: logger)
        let (embedded, bootstrap) = try startBroker(logger: logger)
        let store = try ShadowStore.open(path: db)
        let objectStore = try PackedObjectStore(directory: objects)
        let producer = try KafkaProducer.make(bootstrapServers: bootstrap, logger: logger)
        let supervisor = WorkerSupervisor(count: count, logger: logger) { index in
            workerArguments(index: index, bootstrap: bootstrap)
        }
        let health = ServeHealth(registry: supervisor.registry, logger: logger)
        let run = try store.startRun(
            source: "serve --workers \(count)", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date(),
            versions: .current(legacyDirectory: try legacy.resolvedDirectory()))
        let notifier = notify.flatMap(URL.init(string:)).map { ChangeNotifier(url: $0, logger: logger) }
        let sharing = try shared.start(
            bootstrap: bootstrap, store: store, producer: producer, health: health, runID: run,
            policy: gateInEffect.policy,
            notifier: notifier, logger: logger, reloadFlags: {})
        logger.info(
            "started \(count) workers",
            metadata: ["store": "\(db)", "objects": "\(objects)", "group": "\(group)", "demo": "\(demo)"])
        if demo { await startDemoPlan(store: store, sharing: sharing, logger: logger) }

        let status: @Sendable () -> ServeStatus = {
            let text = supervisor.metrics()
            func total(_ name: String) -> Int { Int(MetricsTotals.value(of: "invoice_shadow_\(name)", in: text)) }
            return ServeStatus(
                consumed: total("events_total"), completed: total("comparisons_total"),
                published: total("published_total"), deadLettered: total("dead_lettered_total"),
                skippedShadows: total("skipped_shadows_total"), redelivered: total("redelivered_total"))
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if !noHTTP {
            var configuration = ShadowWeb.Configuration(
                store: store, objects: objectStore, status: status,
                health: {
                    let down = supervisor.down
                    var failing = health.reportFailures
                    if !down.isEmpty {
                        failing.append(
                            HealthReport.Failure(
                                check: "workers",
                                reason: "worker \(down.map(String.init).joined(separator: ", ")) down",
                                since: Date()))
                    }
                    for check in MetricsTotals.failingChecks(in: supervisor.metrics())
                    where !failing.contains(where: { $0.check == check }) {
                        failing.append(
                            HealthReport.Failure(check: check, reason: "a worker reports it failing", since: Date()))
                    }
                    return HealthReport(
                        checks: ServeHealth.Check.allCases.map(\.rawValue) + ["workers"], failing: failing,
                        consuming: down.count < count)
                }, tokens: tokenBook, policy: gateInEffect.policy)
            configuration.metricsText = { supervisor.metrics() }
            services.append(try webService(configuration, sharing: sharing, logger: logger))
        }
        services += sharing?.services ?? []
        if let retention = retentionService(store: store, health: health, registry: supervisor.registry, logger: logger)
        {
            services.append(retention)
        }
        services.append(
            .init(
                service: SupervisorService(supervisor: supervisor),
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "workers"))
        let progress = StatusLinePace<String>()
        services.append(
            .init(
                service: PeriodicService(interval: .seconds(2)) {
                    let counters = status()
                    let line = """
                        \(count - supervisor.down.count) of \(count) workers running; consumed \(counters.consumed), \
                        recorded \(counters.completed), published \(counters.published), dead-lettered \(counters.deadLettered), \
                        delivered again \(counters.redelivered)
                        """
                    // As a single serve's: every 2 s while it changes, once a minute while it does not.
                    if progress.due(line) { logger.info("\(line)") }
                }, serviceName: "counters"))
        let failure = await runGroup(services, logger: logger)
        do {
            try producer.flush()
        } catch {
            logger.warning("some sends were not acknowledged before the stop", metadata: [LogKey.error: "\(error)"])
        }
        producer.close()
        try store.finishRun(run, finishedAt: Date())
        logger.info("done")
        withExtendedLifetime(embedded) {}
        if failure != nil { throw ExitCode.failure }
    }

    /// A worker's command line: this serve's options, the brokers resolved, its own loopback port,
    /// its Python thread on a CPU of its own, and the demo feed in the first worker only.
    private func workerArguments(index: Int, bootstrap: String) -> [String] {
        var arguments = [
            "serve", "--worker-index", "\(index)", "--brokers", bootstrap, "--db", db, "--objects", objects, "--group",
            group, "--http", "127.0.0.1:0", "--timeout", "\(timeout)", "--python-stuck-exit", "\(pythonStuckExit)",
            "--python-cpu-from-last", "\(index)",
        ]
        // Without --instance each worker reverts in the shared store itself, so each notifies; with
        // it, the supervisor proposes the reverts and notifies.
        if let notify, shared.instance == nil { arguments += ["--notify", notify] }
        arguments += legacy.arguments + logging.arguments + gateInEffect.arguments + shared.arguments
        arguments += redaction.arguments(besides: db)
        if demo && index == 0 { arguments += ["--demo", "--demo-rate", "\(demoRate)"] }
        return arguments
    }
}

/// The workers as a service: started with the group, stopped (SIGTERM, then waiting while they
/// drain) on graceful shutdown.
struct SupervisorService: Service {
    let supervisor: WorkerSupervisor

    func run() async throws {
        await withGracefulShutdownHandler {
            await supervisor.run()
        } onGracefulShutdown: {
            supervisor.requestStop()
        }
        await supervisor.stop()
    }
}
