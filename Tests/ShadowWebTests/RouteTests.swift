import DocumentStore
import Foundation
import Hummingbird
import InvoiceRenderers
import ShadowCore
import ShadowServe
import ShadowStore
import ShadowWeb
import Synchronization
import TestSupport
import Testing

/// A store with real comparisons: events rendered by the Swift port, with the "legacy" side made to
/// differ (a one-cent tax change, a Python traceback), and a hostile customer name throughout.
struct Fixture {
    static let hostileName = "<script>alert(1)</script>"
    let store: ShadowStore
    let objects: DirectoryObjectStore
    let mismatchSignature: String
    let failureSignature: String
    let invoiceNumber: String

    init() async throws {
        store = try ShadowStore.inMemory()
        objects = try DirectoryObjectStore(
            root: FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)").path)
        let run = try store.startRun(source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let swift = SwiftRenderer()
        let comparator = OutcomeComparator()
        var records: [ShadowStore.Record] = []
        var mismatch = ""
        var failure = ""
        var number = ""
        for index in 0..<40 {
            let event = try TestSupport.sampleEvent { event in
                event["event_id"] = String(format: "6f1c2b1e-8d4a-4a51-9a53-%012d", index)
                event["invoice_seq"] = 100 + index
                event["customer"] = ["id": "cus_\(index)", "name": Self.hostileName, "email": "x@example.de"]
            }
            let facts = EventFacts.read(event)
            let right = await swift.render(event: event)
            guard case .rendered(let invoice) = right.outcome else { throw CocoaError(.coderInvalidValue) }
            var left = right
            if index % 10 == 1 {
                // The legacy side is one cent off on the 7 % tax total.
                let changed = invoice.invoiceJSON.replacingOccurrences(of: "\"tax\":\"1.79\"", with: "\"tax\":\"1.80\"")
                #expect(changed != invoice.invoiceJSON)
                left = SideResult(
                    outcome: .rendered(RenderedInvoice(invoiceJSON: changed, html: invoice.html)),
                    latency: .milliseconds(2))
            } else if index % 10 == 2 {
                left = SideResult(
                    outcome: .failed(
                        RenderFailure(
                            origin: "python", type: "KeyError", message: "'\(Self.hostileName)'",
                            detail:
                                "Traceback (most recent call last):\n  File \"x.py\"\nKeyError: '\(Self.hostileName)'")),
                    latency: .milliseconds(1))
            }
            let comparison = comparator.compare(facts: facts, legacy: left, swift: right)
            if comparison.kind == .mismatch { mismatch = comparison.signature.id }
            if comparison.kind == .legacyError { failure = comparison.signature.id }
            records.append(
                ShadowStore.Record(comparison: comparison, event: event, primary: .legacy, recordedAt: Date()))
            if index == 0 {
                let key = try objects.put(Array(invoice.html.utf8))
                number = try TestSupport.object(invoice.invoiceJSON)["number"] as! String
                try objects.putInvoice(number: number, json: Array(invoice.invoiceJSON.utf8), htmlKey: key)
            }
        }
        try store.record(records, runID: run)
        mismatchSignature = mismatch
        failureSignature = failure
        invoiceNumber = number
    }

    func configuration(tokens: TokenBook = TokenBook(pairs: [(owner: "alice", token: "alice-token-0123456789")]))
        -> ShadowWeb.Configuration
    {
        ShadowWeb.Configuration(
            store: store, objects: objects,
            status: {
                ServeStatus(
                    consumed: 40, completed: 40, published: 40, deadLettered: 1, skippedShadows: 0, redelivered: 0)
            },
            metrics: ServeMetrics().registry, tokens: tokens)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(buffer: body)) }
}

