import DocumentStore
import Foundation
import GRDB
import InvoiceRenderers
import KafkaIO
import PythonBridge
import ShadowCore
import ShadowServe
import ShadowStore
import TestSupport
import Testing

/// Faults inside the legacy code path, injected by `bridge_fixtures.faulty_render` (the real
/// `invoicing.render_event` unless the customer's name asks for a fault), through a real serve.
@Suite struct LegacyFaultTests {
    @Test func legacyFaultsAreRecordedAndTheStreamGoesOn() async throws {
        let fixture = try ServeFixture(name: "faults")
        defer { fixture.remove() }
        let (broker, producer, store) = (fixture.broker, fixture.producer, fixture.store)
        let shared = try await TestSupport.legacy()
        let faulty = LegacyInvoiceService(
            interpreter: shared.interpreter, function: TestSupport.fixture("faulty_render"))
        // The deadline counts the wait in the shared interpreter's queue, where other suites stall
        // it on purpose for up to 1.5 s at a time: with 2 s, valid events timed out now and then.
        // The HANG event below holds the interpreter for all of it, so it stays well under the 10 s
        // those suites give the calls they expect to succeed.
        let serving = try await fixture.start(
            legacy: LegacyRenderer(service: faulty, timeout: .seconds(6)),
            objects: try DirectoryObjectStore(root: fixture.objectsDirectory), source: "faults")
        let engine = serving.engine

        func event(_ index: Int, name: String) throws -> [UInt8] {
            try TestSupport.sampleEvent { event in
                event["event_id"] = String(format: "6f1c2b1e-8d4a-4a51-9a53-%012d", index)
                event["invoice_seq"] = 5_000 + index
                event["customer"] = ["id": "cus_\(index)", "name": name, "email": "x@example.de"]
            }
        }
        func waitFor(_ completed: Int) async throws {
            try await serving.waitUntil(completed: completed)
        }

        // Given valid events mixed with an exception, sys.exit(), os._exit() and os.abort() in the legacy path
        let faults = ["RAISE", "EXIT", "OS_EXIT", "ABORT"]
        var index = 0
        for name in ["Ada", "Bea"] + faults + ["Cem", "Dora"] {
            _ = try await producer.send(topic: "money.events", key: nil, value: try event(index, name: name))
            index += 1
        }
        try await waitFor(8)
        // Then a call that hangs past its deadline, alone so that nothing queues behind it
        _ = try await producer.send(topic: "money.events", key: nil, value: try event(index, name: "HANG"))
        index += 1
        try await waitFor(9)
        // And valid events after it
        for name in ["Emil", "Finn"] {
            _ = try await producer.send(topic: "money.events", key: nil, value: try event(index, name: name))
            index += 1
        }
        try await waitFor(11)
        try await serving.stop()

        // Then the process is alive, every event has a row, the faults are recorded with their cause
        #expect(engine.counters.completed == 11)
        let rows = try store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.event_id, c.kind, d.legacy_error FROM comparison c
                    LEFT JOIN discrepancy d ON d.event_id = c.event_id ORDER BY c.event_id
                    """
            ).map { ($0["kind"] as String, $0["legacy_error"] as String?) }
        }
        #expect(rows.count == 11)
        let kinds = rows.map(\.0)
        #expect(kinds.filter { $0 == "match" }.count == 6, "\(rows)")
        let errors = rows.compactMap(\.1).joined(separator: "\n")
        #expect(errors.contains("ValueError"))
        #expect(errors.contains("SystemExit"))
        #expect(errors.contains("ProcessExitRefused") && errors.contains("os._exit(4,)"))
        #expect(errors.contains("os.abort()"))
        #expect(kinds.contains("timeout"))
        // The faults went to the dead-letter topic with their reasons; the valid events were published
        #expect(engine.counters.deadLettered == 5)
        #expect(engine.counters.published == 6)
        let dlq = try KafkaConsumer.make(
            bootstrapServers: broker.bootstrapServers, groupID: "check-dlq", topics: ["money.events.dlq"])
        let dead = await TestSupport.consume(dlq, count: 5, timeout: .seconds(30))
        let reasons = dead.compactMap { message in
            message.headers.first { $0.name == "reason" }.map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(reasons.contains { $0.hasPrefix("legacy failed: ValueError") })
        #expect(reasons.contains { $0 == "legacy timed out" })
        // And the interpreter still renders after all of it
        let after = await shared.render(event: try event(99, name: "Gus"), timeout: .seconds(10))
        #expect((try? after.result.get()) != nil)
        dlq.close()
        serving.consumer.close()
    }
}
