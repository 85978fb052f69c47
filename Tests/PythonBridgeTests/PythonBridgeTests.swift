import Foundation
import PythonBridge
import ShadowCore
import TestSupport
import Testing

// Serialized: the calls share one Python thread anyway, and the deadline tests need it to themselves.
@Suite(.serialized) struct PythonBridgeTests {
    let timeout = Duration.seconds(30)

    @Test func manyConcurrentCallersEachGetTheirOwnAnswer() async throws {
        // Given the shared interpreter
        let legacy = try await TestSupport.legacy()
        // When 300 tasks call at once, echoes and real renders interleaved
        let answers = try await withThrowingTaskGroup(of: (Int, String, String).self) { group in
            for index in 0..<300 {
                group.addTask {
                    if index.isMultiple(of: 3) {
                        let event = try TestSupport.sampleEvent { $0["invoice_seq"] = index + 1 }
                        let run = await legacy.render(event: event, timeout: timeout)
                        let invoice = try TestSupport.object(try run.result.get().invoiceJSON)
                        return (
                            index, "DE-EATS-2026-\(String(format: "%08d", index + 1))",
                            invoice["number"] as? String ?? ""
                        )
                    }
                    let payload = "task \(index) ✓"
                    let outcome = await legacy.interpreter.call(
                        TestSupport.fixture("echo"), argument: Array(payload.utf8), timeout: timeout)
                    return (index, payload, try outcome.result.get()["text"] ?? "")
                }
            }
            var collected: [(Int, String, String)] = []
            for try await answer in group { collected.append(answer) }
            return collected
        }
        // Then every task got the answer to its own question
        #expect(answers.count == 300)
        for (index, expected, actual) in answers {
            #expect(actual == expected, "task \(index)")
        }
    }

    @Test func pythonExceptionBecomesASwiftErrorWithItsTraceback() async throws {
        let legacy = try await TestSupport.legacy()
        let outcome = await legacy.interpreter.call(
            TestSupport.fixture("fail"), argument: Array("abc".utf8), timeout: timeout)
        guard case .failure(.exception(let exception)) = outcome.result else {
            Issue.record("expected an exception, got \(outcome.result)")
            return
        }
        #expect(exception.type == "ValueError")
        #expect(exception.message == "cannot handle 3 bytes")
        #expect(exception.traceback.hasPrefix("Traceback (most recent call last):"))
        #expect(exception.traceback.contains("bridge_fixtures.py"))
        #expect(exception.traceback.contains("in _deep_helper"))
        #expect(exception.traceback.hasSuffix("ValueError: cannot handle 3 bytes\n"))
    }

    @Test func invalidEventBecomesATypedErrorNamingTheField() async throws {
        let legacy = try await TestSupport.legacy()
        let event = try TestSupport.sampleEvent { $0["schema_version"] = 2 }
        let run = await legacy.render(event: event, timeout: timeout)
        guard case .failure(.invalidInput(let field, let reason)) = run.result else {
            Issue.record("expected an invalid event, got \(run.result)")
            return
        }
        #expect(field == "schema_version")
        #expect(reason == "unsupported version 2 (this service reads 1)")
    }

    @Test(arguments: [
        "emoji 👩🏽‍💻🇩🇪", "right-to-left مرحبا بالعالم עברית", "combining e\u{301} a\u{308} Z\u{335}",
        "narrow no-break 1\u{202F}000\u{A0}€", "nul inside a\u{0}b", "",
    ])
    func stringsRoundTripUnchanged(text: String) async throws {
        let legacy = try await TestSupport.legacy()
        let outcome = await legacy.interpreter.call(
            TestSupport.fixture("echo"), argument: Array(text.utf8), timeout: timeout)
        let echoed = try outcome.result.get()
        #expect(echoed["text"] == text)
        #expect(Array(echoed["text"]!.utf8) == Array(text.utf8))
        #expect(echoed["length"] == String(text.unicodeScalars.count))
    }