@Suite struct RouteTests {
    @Test func overviewShowsEveryCountryWithRealNumbers() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration())
        try await withTestServer(router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                let page = response.text
                for country in ContractCountry.codes { #expect(page.contains("<tr data-country=\"\(country)\">")) }
                // DE: 40 comparisons, 4 mismatches + 4 legacy errors -> 80.00 % at parity.
                #expect(page.contains("<td class=\"num\">40</td>"))
                #expect(page.contains("80.00%"))
                #expect(page.contains("/signatures/\(fixture.mismatchSignature)"))
                #expect(page.contains("<svg class=\"chart\""))
                #expect(page.contains("Swift served 0.00% of all invoices in the window."))
            }
            try await client.execute(uri: "/api/overview", method: .get) { response in
                let body = try response.json() as? [String: Any]
                let dashboard = body?["dashboard"] as? [String: Any]
                let rows = dashboard?["countries"] as? [[String: Any]]
                #expect(rows?.count == 10)
                let germany = rows?.first { $0["country"] as? String == "DE" }
                #expect(germany?["comparisons"] as? Int == 40)
                #expect(germany?["parity"] as? Double == 80)
                #expect(germany?["flag"] as? String == "shadow")
                #expect(germany?["percentage"] as? Double == 100 && germany?["swift_served"] as? Int == 0)
                #expect((germany?["top_signature"] as? [String: Any])?["count"] as? Int == 4)
                #expect((germany?["legacy_latency_ms"] as? [String: Any])?["count"] as? Int == 40)
                let histogram = dashboard?["latency_histogram"] as? [String: [[String: Any]]]
                #expect(histogram?["swift"]?.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 40)
                #expect((body?["signatures"] as? [[String: Any]])?.count == 2)
            }
        }
    }

    @Test func signaturePageShowsDiffsAndSandboxedInvoices() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration())
        try await withTestServer(router) { client in
            try await client.execute(uri: "/signatures/\(fixture.mismatchSignature)", method: .get) { response in
                #expect(response.status == .ok)
                let page = response.text
                #expect(page.contains("<code>/tax_summary/1/tax</code>"))
                #expect(page.contains("&quot;1.80&quot;") && page.contains("&quot;1.79&quot;"))
                #expect(page.components(separatedBy: "<iframe sandbox=\"\"").count == 1 + 2 * 4)
                #expect(page.contains("DE (4)"))
            }
            try await client.execute(uri: "/api/signatures/\(fixture.failureSignature)", method: .get) { response in
                let body = try response.json() as? [String: Any]
                #expect(body?["kind"] as? String == "legacy_error")
                #expect(body?["count"] as? Int == 4)
                let example = (body?["examples"] as? [[String: Any]])?.first
                #expect((example?["legacy_error"] as? String)?.contains("Traceback") == true)
            }
            try await client.execute(uri: "/signatures/ffffffffffffffff", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func hostileCustomerNameIsTextOnEveryPage() async throws {
        let fixture = try await Fixture()
        try fixture.store.setFlag(
            country: "DE", to: .legacy, actor: "t", reason: "rollback of \(Fixture.hostileName)")
        let router = ShadowWeb.buildRouter(fixture.configuration())
        try await withTestServer(router) { client in
            // The overview shows no names; the others show the name (in events, invoices, tracebacks, reasons).
            try await client.execute(uri: "/", method: .get) { response in
                #expect(!response.text.lowercased().contains("<script"))
            }
            let pages = [
                "/flags", "/signatures/\(fixture.mismatchSignature)", "/signatures/\(fixture.failureSignature)",
            ]
            for uri in pages {
                try await client.execute(uri: uri, method: .get) { response in
                    let page = response.text
                    #expect(!page.lowercased().contains("<script"), "\(uri) has a raw <script")
                    // `</script>` is `<\/script>` inside the event's JSON text.
                    #expect(page.contains("&lt;script&gt;alert(1)&lt;"), "\(uri) does not show the name as text")
                }
            }
        }
    }

    @Test func theOverviewShowsEachCountrysVerdictPlanAndSwiftsShareOverTime() async throws {
        // Given FR live for half its customers with 3,000 clean comparisons since, half served by Swift
        let fixture = try await Fixture()
        try fixture.store.setFlag(
            country: "FR", to: .live, percentage: 50, actor: "alice", reason: "ramp", force: true,
            now: Date().addingTimeInterval(-60))
        let run = try fixture.store.startRun(
            source: "test", ignoreRules: IgnoreRules(), noiseCheck: false, startedAt: Date())
        let side = SideResult(
            outcome: .rendered(RenderedInvoice(invoiceJSON: "{}", html: "")), latency: .milliseconds(1))
        try fixture.store.record(
            (0..<3_000).map { index in
                ShadowStore.Record(
                    comparison: OutcomeComparator().compare(
                        facts: EventFacts(
                            eventID: "fr-\(index)", country: "FR", businessLine: "eats", eventType: "order_delivered"),
                        legacy: side, swift: side), event: [], primary: index % 2 == 0 ? .swift : .legacy,
                    recordedAt: Date())
            }, runID: run)
        let router = ShadowWeb.buildRouter(fixture.configuration())
        try await withTestServer(router) { client in
            // When a plan for NL is made through the flags page's form
            try await client.execute(
                uri: "/flags/plan", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(
                    string:
                        "country=NL&action=create&steps=1%2C5%2C25&to=swift&hold_minutes=30&token=alice-token-0123456789"
                )
            ) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("NL: plan running by alice"))
            }
            // Then the overview shows each verdict with its bound, the plan, and Swift's share over time
            try await client.execute(uri: "/", method: .get) { response in
                let page = response.text
                let france = try #require(page.range(of: "<tr data-country=\"FR\">"))
                let row = page[france.lowerBound...].prefix { $0 != "\n" }
                #expect(row.contains("live 50%"))
                #expect(row.contains("swift allowed</span>: parity ≥ 99.90% ≥ 99.9% at 95%"))
                let germany = try #require(page.range(of: "<tr data-country=\"DE\">"))
                #expect(page[germany.lowerBound...].prefix { $0 != "\n" }.contains("live refused:"))
                let netherlands = try #require(page.range(of: "<tr data-country=\"NL\">"))
                let plan = page[netherlands.lowerBound...].prefix { $0 != "\n" }
                #expect(
                    plan.contains("1% → 5% → 25% → swift · <span class=\"plan-running\">running</span> · next live 1%"))
                #expect(plan.contains("live 1% inconclusive: parity ≥ 0.00% at 95% over 0; about 2703 more clean"))
                #expect(page.contains("aria-label=\"Swift&#39;s share of invoices served"))
                #expect(page.contains("■ FR"))
            }
            try await client.execute(uri: "/api/overview", method: .get) { response in
                let dashboard = (try response.json() as? [String: Any])?["dashboard"] as? [String: Any]
                let shares = dashboard?["swift_share_over_time"] as? [String: [[String: Any]]]
                #expect(shares?["all"]?.reduce(0) { $0 + ($1["swift"] as? Int ?? 0) } == 1_500)
                #expect(shares?["all"]?.reduce(0) { $0 + ($1["served"] as? Int ?? 0) } == 3_040)
                #expect(shares?["FR"]?.reduce(0) { $0 + ($1["served"] as? Int ?? 0) } == 3_000)
            }
            try await client.execute(uri: "/api/flags/NL", method: .get) { response in
                let detail = try response.json() as? [String: Any]
                let next = detail?["next"] as? [String: Any]
                #expect(next?["flag"] as? String == "live" && next?["percent"] as? Double == 1)
                #expect(next?["verdict"] as? String == "inconclusive")
                #expect((detail?["plan"] as? [String: Any])?["status"] as? String == "running")
            }
        }
    }

    @Test func aPlanIsMadeAndPausedThroughTheAPIWithAToken() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration())
        let body = ByteBuffer(string: #"{"to": "swift", "steps": [1, 5, 25], "hold_seconds": 1800}"#)
        try await withTestServer(router) { client in
            try await client.execute(uri: "/api/plans/DE", method: .put, body: body) { response in
                #expect(response.status == .unauthorized)
            }
            #expect(try fixture.store.plans().isEmpty)
            let token: HTTPFields = [.authorization: "Bearer alice-token-0123456789"]
            try await client.execute(uri: "/api/plans/DE", method: .put, headers: token, body: body) { response in
                #expect(response.status == .ok)
                let plan = try response.json() as? [String: Any]
                #expect(plan?["actor"] as? String == "alice")
                #expect(plan?["status"] as? String == "running")
                #expect(plan?["hold_ms"] as? Int == 1_800_000)
            }
            try await client.execute(uri: "/api/plans/DE/pause", method: .post, headers: token) { response in
                #expect(response.status == .ok)
            }
            #expect(try fixture.store.plans().first?.status == .paused)
            try await client.execute(uri: "/api/plans/DE/jump", method: .post, headers: token) { response in
                #expect(response.status == .notFound)
            }
            let falling = ByteBuffer(string: #"{"steps": [50, 10], "hold_seconds": 0}"#)
            try await client.execute(uri: "/api/plans/FR", method: .put, headers: token, body: falling) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/plans", method: .get) { response in
                let plans = try response.json() as? [[String: Any]]
                #expect(plans?.count == 1)
            }
        }
    }

    @Test func flagChangeNeedsAGoodTokenAndLandsInTheAudit() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration())
        let body = ByteBuffer(string: #"{"state": "legacy", "reason": "incident 42", "force": false}"#)
        try await withTestServer(router) { client in
            try await client.execute(uri: "/api/flags/DE", method: .put, body: body) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            try await client.execute(
                uri: "/api/flags/DE", method: .put, headers: [.authorization: "Bearer not-a-token-000000000"],
                body: body
            ) { response in
                #expect(response.status == .forbidden)
            }
            #expect(try fixture.store.flagHistory().isEmpty)
            try await client.execute(
                uri: "/api/flags/DE", method: .put, headers: [.authorization: "Bearer alice-token-0123456789"],
                body: body
            ) { response in
                #expect(response.status == .ok)
                let change = try response.json() as? [String: Any]
                #expect(change?["actor"] as? String == "alice")
                #expect(change?["to"] as? String == "legacy")
            }
            let audit = try fixture.store.flagHistory()
            #expect(audit.count == 1)
            #expect(audit.first?.actor == "alice")
            #expect(audit.first?.reason == "incident 42")
            #expect(try fixture.store.flags()["DE"] == .legacy)
            // The gate still applies: 40 comparisons at 80 % cannot go live.
            try await client.execute(
                uri: "/api/flags/DE", method: .put, headers: [.authorization: "Bearer alice-token-0123456789"],
                body: ByteBuffer(string: #"{"state": "live", "reason": "try"}"#)
            ) { response in
                #expect(response.status == .conflict)
                #expect(response.text.contains("parity 80"))
            }
            try await client.execute(uri: "/api/flags/DE", method: .get) { response in
                let detail = try response.json() as? [String: Any]
                #expect(detail?["flag"] as? String == "legacy")
                #expect((detail?["history"] as? [[String: Any]])?.first?["actor"] as? String == "alice")
            }
        }
    }

    @Test func theFlagsPageFormChangesAFlagWithAToken() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration())
        let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        try await withTestServer(router) { client in
            try await client.execute(
                uri: "/flags", method: .post, headers: headers,
                body: ByteBuffer(string: "country=FR&state=legacy&reason=audit+test&token=wrong-token-0000000")
            ) { response in
                #expect(response.status == .forbidden)
                #expect(response.text.contains("not one of this serve"))
            }
            try await client.execute(
                uri: "/flags", method: .post, headers: headers,
                body: ByteBuffer(string: "country=FR&state=legacy&reason=audit+test%21&token=alice-token-0123456789")
            ) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("FR: shadow → legacy by alice"))
            }
            #expect(try fixture.store.flagHistory(country: "FR").first?.reason == "audit test!")
        }
    }

    @Test func writesAreRefusedWhenNoTokenIsConfigured() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration(tokens: .none))
        try await withTestServer(router) { client in
            try await client.execute(
                uri: "/api/flags/DE", method: .put, headers: [.authorization: "Bearer anything-at-all-000000"],
                body: ByteBuffer(string: #"{"state": "legacy", "reason": "x"}"#)
            ) { response in
                #expect(response.status == .forbidden)
                #expect(response.text.contains("writes are disabled"))
            }
            try await client.execute(uri: "/flags", method: .get) { response in
                #expect(response.text.contains("Writes are disabled"))
            }
        }
        #expect(try fixture.store.flagHistory().isEmpty)
    }

    @Test func invoicesAsHTMLOrJSONAndHealthAndMetrics() async throws {
        let fixture = try await Fixture()
        let configuration = fixture.configuration()
        let router = ShadowWeb.buildRouter(configuration)
        try await withTestServer(router) { client in
            // The published invoice, personal data and all, is for token holders only, even on loopback
            try await client.execute(uri: "/invoices/\(fixture.invoiceNumber)", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            let token: HTTPFields = [.authorization: "Bearer alice-token-0123456789"]
            try await client.execute(uri: "/invoices/\(fixture.invoiceNumber)", method: .get, headers: token) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
                #expect(response.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            }
            try await client.execute(
                uri: "/invoices/\(fixture.invoiceNumber)", method: .get,
                headers: [.accept: "application/json", .authorization: "Bearer alice-token-0123456789"]
            ) { response in
                let invoice = try response.json() as? [String: Any]
                #expect(invoice?["number"] as? String == fixture.invoiceNumber)
            }
            try await client.execute(uri: "/invoices/..%2F..%2Fetc%2Fpasswd", method: .get, headers: token) {
                response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/health", method: .get) { response in
                let body = try response.json() as? [String: Any]
                #expect(body?["status"] as? String == "ok")
                #expect((body?["serve"] as? [String: Any])?["dead_lettered"] as? Int == 1)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(response.text.contains("# TYPE invoice_shadow_events_total counter"))
                #expect(response.text.contains("invoice_shadow_render_seconds_bucket{side=\"legacy\""))
            }
        }
    }

    @Test func healthNamesFailingChecksWith503AndReadinessNeedsConsumingAndHealthy() async throws {
        let fixture = try await Fixture()
        let report = Mutex(HealthReport(checks: ["store", "broker"], failing: [], consuming: true))
        var configuration = fixture.configuration()
        configuration.health = { report.withLock { $0 } }
        configuration.readsNeedToken = true  // health and readiness stay open to load balancers
        try await withTestServer(ShadowWeb.buildRouter(configuration)) { client in
            // Given a consuming serve with every check passing: both answer 200
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try response.json() as? [String: Any]
                #expect(body?["status"] as? String == "ok")
                #expect(body?["checks"] as? [String] == ["store", "broker"])
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
            }
            // When the broker check fails: 503, naming it and why
            report.withLock {
                $0.failing = [HealthReport.Failure(check: "broker", reason: "no broker answers", since: Date())]
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try response.json() as? [String: Any]
                #expect(body?["status"] as? String == "failing")
                let failing = body?["failing"] as? [[String: Any]]
                #expect(failing?.first?["check"] as? String == "broker")
                #expect(failing?.first?["reason"] as? String == "no broker answers")
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            // And a healthy serve that is not consuming (starting, or stopping) is not ready either
            report.withLock {
                $0.failing = []
                $0.consuming = false
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    @Test func eventsLostBeforeConsumptionAreShownOnTheOverview() async throws {
        // Given a store that recorded a loss of offsets 100...149 of partition 2
        let fixture = try await Fixture()
        try fixture.store.recordLoss(
            ShadowStore.EventLoss(
                topic: "money.events", partition: 2, firstOffset: 100, lastOffset: 149, detected: Date()))
        #expect(try fixture.store.lostEventCount() == 50)
        #expect(try fixture.store.losses().first?.count == 50)
        // Then the overview says so, above everything else
        try await withTestServer(ShadowWeb.buildRouter(fixture.configuration())) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.text.contains(#"<div class="message error" id="lost-events" role="alert">50 events"#))
                #expect(response.text.contains("<td class=\"num\">100–149</td>"))
            }
        }
    }

    @Test func readsBeyondLoopbackNeedAToken() async throws {
        let fixture = try await Fixture()
        var configuration = fixture.configuration()
        configuration.readsNeedToken = true
        let router = ShadowWeb.buildRouter(configuration)
        try await withTestServer(router) { client in
            try await client.execute(uri: "/", method: .get) { response in #expect(response.status == .unauthorized) }
            try await client.execute(uri: "/health", method: .get) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer alice-token-0123456789"])
            { response in #expect(response.status == .ok) }
        }
        #expect(ShadowWeb.isLoopback("127.0.0.1") && !ShadowWeb.isLoopback("0.0.0.0"))
    }
}

@Suite struct FlagsAPIAttackTests {
    static let token = "alice-token-0123456789"

    /// Everything an attack could change: flags, audit, and the tables themselves.
    private func snapshot(_ store: ShadowStore) throws -> String {
        try store.read { db in
            let flags = try String.fetchAll(db, sql: "SELECT country || '=' || state FROM flag ORDER BY country")
            let audit = try String.fetchAll(db, sql: "SELECT country || ':' || reason FROM flag_audit ORDER BY id")
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            return (flags + ["|"] + audit + ["|"] + tables).joined(separator: ",")
        }
    }

    @Test func attacksAreRefusedWithTheRightStatusAndChangeNothing() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration())
        let before = try snapshot(fixture.store)
        let good = ByteBuffer(string: #"{"state": "legacy", "reason": "attack test"}"#)
        let cases: [(String, String, HTTPFields, ByteBuffer, HTTPResponse.Status)] = [
            ("no token", "/api/flags/DE", [:], good, .unauthorized),
            ("wrong token", "/api/flags/DE", [.authorization: "Bearer alice-token-0123456780"], good, .forbidden),
            ("not a bearer", "/api/flags/DE", [.authorization: "Basic YWxpY2U6cGFzcw=="], good, .unauthorized),
            ("token in the query", "/api/flags/DE?token=\(Self.token)", [:], good, .badRequest),
            (
                "token in the query beside a good header", "/api/flags/DE?access_token=x",
                [.authorization: "Bearer \(Self.token)"], good, .badRequest
            ),
            (
                "oversized body", "/api/flags/DE", [.authorization: "Bearer \(Self.token)"],
                ByteBuffer(
                    string: #"{"state": "legacy", "reason": ""# + String(repeating: "x", count: 20_000) + #""}"#),
                .contentTooLarge
            ),
            ("unknown country", "/api/flags/XX", [.authorization: "Bearer \(Self.token)"], good, .notFound),
            (
                "SQL in the country", "/api/flags/DE';%20DROP%20TABLE%20flag;--",
                [.authorization: "Bearer \(Self.token)"], good, .notFound
            ),
            (
                "unknown state", "/api/flags/DE", [.authorization: "Bearer \(Self.token)"],
                ByteBuffer(string: #"{"state": "everything", "reason": "x"}"#), .badRequest
            ),
            (
                "not JSON", "/api/flags/DE", [.authorization: "Bearer \(Self.token)"],
                ByteBuffer(string: "state=legacy"), .badRequest
            ),
            (
                "no reason", "/api/flags/DE", [.authorization: "Bearer \(Self.token)"],
                ByteBuffer(string: #"{"state": "legacy", "reason": "   "}"#), .badRequest
            ),
        ]
        try await withTestServer(router) { client in
            for (name, uri, headers, body, status) in cases {
                try await client.execute(uri: uri, method: .put, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(name): \(response.status)")
                    #expect(response.text.contains("\"error\""), "\(name) does not say why")
                }
            }
        }
        #expect(try snapshot(fixture.store) == before)
    }

    @Test func sqlMetacharactersInAReasonAreStoredAsText() async throws {
        let fixture = try await Fixture()
        let router = ShadowWeb.buildRouter(fixture.configuration())
        let reason = #"x'); DROP TABLE flag_audit; UPDATE flag SET state='swift' WHERE ('1'='1 -- "quoted" \ back"#
        let body = try JSONSerialization.data(withJSONObject: ["state": "legacy", "reason": reason])
        try await withTestServer(router) { client in
            try await client.execute(
                uri: "/api/flags/FR", method: .put, headers: [.authorization: "Bearer \(Self.token)"],
                body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/flags", method: .get) { response in
                #expect(response.text.contains("x&#39;); DROP TABLE flag_audit;"))
            }
        }
        // The change happened, exactly as asked, and nothing else did
        let audit = try fixture.store.flagHistory()
        #expect(audit.count == 1)
        #expect(audit.first?.reason == reason)
        let flags = try fixture.store.flags()
        #expect(flags["FR"] == .legacy)
        #expect(flags.filter { $0.key != "FR" }.values.allSatisfy { $0 == .shadow })
    }
}
