import Foundation
import ShadowHarness
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct RenderCommandTests {
    @Test func rendersTheSampleLikeThePythonCommand() throws {
        // When the sample DE eats event is rendered through the embedded interpreter
        let result = try TestSupport.run(["render", "legacy/samples/de-eats.json"])
        // Then it prints one JSON object with the invoice and the HTML, and exits 0 after finalizing Python
        #expect(result.status == 0, "\(result.error)")
        let output = try TestSupport.object(result.text)
        let invoice = try #require(output["invoice"] as? [String: Any])
        let totals = try #require(invoice["totals"] as? [String: String])
        // 7 %: 27.39 × 7/107 = 1.79; 19 %: 4.49 × 19/119 = 0.72; tax 2.51 on gross 31.88
        #expect(totals == ["net": "29.37", "tax": "2.51", "gross": "31.88", "tip": "3.00", "payable": "34.88"])
        #expect((output["html"] as? String)?.contains("Vereinfachte Rechnung") == true)
    }

    @Test func readsStandardInputAndReportsAnInvalidEvent() throws {
        let result = try TestSupport.run(["render", "-"], input: Data(#"{"schema_version": 2}"#.utf8))
        #expect(result.status != 0)
        #expect(result.error.contains("invalid event: schema_version: unsupported version 2"))
        #expect(result.output.isEmpty)
    }

    @Test func aMissingLegacyDirectoryIsNamed() throws {
        let result = try TestSupport.run(["render", "legacy/samples/de-eats.json", "--legacy", "/nonexistent/legacy"])
        #expect(result.status != 0)
        #expect(result.error.contains("cannot find the legacy service"))
        #expect(result.error.contains("/nonexistent/legacy"))
    }

    @Test func aLegacyDirectoryWithoutTheServiceFailsToImportNamingThePath() throws {
        // A directory that looks like the legacy (invoicing/__init__.py) but cannot be imported
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("broken-legacy-\(UUID())")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("invoicing"), withIntermediateDirectories: true)
        try Data("raise ImportError('the legacy is broken')\n".utf8).write(
            to: directory.appendingPathComponent("invoicing/__init__.py"))
        defer { try? FileManager.default.removeItem(at: directory) }

        let result = try TestSupport.run(["render", "legacy/samples/de-eats.json", "--legacy", directory.path])
        #expect(result.status != 0)
        #expect(result.error.contains("cannot import invoicing.render_event"))
        #expect(result.error.contains("the legacy is broken"))
        #expect(result.error.contains(directory.path))
    }
}

@Suite struct GenerateCommandTests {
    @Test func theSameSeedGivesTheSameBytes() throws {
        let first = try TestSupport.run(["generate", "--seed", "42", "--count", "300"])
        let second = try TestSupport.run(["generate", "--seed", "42", "--count", "300"])
        let other = try TestSupport.run(["generate", "--seed", "43", "--count", "300"])
        #expect(first.status == 0)
        #expect(first.output == second.output)
        #expect(first.output != other.output)
        #expect(first.text.split(separator: "\n").count == 300)
    }

    @Test func everyCountryAndLineAndRefundsAppear() throws {
        let result = try TestSupport.run(["generate", "--seed", "1", "--count", "2000"])
        var seen = Set<String>()
        for line in result.text.split(separator: "\n") {
            guard let event = try? TestSupport.object(String(line)) else { continue }
            seen.insert("\(event["country"] ?? "")/\(event["business_line"] ?? "")")
            seen.insert(event["event_type"] as? String ?? "")
        }
        for country in ["US", "GB", "DE", "FR", "NL", "CH", "SE", "JP", "IN", "MX"] {
            #expect(seen.contains("\(country)/rides") && seen.contains("\(country)/eats"), "\(country)")
        }
        #expect(seen.contains("refund_issued"))
    }

    @Test func badArgumentsAreExplained() throws {
        let result = try TestSupport.run(["generate", "--seed", "1", "--count=-5"])
        #expect(result.status != 0)
        #expect(result.error.contains("--count must be 0 or more"))
    }
}

@Suite struct BrokerCommandTests {
    @Test func theStandaloneBrokerPrintsItsAddressServesTopicsAndStopsOnSIGTERM() throws {
        let process = Process()
        process.executableURL = TestSupport.executable
        process.arguments = ["broker"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        // The first line is the bootstrap address.
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.hasPrefix("bootstrap: 127.0.0.1:"))
        let bootstrap = text.dropFirst("bootstrap: ".count).prefix { $0 != "\n" }

        // kcat, another client, sees the three topics, with the default partitions
        let kcat = Process()
        kcat.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        kcat.arguments = ["-b", String(bootstrap), "-L"]
        let listing = Pipe()
        kcat.standardOutput = listing
        try kcat.run()
        let metadata = String(decoding: listing.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        kcat.waitUntilExit()
        for topic in ["money.events", "money.events.dlq", "invoices.rendered"] {
            #expect(metadata.contains("topic \"\(topic)\" with 32 partitions"))
        }

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

@Suite struct FlagsCommandTests {
    @Test func aPlanIsMadeListedAndPaused() throws {
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID()).db").path
        let made = try TestSupport.run(["flags", "plan", "de", "--steps", "1,5,25", "--hold", "10m", "--db", db])
        #expect(made.status == 0, "\(made.error)")
        #expect(made.text == "DE: plan running, next live 1%\n")
        let list = try TestSupport.run(["flags", "plan", "--db", db])
        #expect(list.text == "DE  running  steps 1,5,25 → swift, 0 done\n")
        #expect(try TestSupport.run(["flags", "plan", "DE", "--pause", "--db", db]).text == "DE: plan paused\n")
        let twice = try TestSupport.run(["flags", "plan", "DE", "--steps", "1", "--hold", "1h", "--db", db])
        #expect(twice.status == 0)
        let bad = try TestSupport.run(["flags", "plan", "DE", "--steps", "50,10", "--db", db])
        #expect(bad.status != 0 && bad.error.contains("each larger than the one before"))
    }

    @Test func theGateIsExplainedAndForceIsAudited() throws {
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("flags-\(UUID()).db").path
        let refused = try TestSupport.run(["flags", "set", "DE", "live", "--reason", "ready?", "--db", db])
        #expect(refused.status != 0)
        #expect(
            refused.error.contains(
                "DE stays shadow: inconclusive: parity is at least 0.00% at 95% over 0 comparisons, not yet 99.90%; about 2703 more clean comparisons"
            ), "\(refused.error)")

        let forced = try TestSupport.run(
            ["flags", "set", "de", "live", "--reason", "incident 7", "--force", "--actor", "ana", "--db", db])
        #expect(forced.status == 0, "\(forced.error)")
        #expect(forced.text == "DE: shadow → live (forced)\n")

        let history = try TestSupport.run(["flags", "history", "DE", "--db", db])
        #expect(history.text.contains("DE  shadow → live  by ana (forced): incident 7"))
        let list = try TestSupport.run(["flags", "list", "--db", db])
        #expect(list.text.contains("DE       live"))
        // Every country shows the gate's verdict on its next step
        #expect(list.text.contains("live: not yet (about 2703 more clean)"), "\(list.text)")
        #expect(list.text.contains("swift: not yet (about 2703 more clean)"), "\(list.text)")

        let unknown = try TestSupport.run(["flags", "set", "DE", "half", "--reason", "x", "--db", db])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("unknown flag half"))
    }
}

@Suite struct ServeCommandTests {
    @Test func theDemoShowsEventsFlowing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-demo-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("shadow.db").path
        let result = try TestSupport.run([
            "serve", "--demo", "--duration", "8", "--db", db, "--objects",
            directory.appendingPathComponent("objects").path, "--http", "127.0.0.1:0",
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.text.hasPrefix("bootstrap: 127.0.0.1:"))
        #expect(result.text.contains("\nhttp: http://127.0.0.1:"))
        #expect(result.error.contains("serve: done:"))
        let rows = try ShadowStoreProbe.count(db)
        #expect(rows > 20)
        // The demo's story: a ramp plan for DE, under the demo-only gate, written down as it waits
        #expect(result.error.contains("demo: ramp plan for DE: live 10% → live 50% → swift"))
        #expect(result.error.contains("at least 200 comparisons, parity ≥ 99.0% at 95%"))
        let plan = try ShadowStoreProbe.lines(
            db, "SELECT actor, status, steps, hold_ms FROM ramp_plan WHERE country = 'DE'")
        #expect(plan == ["demo|running|[10,50]|30000"])
    }
}

extension ServeCommandTests {
    @Test func aTakenPortStopsServeWithAClearError() throws {
        // Given a port this test holds
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(holder, raw, length) == 0, listen(holder, 1) == 0, getsockname(holder, raw, &length) == 0
                else { throw CocoaError(.fileWriteUnknown) }
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-port-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        // When serve is asked to listen there, it stops with an error naming the address and the way out
        let result = try TestSupport.run([
            "serve", "--duration", "30", "--http", "127.0.0.1:\(port)", "--db",
            directory.appendingPathComponent("s.db").path,
            "--objects", directory.appendingPathComponent("o").path,
        ])
        #expect(result.status != 0)
        #expect(result.error.contains("cannot run on 127.0.0.1:\(port)"), "\(result.error)")
        #expect(result.error.contains("--http HOST:PORT"))
    }

    @Test func aMalformedAddressOrTokensFileIsRefusedBeforeStarting() throws {
        let address = try TestSupport.run(["serve", "--http", "8080"])
        #expect(address.status != 0)
        #expect(address.error.contains("--http takes HOST:PORT"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID())")
        try Data("alice short\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let tokens = try TestSupport.run(["serve", "--tokens", file.path])
        #expect(tokens.status != 0)
        #expect(tokens.error.contains("\(file.path):1: the token of alice is shorter than 16 characters"))
    }
}

/// Reads the demo's store with the sqlite3 shell, as an operator would.
enum ShadowStoreProbe {
    static func count(_ db: String, where condition: String = "1") throws -> Int {
        try scalar(db, "SELECT COUNT(*) FROM comparison WHERE \(condition)")
    }

    /// The integer `sql` selects, through the sqlite3 shell (0 when it answers nothing).
    static func scalar(_ db: String, _ sql: String) throws -> Int {
        Int(try lines(db, sql).first ?? "") ?? 0
    }

    /// The lines the sqlite3 shell prints for `sql`.
    static func lines(_ db: String, _ sql: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        // A busy timeout: without one the shell answers "database is locked" at once (read as 0 rows).
        process.arguments = ["-cmd", ".timeout 5000", db, sql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

extension RealProcesses {
    @Suite struct RestartTests {
        /// Starts `invoice-shadow` with `arguments` in the background.
        private func start(_ arguments: [String]) throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = TestSupport.executable
            process.arguments = arguments
            process.currentDirectoryURL = TestSupport.repositoryRoot
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, output)
        }

        @Test func aServeKilledMidStreamLosesNothingAndDuplicatesNoRow() async throws {
            // Given a standalone broker process and the first 1,500 of 3,000 events in money.events (the
            // rest comes after the kill, so the kill lands mid-stream however slowly this machine polls)
            let (broker, brokerOutput) = try start(["broker"])
            defer { broker.terminate() }
            var first = Data()
            while !first.contains(0x0A) { first.append(brokerOutput.fileHandleForReading.availableData) }
            let bootstrap = String(
                String(decoding: first, as: UTF8.self).dropFirst("bootstrap: ".count).prefix { $0 != "\n" })
            let lines = try TestSupport.run(["generate", "--seed", "5", "--count", "3000"]).output
                .split(separator: 0x0A, omittingEmptySubsequences: false)
            func produce(_ events: ArraySlice<Data.SubSequence>) throws {
                let kcat = Process()
                kcat.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
                kcat.arguments = ["-b", bootstrap, "-t", "money.events", "-P"]
                let input = Pipe()
                kcat.standardInput = input
                try kcat.run()
                for event in events { input.fileHandleForWriting.write(Data(event) + Data([0x0A])) }
                try input.fileHandleForWriting.close()
                kcat.waitUntilExit()
                #expect(kcat.terminationStatus == 0)
            }
            try produce(lines[0..<1_500])

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let db = directory.appendingPathComponent("shadow.db").path
            let serve = [
                "serve", "--brokers", bootstrap, "--no-http", "--db", db, "--objects",
                directory.appendingPathComponent("o").path,
            ]

            // When a serve is killed with SIGKILL part way through
            let (victim, _) = try start(serve)
            var rows = 0
            let deadline = ContinuousClock.now + .seconds(30)
            while rows < 50, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                rows = (try? ShadowStoreProbe.count(db)) ?? 0
            }
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            #expect(rows >= 50 && rows <= 1_500, "killed after \(rows) rows")

            // And another serve runs to the end, with the other 1,500 events arriving
            try produce(lines[1_500..<3_000])
            let (survivor, _) = try start(serve)
            let end = ContinuousClock.now + .seconds(60)
            while rows < 3000, ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(200))
                rows = (try? ShadowStoreProbe.count(db)) ?? 0
            }
            survivor.terminate()
            survivor.waitUntilExit()

            // Then every event has exactly one row
            #expect(rows == 3000)
            // and every rendered invoice was published at least once (the killed process may have published
            // some twice: duplicates share their key, the invoice number, and can be removed by it)
            let reader = Process()
            reader.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
            reader.arguments = [
                "-b", bootstrap, "-t", "invoices.rendered", "-C", "-o", "beginning", "-e", "-q", "-f", "%k\n",
            ]
            let keys = Pipe()
            reader.standardOutput = keys
            try reader.run()
            let published = String(decoding: keys.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n")
            reader.waitUntilExit()
            let rendered = try ShadowStoreProbe.count(db, where: "kind = 'match'")
            #expect(rendered > 2800)
            #expect(Set(published).count == rendered)
            #expect(published.count >= rendered)
        }
    }
}

@Suite struct RecordCommandTests {
    @Test func recordCopiesATopicByteForByteIntoTheReplayFormat() async throws {
        let broker = Process()
        broker.executableURL = TestSupport.executable
        broker.arguments = ["broker"]
        let output = Pipe()
        broker.standardOutput = output
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer { broker.terminate() }
        var first = Data()
        while !first.contains(0x0A) { first.append(output.fileHandleForReading.availableData) }
        let bootstrap = String(
            String(decoding: first, as: UTF8.self).dropFirst("bootstrap: ".count).prefix { $0 != "\n" })

        // Three events, one of them with a line break inside and one not UTF-8, produced by kcat with "|" between messages
        let kcat = Process()
        kcat.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        kcat.arguments = ["-b", bootstrap, "-t", "money.events", "-p", "0", "-P", "-D", "|"]
        let input = Pipe()
        kcat.standardInput = input
        try kcat.run()
        input.fileHandleForWriting.write(
            Data(#"{"a":1}|{"b":"x"#.utf8) + Data([0x0A]) + Data(#"y"}|"#.utf8) + Data([0xFF, 0x7B]))
        try input.fileHandleForWriting.close()
        kcat.waitUntilExit()

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recorded-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try TestSupport.run(["record", "--brokers", bootstrap, "--output", file, "--max", "3"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.error.contains("recorded 3 events"))
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == #"{"a":1}"#)
        #expect(lines[1].hasPrefix(#"{"$bytes":""#))
        // and replay reads back exactly the bytes that were on the topic
        let events = try ReplayInput.events(path: file)
        #expect(events[1] == Array(#"{"b":"x"#.utf8) + [0x0A] + Array(#"y"}"#.utf8))
        #expect(events[2] == [0xFF, 0x7B])
    }
}

@Suite struct FuzzRegressionTests {
    @Test func everySeedAndEveryPastFindingReplaysWithoutCrashOrDivergence() throws {
        let fuzz = TestSupport.executable.deletingLastPathComponent().appendingPathComponent("invoice-fuzz")
        let process = Process()
        process.executableURL = fuzz
        process.arguments = ["Tests/Fuzz/seeds", "Tests/Fuzz/regressions"]
        process.currentDirectoryURL = TestSupport.repositoryRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        let inputs = try ["Tests/Fuzz/seeds", "Tests/Fuzz/regressions"].map { directory in
            try FileManager.default.contentsOfDirectory(
                atPath: TestSupport.repositoryRoot.appendingPathComponent(directory).path
            ).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.count
        }.reduce(0, +)
        #expect(text.contains("invoice-fuzz: \(inputs) inputs, 0 findings"), "\(text)")
    }
}