    @Test func eventStringsSurviveTheLegacyRender() async throws {
        // U+0000 travels as a JSON escape inside the event, and comes back inside the invoice JSON.
        let name = "Zoë 👩🏽‍💻 مرحبا e\u{301} 1\u{202F}000 a\u{0}b"
        let legacy = try await TestSupport.legacy()
        let event = try TestSupport.sampleEvent { event in
            var customer = event["customer"] as! [String: Any]
            customer["name"] = name
            event["customer"] = customer
        }
        let rendered = try await legacy.render(event: event, timeout: timeout).result.get()
        let buyer = try TestSupport.object(rendered.invoiceJSON)["buyer"] as? [String: Any]
        #expect(buyer?["name"] as? String == name)
        #expect(rendered.html.contains("<p class=\"name\">\(name)</p>"))
    }

    @Test func aOneMegabyteEventRoundTrips() async throws {
        let legacy = try await TestSupport.legacy()
        // 1 MiB of text through the bridge and back
        let big = String(repeating: "ü€𝄞x", count: 1 << 18)
        let outcome = await legacy.interpreter.call(
            TestSupport.fixture("echo"), argument: Array(big.utf8), timeout: timeout)
        #expect(try outcome.result.get()["text"] == big)

        // and a 1 MiB legacy event: 500 items with long four-byte names, padded with JSON whitespace
        let itemName = String(repeating: "𝄞", count: 300)
        var event = try TestSupport.sampleEvent { event in
            var order = event["order"] as! [String: Any]
            order["items"] = (0..<500).map { index in
                ["name": itemName, "quantity": 1, "unit_price": "1.00", "category": "grocery"] as [String: Any]
            }
            event["order"] = order
        }
        event += Array(repeating: UInt8(ascii: " "), count: (1 << 20) - event.count)
        #expect(event.count == 1 << 20)
        let rendered = try await legacy.render(event: event, timeout: timeout).result.get()
        let invoice = try TestSupport.object(rendered.invoiceJSON)
        #expect((invoice["lines"] as? [Any])?.count == 502)
        #expect((invoice["totals"] as? [String: String])?["gross"] == "504.49")
    }

    @Test func aCallPastItsDeadlineTimesOutAndTheNextCallWorks() async throws {
        let legacy = try await TestSupport.legacy()
        for function in ["sleep", "spin", "swallow"] {
            // Other suites share the one Python thread: a slow call may time out while still queued
            // behind their calls. Try until one was running at its deadline (and so was interrupted).
            var interrupted = false
            for _ in 0..<5 where !interrupted {
                let before = legacy.interpreter.statistics.interrupted
                // When a call would take 30 s and its deadline is 1 s
                let started = ContinuousClock.now
                let slow = await legacy.interpreter.call(
                    TestSupport.fixture(function), argument: Array("30".utf8), timeout: .seconds(1))
                // Then its caller hears about it at the deadline
                guard case .failure(.timeout) = slow.result else {
                    Issue.record("\(function): expected a timeout, got \(slow.result)")
                    break
                }
                #expect(ContinuousClock.now - started < .seconds(5), "\(function)")
                // And the interpreter is free again: the next call is answered well before 30 s
                let next = await legacy.interpreter.call(
                    TestSupport.fixture("echo"), argument: Array("after \(function)".utf8), timeout: .seconds(10))
                #expect(try next.result.get()["text"] == "after \(function)")
                #expect(ContinuousClock.now - started < .seconds(12), "\(function)")
                interrupted = legacy.interpreter.statistics.interrupted > before
            }
            #expect(interrupted, "\(function) was never running at its deadline")
        }
    }

    @Test func aCallQueuedBehindAStuckOneTimesOutWithoutRunning() async throws {
        let legacy = try await TestSupport.legacy()
        async let slow = legacy.interpreter.call(
            TestSupport.fixture("sleep"), argument: Array("1.5".utf8), timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(100))
        let queued = await legacy.interpreter.call(
            TestSupport.fixture("echo"), argument: Array("late".utf8), timeout: .milliseconds(200))
        guard case .failure(.timeout) = queued.result else {
            Issue.record("expected a timeout, got \(queued.result)")
            return
        }
        #expect(queued.pythonTime == .zero)
        #expect(try await slow.result.get()["slept"] == "1.5")
    }

