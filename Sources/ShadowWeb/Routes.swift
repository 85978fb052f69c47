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
                try store.dashboard(policy: configuration.policy), signatures: try store.signatureCounts(limit: 20),
                status: configuration.status(), losses: try store.losses(limit: 20)))
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
        return ShadowWeb.html(Pages.signature(detail))
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
        return try countries.map { country in
            let setting = settings[country] ?? FlagSetting(ShadowStore.defaultFlag)
            let flag = setting.state
            let evidence = try store.gateEvidence(country: country, policy: configuration.policy)
            let forward: CutoverFlag? =
                switch flag {
                case .legacy: .shadow
                case .shadow: .live
                case .live: .swift
                case .swift: nil
                }
            return Pages.FlagRow(
                country: country, flag: flag, percentage: setting.percentage, evidence: evidence,
                nextStep: forward.map { ($0, configuration.policy.decide(from: flag, to: $0, evidence: evidence)) })
        }
    }

    func flagsPage(message: (ok: Bool, text: String)?, status: HTTPResponse.Status) throws -> Response {
        ShadowWeb.html(
            Pages.flags(
                try flagRows(), history: try store.flagHistory(limit: 50), writesEnabled: !configuration.tokens.isEmpty,
                message: message), status: status)
    }

    func flagsJSON() throws -> Response {
        try ShadowWeb.json(
            try flagRows().map { row in
                FlagBody(
                    country: row.country, flag: row.flag.rawValue, percent: row.percentage, evidence: row.evidence,
                    next: row.nextStep.map {
                        NextStep(flag: $0.to.rawValue, allowed: $0.decision.allowed, reasons: $0.decision.reasons)
                    })
            })
    }

    func flagJSON(_ country: String) throws -> Response {
        guard ContractCountry.codes.contains(country) else { return unknownCountry(country) }
        let row = try flagRows([country])[0]
        return try ShadowWeb.json(
            FlagDetailBody(
                country: country, flag: row.flag.rawValue, percent: row.percentage, evidence: row.evidence,
                next: row.nextStep.map {
                    NextStep(flag: $0.to.rawValue, allowed: $0.decision.allowed, reasons: $0.decision.reasons)
                }, history: try store.flagHistory(country: country)))
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
        guard configuration.changeFlag == nil else {
            return ShadowWeb.problem(.conflict, "ramp plans do not travel between instances yet (serve --instance)")
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
        guard let target = CutoverFlag(rawValue: body.to ?? "swift"), body.holdSeconds >= 0 else {
            return ShadowWeb.problem(.badRequest, "to is live or swift, and hold_seconds is 0 or more")
        }
        do {
            return try ShadowWeb.json(
                try store.createPlan(
                    country: country, target: target, steps: body.steps,
                    hold: .milliseconds(Int64(body.holdSeconds * 1000)), actor: owner))
        } catch let error as ShadowStoreError {
            return ShadowWeb.problem(Self.status(of: error), error.message)
        }
    }

    /// `POST /api/plans/{country}/pause` (or `resume`, `cancel`) with a bearer token.
    func planAction(_ request: Request, country: String, action: String) throws -> Response {
        switch Authorization.check(request, tokens: configuration.tokens) {
        case .refused(let response): return response
        case .owner: break
        }
        let status: ShadowStore.RampPlan.Status
        switch action {
        case "pause": status = .paused
        case "resume": status = .running
        case "cancel": status = .cancelled
        default: return ShadowWeb.problem(.notFound, "no action \(action): pause, resume or cancel")
        }
        do {
            return try ShadowWeb.json(try store.setPlanStatus(country: country, to: status))
        } catch let error as ShadowStoreError {
            return ShadowWeb.problem(Self.status(of: error), error.message)
        }
    }

    /// `POST /flags`: the flags page's form (token in a form field, never in the URL).
    func submitFlagForm(_ request: Request) async throws -> Response {
        if Authorization.hasCredentialInQuery(request) {
            return try flagsPage(message: (false, problemText(.badRequest)), status: .badRequest)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: ShadowWeb.maximumBodyBytes)
        } catch {
            return try flagsPage(
                message: (false, "the form is larger than \(ShadowWeb.maximumBodyBytes) bytes"),
                status: .contentTooLarge)
        }
        let form = FormFields(String(buffer: body))
        let owner: String
        switch Authorization.verify(form["token"], tokens: configuration.tokens) {
        case .refused(let response):
            return try flagsPage(message: (false, problemText(response.status)), status: response.status)
        case .owner(let name): owner = name
        }
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
        var allowed: Bool
        var reasons: [String]
    }

    private struct FlagBody: Codable {
        var country: String
        var flag: String
        var percent: Double
        var evidence: CutoverEvidence
        var next: NextStep?
    }

    private struct FlagDetailBody: Codable {
        var country: String
        var flag: String
        var percent: Double
        var evidence: CutoverEvidence
        var next: NextStep?
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
