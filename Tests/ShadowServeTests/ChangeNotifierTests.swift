import Foundation
import Logging
import ShadowCore
import ShadowLogging
import ShadowServe
import ShadowStore
import Synchronization
import TestSupport
import Testing

@Suite struct ChangeNotifierTests {
    @Test func anAutomaticChangeIsPostedAndRetriedUntilTheEndpointTakesIt() async throws {
        // Given an endpoint that fails twice, then answers 200
        let listener = try NotificationListener(statuses: [500, 503])
        defer { listener.stop() }
        let output = LogOutput.capture()
        let notifier = ChangeNotifier(
            url: URL(string: "http://127.0.0.1:\(listener.port)/hooks/cutover")!,
            logger: Logger.shadow(label: "test", format: .text, level: .info, output: output),
            retry: (.milliseconds(50), .milliseconds(200), .seconds(30)))
        // When a revert is notified
        let store = try ShadowStore.inMemory()
        _ = try store.setFlag(country: "DE", to: .live, actor: "ana", reason: "ready", force: true)
        let change = try store.setFlag(
            country: "DE", to: .shadow, actor: ShadowStore.automaticActor, reason: "automatic revert")
        notifier.notify(change)
        await notifier.finish()
        // Then it arrived on the third attempt, as JSON naming the change
        let bodies = listener.bodies.value.withLock { $0 }
        #expect(bodies.count == 3)
        let body = try #require(bodies.last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(object["event"] as? String == "flag_changed")
        #expect(object["country"] as? String == "DE" && object["from"] as? String == "live")
        #expect(object["to"] as? String == "shadow" && object["actor"] as? String == "invoice-shadow")
        #expect(output.lines.filter { $0.contains("did not reach") }.count == 2)
    }
}