    @Test func resultsThatAreNotStringDictionariesAreBridgeErrors() async throws {
        let legacy = try await TestSupport.legacy()
        for function in ["returns_list", "returns_surrogate"] {
            let outcome = await legacy.interpreter.call(TestSupport.fixture(function), argument: [], timeout: timeout)
            guard case .failure(.bridge(let error)) = outcome.result else {
                Issue.record("\(function): expected a bridge error, got \(outcome.result)")
                continue
            }
            #expect(error.code == .badResult)
        }
    }

    @Test func sysExitIsRecordedAndTheInterpreterLivesOn() async throws {
        let legacy = try await TestSupport.legacy()
        let outcome = await legacy.interpreter.call(TestSupport.fixture("exits"), argument: [], timeout: timeout)
        guard case .failure(.exception(let exception)) = outcome.result else {
            Issue.record("expected SystemExit, got \(outcome.result)")
            return
        }
        #expect(exception.type == "SystemExit")
        #expect(exception.message == "3")
        let after = await legacy.interpreter.ping(argument: Array("still here".utf8), timeout: timeout)
        #expect(try after.result.get()["echo"] == "still here")
    }

    @Test func aMissingModuleIsAClearErrorNamingThePathSearched() async throws {
        let legacy = try await TestSupport.legacy()
        let outcome = await legacy.interpreter.call(
            PythonFunctionName(module: "no_such_legacy", name: "render_event"), argument: [], timeout: timeout)
        guard case .failure(.bridge(let error)) = outcome.result else {
            Issue.record("expected an import error, got \(outcome.result)")
            return
        }
        #expect(error.code == .importFailed)
        #expect(error.message.contains("No module named 'no_such_legacy'"))
        #expect(error.message.contains(TestSupport.legacyDirectory))
        #expect(error.message.contains("/usr/lib/python3/dist-packages"))
    }

    @Test func theInterpreterIsDebiansAndIsolated() async throws {
        let legacy = try await TestSupport.legacy()
        let outcome = await legacy.interpreter.call(TestSupport.fixture("environment"), argument: [], timeout: timeout)
        let environment = try outcome.result.get()
        #expect(environment["prefix"] == "/usr")
        #expect(environment["version"]?.hasPrefix("3.11.") == true)
        #expect(environment["jinja2"]?.hasPrefix("/usr/lib/python3/dist-packages/jinja2/") == true)
        #expect(
            environment["path"]?.split(separator: "\n").map(String.init)
                == [TestSupport.legacyDirectory, TestSupport.fixturesDirectory]
                + PythonConfiguration(searchPaths: []).systemPaths)
        #expect(outcome.pythonTime > .zero)
    }

    @Test func aSecondInterpreterIsRefused() async throws {
        _ = try await TestSupport.legacy()
        await #expect(throws: PythonBridgeError.self) {
            _ = try await PythonInterpreter.make(configuration: PythonConfiguration(searchPaths: []))
        }
    }

    @Test func thePythonThreadRunsWhereThePlacementSays() async throws {
        let legacy = try await TestSupport.legacy()
        let placement = legacy.interpreter.placement
        // Asked from inside the Python thread: the kernel's view of that very thread
        let outcome = await legacy.interpreter.call(
            TestSupport.fixture("thread_placement"), argument: [], timeout: timeout)
        let answer = try outcome.result.get()
        let allowed = ProcessInfo.processInfo.activeProcessorCount
        if allowed >= 2 {
            // Pinned to one CPU, the one the placement names
            let cpu = try #require(placement.cpu, "placement: \(placement)")
            #expect(answer["cpus"] == String(cpu))
        } else {
            #expect(placement.cpu == nil)
            #expect(placement.refused.contains { $0.contains("one CPU") })
        }
        // The nice value is the one reported; -10 unless the refusal says why not
        #expect(answer["nice"] == String(placement.nice))
        #expect(placement.nice == -10 || placement.refused.contains { $0.contains("CAP_SYS_NICE") })
        #expect(placement.description.hasPrefix("python thread: "))
    }
}
