import Foundation
import Hummingbird
import NIOCore
import ShadowCore
import ShadowStore

/// The route handlers; ``ShadowWeb/buildRouter(_:)`` wires them.
struct Routes: Sendable {
    let configuration: ShadowWeb.Configuration

    private var store: ShadowStore { configuration.store }

    /// 200 while every check passes, 503 naming those that fail.
    func health() throws -> Response {
        let report = configuration.health()
        let body = HealthBody(
            status: report.failing.isEmpty ? "ok" : "failing", checks: report.checks,
            failing: report.failing.map {
                HealthBody.Failing(
                    check: $0.check, reason: $0.reason, sinceMs: Int64($0.since.timeIntervalSince1970 * 1000))
            }, serve: configuration.status())
        var response = try ShadowWeb.json(body)
        if !report.failing.isEmpty { response.status = .serviceUnavailable }
        return response
    }

    /// 200 while serve consumes and every check passes: send it traffic; else 503.
    func ready() throws -> Response {
        let report = configuration.health()
        let ready = report.consuming && report.failing.isEmpty
        var response = try ShadowWeb.json(
            ReadyBody(ready: ready, consuming: report.consuming, failing: report.failing.map(\.check)))
        if !ready { response.status = .serviceUnavailable }
        return response
    }

    func metrics() -> Response {
        let bytes = configuration.metricsText.map { Array($0().utf8) } ?? configuration.metrics?.emitToBuffer() ?? []
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: - Overview

    func overviewPage() throws -> Response {
        ShadowWeb.html(
            Pages.overview(
                try store.dashboard(policy: configuration.policy), flags: try flagRows(), policy: configuration.policy,
                signatures: try store.signatureCounts(limit: 20), status: configuration.status(),
                losses: try store.losses(limit: 20), daily: try store.dailyParity(days: 30)))
    }

    func overviewJSON() throws -> Response {
        try ShadowWeb.json(
            OverviewBody(
                serve: configuration.status(), dashboard: try store.dashboard(policy: configuration.policy),
                signatures: try store.signatureCounts(limit: 20)))
    }

    // MARK: - Signatures

    func signaturePage(_ id: String) throws -> Response {
        guard let detail = try store.signatureDetail(id: id) else {
            return ShadowWeb.html(Pages.notFound("No signature \(id) in the store."), status: .notFound)
        }
        return ShadowWeb.html(Pages.signature(detail, storePath: store.path))
    }

    func signatureJSON(_ id: String) throws -> Response {
        guard let detail = try store.signatureDetail(id: id) else {
            return ShadowWeb.problem(.notFound, "no signature \(id) in the store")
        }
        return try ShadowWeb.json(detail)
    }

    // MARK: - Flags

    private func flagRows(_ countries: [String] = ContractCountry.codes) throws -> [Pages.FlagRow] {
        let settings = try store.flagSettings()
        let plans = Dictionary(try store.plans().map { ($0.country, $0) }) { _, last in last }
        return try countries.map { country in
            let setting = settings[country] ?? FlagSetting(ShadowStore.defaultFlag)
            let evidence = try store.gateEvidence(country: country, policy: configuration.policy)
            let plan = plans[country]
            // A plan that has not ended decides where the country goes next.
            let next =
                if let plan, [.running, .paused].contains(plan.status) { plan.next } else { setting.nextState }
            return Pages.FlagRow(
                country: country, flag: setting.state, percentage: setting.percentage, evidence: evidence,
                nextStep: next.map { ($0, configuration.policy.decide(from: setting, to: $0, evidence: evidence)) },
                plan: plan)
        }
    }

    func flagsPage(message: (ok: Bool, text: String)?, status: HTTPResponse.Status) throws -> Response {
        ShadowWeb.html(
            Pages.flags(
                try flagRows(), policy: configuration.policy, history: try store.flagHistory(limit: 50),
                writesEnabled: !configuration.tokens.isEmpty,
                message: message), status: status)
    }

    func flagsJSON() throws -> Response {
        try ShadowWeb.json(
            try flagRows().map { row in
                FlagBody(
                    country: row.country, flag: row.flag.rawValue, percent: row.percentage, evidence: row.evidence,
                    next: row.nextStep.map(NextStep.init), plan: row.plan)
            })
    }

    func flagJSON(_ country: String) throws -> Response {
        guard ContractCountry.codes.contains(country) else { return unknownCountry(country) }
        let row = try flagRows([country])[0]
        return try ShadowWeb.json(
            FlagDetailBody(
                country: country, flag: row.flag.rawValue, percent: row.percentage, evidence: row.evidence,
                next: row.nextStep.map(NextStep.init), plan: row.plan,
                history: try store.flagHistory(country: country)))
    }

    /// `PUT /api/flags/{country}` with a bearer token and `{"state", "percent", "reason", "force"}`.
    func putFlag(_ request: Request, country: String) async throws -> Response {
        let owner: String
        switch Authorization.check(request, tokens: configuration.tokens) {
        case .refused(let response): return response
        case .owner(let name): owner = name
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: ShadowWeb.maximumBodyBytes)
        } catch {
            return ShadowWeb.problem(.contentTooLarge, "the body is larger than \(ShadowWeb.maximumBodyBytes) bytes")
        }
        let change: FlagChangeRequest
        do {
            change = try JSONDecoder().decode(FlagChangeRequest.self, from: Data(buffer: body))
        } catch {
            return ShadowWeb.problem(
                .badRequest, #"the body must be JSON: {"state": "live", "reason": "why", "force": false}"#)
        }
        switch try await apply(
            country: country, state: change.state, percent: change.percent, reason: change.reason,
            force: change.force ?? false, owner: owner)
        {
        case .success(let flagChange): return try ShadowWeb.json(flagChange)
        case .failure(let failure): return ShadowWeb.problem(failure.status, failure.message)
        }
    }

    /// `PUT /api/plans/{country}` with a bearer token and `{"to": "swift", "steps": [1, 5, 25],
    /// "hold_seconds": 1800}`: a ramp plan that a running serve carries out.
    func putPlan(_ request: Request, country: String) async throws -> Response {
        let owner: String
        switch Authorization.check(request, tokens: configuration.tokens) {
        case .refused(let response): return response
        case .owner(let name): owner = name
        }
        struct Body: Decodable {
            var to: String?
            var steps: [Double]
            var holdSeconds: Double

            enum CodingKeys: String, CodingKey {
                case to, steps
                case holdSeconds = "hold_seconds"
            }
        }
        let body: Body
        do {
            let bytes = try await request.body.collect(upTo: ShadowWeb.maximumBodyBytes)
            body = try JSONDecoder().decode(Body.self, from: Data(buffer: bytes))
        } catch {
            return ShadowWeb.problem(
                .badRequest, #"the body must be JSON: {"to": "swift", "steps": [1, 5, 25], "hold_seconds": 1800}"#)
        }
        switch await submitPlan(
            country: country, action: "create", target: body.to ?? "swift", steps: body.steps,
            holdSeconds: body.holdSeconds, owner: owner)
        {
        case .success(let plan): return try ShadowWeb.json(plan)
        case .failure(let failure): return ShadowWeb.problem(failure.status, failure.message)
        }
    }

    /// `POST /api/plans/{country}/pause` (or `resume`, `cancel`) with a bearer token.
    func planAction(_ request: Request, country: String, action: String) async throws -> Response {
        let owner: String
        switch Authorization.check(request, tokens: configuration.tokens) {
        case .refused(let response): return response
        case .owner(let name): owner = name
        }
        switch await submitPlan(country: country, action: action, owner: owner) {
        case .success(let plan): return try ShadowWeb.json(plan)
        case .failure(let failure): return ShadowWeb.problem(failure.status, failure.message)
        }
    }

    /// `POST /flags/plan`: the flags page's plan form (`action` create, pause, resume or cancel).
    func submitPlanForm(_ request: Request) async throws -> Response {
        try await withAuthorizedForm(request) { form, owner in try await submitPlanForm(form, owner: owner) }
    }

    private func submitPlanForm(_ form: FormFields, owner: String) async throws -> Response {
        let country = form["country"] ?? ""
        let action = form["action"] ?? "create"
        let steps = (form["steps"] ?? "").split(separator: ",").map {
            Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan
        }
        let hold = (form["hold_minutes"]).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? .nan
        switch await submitPlan(
            country: country, action: action, target: form["to"] ?? "swift", steps: steps, holdSeconds: hold * 60,
            owner: owner)
        {
        case .success(let plan):
            return try flagsPage(
                message: (true, "\(plan.country): plan \(plan.status.rawValue) by \(owner)"), status: .ok)
        case .failure(let failure):
            return try flagsPage(message: (false, failure.message), status: failure.status)
        }
    }

    /// Checks a plan command against the store and carries it out: on the flags topic where
    /// instances share their flags, on the store otherwise.
    private func submitPlan(
        country: String, action: String, target: String = "swift", steps: [Double] = [], holdSeconds: Double = 0,
        owner: String
    ) async -> Result<ShadowStore.RampPlan, Failure> {
        guard let action = PlanRequest.Action(rawValue: action) else {
            return .failure(Failure(status: .notFound, message: "no action \(action): create, pause, resume or cancel"))
        }
        do {
            let request: PlanRequest
            if action == .create {
                guard let target = CutoverFlag(rawValue: target), holdSeconds >= 0 else {
                    return .failure(
                        Failure(status: .badRequest, message: "to is live or swift, and the hold is 0 or more"))
                }
                request = try store.planRequest(
                    country: country, target: target, steps: steps, hold: .milliseconds(Int64(holdSeconds * 1000)),
                    actor: owner)
            } else {
                request = try store.planRequest(country: country, action: action, actor: owner)
            }
            if let submit = configuration.submitPlan { return .success(try await submit(request)) }
            return .success(try store.apply(request))
        } catch let error as ShadowStoreError {
            return .failure(Failure(status: Self.status(of: error), message: error.message))
        } catch {
            return .failure(Failure(status: .serviceUnavailable, message: "\(error)"))
        }
    }

    /// `POST /flags`: the flags page's form (token in a form field, never in the URL).
    func submitFlagForm(_ request: Request) async throws -> Response {
        try await withAuthorizedForm(request) { form, owner in try await submitFlagForm(form, owner: owner) }
    }

    private func submitFlagForm(_ form: FormFields, owner: String) async throws -> Response {
        let country = form["country"] ?? ""
        let result = try await apply(
            country: country, state: form["state"], reason: form["reason"], force: form["force"] == "on", owner: owner)
        switch result {
        case .success(let change):
            return try flagsPage(
                message: (
                    true, "\(change.country): \(change.from.rawValue) → \(change.to.rawValue) by \(change.actor)"
                ),
                status: .ok)
        case .failure(let failure):
            return try flagsPage(message: (false, failure.message), status: failure.status)
        }
    }

    /// A form of the flags page with the owner of the token typed into it (never one in the URL),
    /// or the flags page saying why not.
    private func withAuthorizedForm(
        _ request: Request, _ body: (FormFields, String) async throws -> Response
    ) async throws -> Response {
        switch try await authorizedForm(request) {
        case .refused(let response): return response
        case .form(let form, let owner): return try await body(form, owner)
        }
    }

    private func authorizedForm(_ request: Request) async throws -> AuthorizedForm {
        if Authorization.hasCredentialInQuery(request) {
            return .refused(try flagsPage(message: (false, problemText(.badRequest)), status: .badRequest))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: ShadowWeb.maximumBodyBytes)
        } catch {
            return .refused(
                try flagsPage(
                    message: (false, "the form is larger than \(ShadowWeb.maximumBodyBytes) bytes"),
                    status: .contentTooLarge))
        }
        let form = FormFields(String(buffer: body))
        switch Authorization.verify(form["token"], tokens: configuration.tokens) {
        case .refused(let response):
            return .refused(try flagsPage(message: (false, problemText(response.status)), status: response.status))
        case .owner(let name): return .form(form, owner: name)
        }
    }

    private enum AuthorizedForm {
        case form(FormFields, owner: String)
        case refused(Response)
    }

    struct Failure: Error {
        var status: HTTPResponse.Status
        var message: String
    }

    private func apply(
        country: String, state: String?, percent: Double? = nil, reason: String?, force: Bool, owner: String
    ) async throws
        -> Result<
            ShadowStore.FlagChange, Failure
        >
    {
        guard let state, let flag = CutoverFlag(rawValue: state) else {
            return .failure(
                Failure(
                    status: .badRequest,
                    message: "state must be one of \(CutoverFlag.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if let percent, !(percent > 0 && percent <= 100) || (percent < 100 && flag != .live) {
            return .failure(
                Failure(status: .badRequest, message: "percent is for live only, above 0 and at most 100"))
        }
        do {
            let setting = FlagSetting(flag, percentage: percent ?? 100)
            if let changeFlag = configuration.changeFlag {
                return .success(try await changeFlag(country, setting, owner, reason ?? "", force))
            }
            return .success(
                try store.setFlag(
                    country: country, to: flag, percentage: setting.percentage, actor: owner, reason: reason ?? "",
                    force: force, policy: configuration.policy))
        } catch let error as ShadowStoreError {
            return .failure(Failure(status: Self.status(of: error), message: error.message))
        }
    }

    /// The status that tells a client why the store refused a flag change.
    static func status(of error: ShadowStoreError) -> HTTPResponse.Status {
        switch error.code {
        case .unknownCountry: .notFound
        case .invalidReason: .badRequest
        case .gateRefused, .superseded: .conflict
        case .notApplied: .serviceUnavailable
        default: .internalServerError
        }
    }

    private func unknownCountry(_ country: String) -> Response {
        ShadowWeb.problem(
            .notFound, "unknown country \(country) (one of \(ContractCountry.codes.joined(separator: ", ")))")
    }

    /// The form's wording of a refusal (the API's is JSON).
    private func problemText(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .unauthorized: "this needs a token: type it in the Token field"
        case .forbidden where configuration.tokens.isEmpty:
            "writes are disabled: this serve has no tokens (--tokens FILE)"
        case .forbidden: "the token is not one of this serve's tokens"
        default: "tokens are not accepted in the URL (URLs are logged)"
        }
    }

    // MARK: - Invoices

    func invoice(_ number: String, request: Request) throws -> Response {
        guard let objects = configuration.objects, let invoice = try objects.invoice(number: number) else {
            return ShadowWeb.problem(.notFound, "no invoice \(number) has been published")
        }
        let wantsJSON = request.headers[.accept].map { $0.contains("application/json") } ?? false
        if wantsJSON {
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: invoice.json)))
        }
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        // The customer's document: no script, no outside fetch, an opaque origin of its own.
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: invoice.html)))
    }

    // MARK: - Bodies

    private struct HealthBody: Codable {
        struct Failing: Codable {
            var check: String
            var reason: String
            var sinceMs: Int64

            enum CodingKeys: String, CodingKey {
                case check, reason
                case sinceMs = "since_ms"
            }
        }

        var status: String
        var checks: [String]
        var failing: [Failing]
        var serve: ServeStatus
    }

    private struct ReadyBody: Codable {
        var ready: Bool
        var consuming: Bool
        var failing: [String]
    }

    private struct OverviewBody: Codable {
        var serve: ServeStatus
        var dashboard: DashboardSnapshot
        var signatures: [DashboardSnapshot.SignatureCount]
    }

    private struct NextStep: Codable {
        var flag: String
        var percent: Double
        var allowed: Bool
        var verdict: String
        /// The lower confidence bound on parity, percent.
        var bound: Double?
        var reasons: [String]

        init(_ step: (to: FlagSetting, decision: CutoverPolicy.Decision)) {
            flag = step.to.state.rawValue
            percent = step.to.percentage
            allowed = step.decision.allowed
            verdict =
                switch step.decision.verdict {
                case .allowed: "allowed"
                case .inconclusive: "inconclusive"
                case .refused: "refused"
                }
            bound = step.decision.parityBound
            reasons = step.decision.reasons
        }
    }

    private struct FlagBody: Codable {
        var country: String
        var flag: String
        var percent: Double
        var evidence: CutoverEvidence
        var next: NextStep?
        var plan: ShadowStore.RampPlan?
    }

    private struct FlagDetailBody: Codable {
        var country: String
        var flag: String
        var percent: Double
        var evidence: CutoverEvidence
        var next: NextStep?
        var plan: ShadowStore.RampPlan?
        var history: [ShadowStore.FlagChange]
    }

    private struct FlagChangeRequest: Codable {
        var state: String?
        var percent: Double?
        var reason: String?
        var force: Bool?
    }
}

/// `application/x-www-form-urlencoded` fields; the last value of a repeated name wins.
struct FormFields {
    private var values: [String: String] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            values[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
    }

    subscript(name: String) -> String? { values[name] }
}
