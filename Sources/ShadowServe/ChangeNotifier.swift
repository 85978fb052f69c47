import Foundation
import Logging
import ShadowLogging
import ShadowStore
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `serve --notify URL`: a JSON POST for every automatic flag change (a revert, a ramp step), so that
/// a release manager hears of it where they work. Sent from a task of its own, in order, each
/// retried with backoff (1 s doubling to a minute, for up to an hour) until the endpoint answers
/// 2xx: serve never waits for it. Undelivered notifications are logged; at most 1,000 wait, the
/// oldest dropped (and logged) beyond that.
///
/// The body: `{"event": "flag_changed", "country", "from", "to", "from_percentage",
/// "to_percentage", "actor", "reason", "changed_ms", "instance", "evidence": {…}}`; after the step
/// that ends a ramp plan, also `{"event": "plan_finished", "country", "steps", "target", "status",
/// "step", "actor", "created_ms", "updated_ms", …}`.
public final class ChangeNotifier: Sendable {
    /// Where notifications go.
    public let url: URL
    private let logger: Logger
    private let queue: AsyncStream<[UInt8]>.Continuation
    private let sender: Task<Void, Never>

    /// A notifier posting to `url`.
    public init(
        url: URL, logger: Logger,
        retry: (first: Duration, maximum: Duration, giveUpAfter: Duration) = (
            .seconds(1), .seconds(60), .seconds(3600)
        )
    ) {
        self.url = url
        var logger = logger
        logger[metadataKey: LogKey.component] = "notify"
        self.logger = logger
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(1_000))
        queue = continuation
        sender = Task { [logger] in
            for await body in stream {
                await Self.deliver(body, to: url, retry: retry, logger: logger)
            }
        }
    }

    deinit {
        queue.finish()
    }

    /// Queues a notification of `change`, and of the plan it finished if it finished one (read from
    /// `store`); returns at once.
    public func notify(_ change: ShadowStore.FlagChange, store: ShadowStore? = nil) {
        enqueue(Event(event: "flag_changed", body: change), country: change.country)
        guard let store, change.actor == ShadowStore.automaticActor else { return }
        do {
            if let plan = try store.plan(country: change.country), plan.status == .finished,
                plan.updatedMs == change.changedMs
            {
                enqueue(Event(event: "plan_finished", body: plan), country: plan.country)
            }
        } catch {
            logger.error(
                "cannot read \(change.country)'s plan; no plan_finished notification is sent",
                metadata: [LogKey.country: "\(change.country)", LogKey.error: "\(error)"])
        }
    }

    /// A body's fields with the event's name beside them.
    private struct Event<Body: Encodable>: Encodable {
        var event: String
        var body: Body

        func encode(to encoder: any Encoder) throws {
            try body.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(event, forKey: Key(stringValue: "event")!)
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    private func enqueue(_ event: Event<some Encodable>, country: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(event)
        } catch {
            logger.error(
                "cannot encode a notification; it is not sent",
                metadata: [LogKey.country: "\(country)", LogKey.error: "\(error)"])
            return
        }
        if case .dropped = queue.yield(Array(data)) {
            logger.error(
                "1,000 notifications are waiting for \(url); this one is dropped",
                metadata: [LogKey.country: "\(country)"])
        }
    }

    /// Stops after what is queued is delivered or given up.
    public func finish() async {
        queue.finish()
        await sender.value
    }

    private static func deliver(
        _ body: [UInt8], to url: URL, retry: (first: Duration, maximum: Duration, giveUpAfter: Duration),
        logger: Logger
    ) async {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
        request.timeoutInterval = 10
        let started = ContinuousClock.now
        var delay = retry.first
        var attempt = 0
        while true {
            attempt += 1
            var failure = ""
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) {
                    if attempt > 1 { logger.notice("a notification reached \(url) after \(attempt) attempts") }
                    return
                }
                failure = "HTTP \(status)"
            } catch {
                failure = "\(error)"
            }
            guard ContinuousClock.now - started < retry.giveUpAfter else {
                logger.error(
                    "a notification did not reach \(url) in \(attempt) attempts; given up",
                    metadata: [LogKey.error: "\(failure)"])
                return
            }
            logger.warning(
                "a notification did not reach \(url); retrying",
                metadata: [
                    LogKey.error: "\(failure)", LogKey.attempt: "\(attempt)", LogKey.backoffSeconds: "\(delay.seconds)",
                ])
            try? await Task.sleep(for: delay)  // cancelled: the next attempt comes at once, then the loop ends
            if Task.isCancelled { return }
            delay = min(delay * 2, retry.maximum)
        }
    }
}
