import Foundation
import ShadowCore
import ShadowReports
import ShadowStore

/// The dashboard's HTML pages, written as ``HTML`` literals: every interpolated string (from an
/// event, a diff, a traceback, a flag reason or a token owner) is escaped unless it is itself
/// ``HTML``. Invoices are shown only inside sandboxed
/// frames (`srcdoc`, no scripts, an opaque origin), never in the dashboard's own document.
enum Pages {
    /// The response header that goes with every page: nothing loads from anywhere, no script runs.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; "
        + "base-uri 'none'; frame-ancestors 'none'"

    static func document(title: String, body: HTML) -> HTML {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · invoice-shadow</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
        header { background: #1d2430; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; }
        header a { color: #cfe0ff; text-decoration: none; }
        header strong { font-size: 16px; }
        main { padding: 16px 24px; max-width: 1400px; }
        table { border-collapse: collapse; background: #fff; margin: 8px 0 20px; }
        th, td { border: 1px solid #d8dde5; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #eef1f5; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, pre { font: 12px/1.4 ui-monospace, monospace; }
        pre { background: #fff; border: 1px solid #d8dde5; padding: 8px; overflow: auto; max-height: 320px; white-space: pre-wrap; word-break: break-all; }
        .flag { padding: 1px 6px; border-radius: 3px; font-weight: 600; }
        .flag-legacy { background: #e4e6ea; } .flag-shadow { background: #fff1c2; }
        .flag-live { background: #cdeccf; } .flag-swift { background: #9fd9a6; }
        .bad { color: #a1160a; font-weight: 600; } .good { color: #17692b; }
        .chart { background: #fff; border: 1px solid #d8dde5; margin: 4px 16px 16px 0; }
        .chart text { font-size: 10px; fill: #556; } .chart .grid { stroke: #e3e6eb; }
        .chart rect.legacy { fill: #e0912f; } .chart rect.swift { fill: #2f6fdf; }
        .legacy-text { fill: #e0912f; } .swift-text { fill: #2f6fdf; }
        .sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
        iframe { width: 100%; height: 480px; border: 1px solid #d8dde5; background: #fff; }
        .message { padding: 8px 12px; border: 1px solid; margin: 8px 0; background: #fff; }
        .message.error { border-color: #a1160a; color: #a1160a; } .message.ok { border-color: #17692b; color: #17692b; }
        form.change { background: #fff; border: 1px solid #d8dde5; padding: 12px; display: grid; grid-template-columns: max-content 320px; gap: 8px 12px; }
        </style>
        </head>
        <body>
        <header><strong>invoice-shadow</strong><a href="/">Overview</a><a href="/flags">Flags</a>\
        <a href="/metrics">Metrics</a><a href="/api/overview">JSON API</a></header>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    // MARK: - Overview

    static func overview(
        _ snapshot: DashboardSnapshot, flags: [FlagRow] = [], policy: CutoverPolicy = CutoverPolicy(),
        signatures: [DashboardSnapshot.SignatureCount], status: ServeStatus, losses: [ShadowStore.EventLoss] = [],
        daily: [ShadowStore.DailyParity] = []
    )
        -> HTML
    {
        var body: HTML = "<h1>Parity, last \(Format.formatted(snapshot.windowHours, decimals: 0)) hours</h1>"
        body +=
            "<p>Read \(time(snapshot.generatedMs)). serve: \(status.consumed) consumed, \(status.completed) recorded, "
            + "\(status.published) published, \(status.deadLettered) dead-lettered, \(status.skippedShadows) shadows skipped, "
            + "\(status.redelivered) delivered again.</p>"
        if !losses.isEmpty {
            let total = losses.reduce(Int64(0)) { $0 + $1.count }
            body += """
                <div class="message error" id="lost-events" role="alert">\(total) events were lost before serve \
                consumed them: the broker dropped them from its log (retention, or the embedded broker's size cap). \
                They were never compared or recorded.</div>
                <table id="losses"><thead><tr><th>Topic</th><th>Partition</th><th>Offsets</th><th>Events</th>\
                <th>Noticed</th></tr></thead><tbody>
                """
            for loss in losses {
                body += """
                    <tr><td>\(loss.topic)</td><td class="num">\(loss.partition)</td>\
                    <td class="num">\(loss.firstOffset)–\(loss.lastOffset)</td><td class="num">\(loss.count)</td>\
                    <td>\(time(loss.detectedMs))</td></tr>
                    """
            }
            body += "</tbody></table>"
        }
        body += """
            <table id="countries">
            <thead><tr><th>Country</th><th>Flag</th><th>Swift serves</th><th>Comparisons</th><th>Parity</th>\
            <th>Legacy p50</th><th>Legacy p99</th><th>Swift p50</th><th>Swift p99</th><th>Skipped shadows</th>\
            <th>Top signature</th><th>Next step</th><th>Plan</th></tr></thead>
            <tbody>
            """
        let cutover = Dictionary(flags.map { ($0.country, $0) }) { _, last in last }
        for row in snapshot.countries {
            let parity: HTML =
                row.parity.map { value -> HTML in
                    "<span class=\"\(value >= 99.9 ? "good" : "bad")\">\(Format.percent(value))</span>"
                } ?? "–"
            // What share of the country's invoices Swift published in the window (all of them in
            // legacy or swift mode too: those rows are one-sided comparisons).
            let served = row.comparisons + row.skippedShadows
            let swiftShare: HTML =
                served == 0 ? "–" : "\(Format.percent(Double(row.swiftServed) * 100 / Double(served)))"
            let top: HTML =
                row.topSignature.map { signature -> HTML in
                    "<a href=\"/signatures/\(signature.id)\"><code>\(signature.text)</code></a> (\(signature.count))"
                } ?? "–"
            body += """
                <tr data-country="\(row.country)"><td>\(row.country)</td>\
                <td>\(flag(row.flag, percentage: row.percentage))</td><td class="num">\(swiftShare)</td>\
                <td class="num">\(row.comparisons)</td><td class="num">\(parity)</td>\
                \(latencyCells(row.legacyLatency))\(latencyCells(row.swiftLatency))\
                <td class="num">\(row.skippedShadows)</td><td>\(top)</td>\
                <td>\(cutover[row.country].map { verdict($0, policy: policy) } ?? "–")</td>\
                <td class="plan">\(plan(cutover[row.country]?.plan))</td></tr>

                """
        }
        body += "</tbody></table>"
        let served = snapshot.countries.reduce(0) { $0 + $1.comparisons + $1.skippedShadows }
        if served > 0 {
            let swift = snapshot.countries.reduce(0) { $0 + $1.swiftServed }
            body +=
                "<p id=\"swift-share\">Swift served \(Format.percent(Double(swift) * 100 / Double(served))) of all invoices in the window.</p>"
        }
        body += "<h2>Parity over time</h2>" + Charts.parity(snapshot.parityOverTime, now: snapshot.generatedMs)
        body +=
            "<h2>Swift's share over time</h2>"
            + Charts.swiftShare(snapshot.swiftShareOverTime, now: snapshot.generatedMs)
        if daily.count > 1 {
            // Beyond the window, from the daily counts retention keeps.
            body +=
                "<h2>Parity per day</h2><table id=\"daily\"><thead><tr><th>Day (UTC)</th><th>Comparisons</th>"
                + "<th>Parity</th></tr></thead><tbody>"
            for day in daily.suffix(30).reversed() {
                let parity = day.comparisons == 0 ? 0 : Double(day.atParity) * 100 / Double(day.comparisons)
                body +=
                    "<tr><td>\(day.day)</td><td class=\"num\">\(day.comparisons)</td>"
                    + "<td class=\"num\">\(Format.percent(parity))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "<h2>Render latency</h2>" + Charts.latency(snapshot.latencyHistogram)
        body += "<h2>Signatures not at parity</h2>"
        if signatures.isEmpty {
            body += "<p>None: every comparison is at parity.</p>"
        } else {
            body +=
                "<table id=\"signatures\"><thead><tr><th>Signature</th><th>Kind</th><th>Events</th><th>Since</th></tr></thead><tbody>"
            for signature in signatures {
                let since: HTML =
                    signature.versions.change.map { change -> HTML in
                        "<span class=\"bad\" title=\"first seen with \(signature.versions.first?.description ?? "")\">new: \(change)</span>"
                    } ?? "\(signature.versions.first.map { "port \($0.port.prefix(12))" } ?? "–")"
                body +=
                    "<tr><td><a href=\"/signatures/\(signature.id)\"><code>\(signature.text)</code></a></td>"
                    + "<td>\(signature.kind)</td><td class=\"num\">\(signature.count)</td><td>\(since)</td></tr>"
            }
            body += "</tbody></table>"
        }
        return document(title: "Overview", body: body)
    }

    private static func latencyCells(_ latency: ParityReport.Latency) -> HTML {
        guard latency.count > 0 else { return "<td class=\"num\">–</td><td class=\"num\">–</td>" }
        return
            "<td class=\"num\">\(Format.milliseconds(latency.p50))</td><td class=\"num\">\(Format.milliseconds(latency.p99))</td>"
    }

    // MARK: - Signature

    static func signature(_ detail: SignatureDetail, storePath: String) -> HTML {
        var body: HTML = "<h1>Signature <code>\(detail.id)</code></h1>"
        body += "<p><code>\(detail.text)</code></p>"
        if let change = detail.versions.change, let before = detail.versions.before, let first = detail.versions.first {
            body += """
                <div class="message error" id="new-after-change">It appeared after a version change: \(change) \
                (first seen with \(first.description); before it the store ran \(before.description)).</div>
                """
        }
        body += """
            <p id="pin">Pin it as a regression test (the examples as stored, redacted):</p>
            <pre>invoice-shadow corpus add --signature \(detail.id) --db \(storePath)
            invoice-shadow replay Tests/Corpus/events.jsonl --signature \(detail.id)</pre>
            """
        body += "<table id=\"facts\"><tbody>"
        body += "<tr><th>Kind</th><td>\(detail.kind)</td></tr>"
        body +=
            "<tr><th>Country / line</th><td>\(detail.country) / \(detail.businessLine)</td></tr>"
        body += "<tr><th>Events</th><td class=\"num\">\(detail.count)</td></tr>"
        body += "<tr><th>First seen</th><td>\(time(detail.firstSeenMs))</td></tr>"
        body += "<tr><th>Last seen</th><td>\(time(detail.lastSeenMs))</td></tr>"
        body += "<tr><th>First seen with</th><td>\(detail.versions.first?.description ?? "–")</td></tr>"
        body += "<tr><th>Last seen with</th><td>\(detail.versions.last?.description ?? "–")</td></tr>"
        let affected = detail.countriesAffected.sorted { $0.key < $1.key }.map { (country, count) -> HTML in
            "\(country) (\(count))"
        }
        body += "<tr><th>Countries with this difference</th><td>\(affected.joined(separator: ", "))</td></tr>"
        body +=
            "<tr><th>Paths</th><td>\(detail.paths.map { path -> HTML in "<code>\(path)</code>" }.joined(separator: " "))</td></tr>"
        body += "</tbody></table>"
        if detail.examples.isEmpty { body += "<p>No example is stored (matches keep no details).</p>" }
        for example in detail.examples {
            body += "<section class=\"example\"><h2>Event <code>\(example.eventID)</code></h2>"
            if !example.differences.isEmpty {
                body +=
                    "<table class=\"diff\"><thead><tr><th>Path</th><th>Legacy</th><th>Swift</th></tr></thead><tbody>"
                for difference in example.differences {
                    body +=
                        "<tr><td><code>\(difference.path)</code></td>"
                        + "<td><code>\(difference.legacy ?? "(absent)")</code></td>"
                        + "<td><code>\(difference.swift ?? "(absent)")</code></td></tr>"
                }
                body += "</tbody></table>"
            }
            if let error = example.legacyError { body += "<h3>Legacy error</h3><pre>\(error)</pre>" }
            if let error = example.swiftError { body += "<h3>Swift error</h3><pre>\(error)</pre>" }
            if !example.htmlDiff.isEmpty {
                body += "<h3>HTML difference</h3><pre>\(example.htmlDiff.joined(separator: "\n"))</pre>"
            }
            if example.legacyHTML != nil || example.swiftHTML != nil {
                body += "<div class=\"sides\">"
                for (side, html) in [("Legacy", example.legacyHTML), ("Swift", example.swiftHTML)] {
                    body += "<div><h3>\(side)</h3>"
                    if let html {
                        // sandbox without allow-scripts or allow-same-origin: an opaque origin where nothing runs.
                        body +=
                            "<iframe sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"\(side) invoice\" srcdoc=\"\(html)\"></iframe>"
                    } else {
                        body += "<p>Not rendered.</p>"
                    }
                    body += "</div>"
                }
                body += "</div>"
            }
            body += "<h3>Event</h3><pre>\(example.event)</pre></section>"
        }
        return document(title: "Signature \(detail.id)", body: body)
    }

    // MARK: - Flags

    struct FlagRow {
        var country: String
        var flag: CutoverFlag
        /// With `live`, the share of customers Swift serves.
        var percentage: Double
        var evidence: CutoverEvidence
        /// Where the country goes next (its plan's next step, or the next state) and the gate's verdict.
        var nextStep: (to: FlagSetting, decision: CutoverPolicy.Decision)?
        var plan: ShadowStore.RampPlan?
    }

    /// The gate's verdict on a country's next step, with its bound: "live 25% allowed: parity ≥
    /// 99.93% ≥ 99.9% at 95%", or why not yet and about how long that takes.
    static func verdict(_ row: FlagRow, policy: CutoverPolicy) -> HTML {
        guard let step = row.nextStep else { return "–" }
        let target = step.to.description
        switch step.decision.verdict {
        case .allowed:
            let bound: HTML =
                step.decision.parityBound.map { bound -> HTML in
                    ": parity ≥ \(Format.percent(bound)) ≥ \(trimmed(policy.minimumParity))% at \(trimmed(policy.confidence * 100))%"
                } ?? ""
            return "<span class=\"good\">\(target) allowed</span>\(bound)"
        case .inconclusive(let needed):
            var text =
                "\(target) inconclusive: parity ≥ \(Format.percent(step.decision.parityBound ?? 0)) at \(trimmed(policy.confidence * 100))% over \(row.evidence.comparisons)"
            if let needed {
                text += "; about \(needed) more clean"
                if row.evidence.lastHourComparisons > 0 {
                    text +=
                        ", ~" + CutoverPolicy.duration(hours: Double(needed) / Double(row.evidence.lastHourComparisons))
                }
            }
            return "<span title=\"\(step.decision.reasons.joined(separator: "; "))\">\(text)</span>"
        case .refused:
            return "<span class=\"bad\">\(target) refused:</span> \(step.decision.reasons.joined(separator: "; "))"
        }
    }

    /// `99.9`, `95`: as few decimals as the value needs (up to three).
    private static func trimmed(_ value: Double) -> String {
        var text = Format.formatted(value, decimals: 3)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A ramp plan in a line: its path with the steps done in bold, its status, and what it waits for.
    static func plan(_ plan: ShadowStore.RampPlan?) -> HTML {
        guard let plan else { return "–" }
        var path: [HTML] = plan.steps.enumerated().map { index, percentage in
            let text = FlagSetting(.live, percentage: percentage).description.replacingOccurrences(
                of: "live ", with: "")
            return index < plan.step ? "<strong>\(text)</strong>" : "\(text)"
        }
        if plan.target == .swift { path.append(plan.step > plan.steps.count ? "<strong>swift</strong>" : "swift") }
        var cell: HTML =
            "\(path.joined(separator: " → ")) · <span class=\"plan-\(plan.status.rawValue)\">\(plan.status.rawValue)</span>"
        if let next = plan.next, [.running, .paused].contains(plan.status) { cell += " · next \(next.description)" }
        if !plan.note.isEmpty { cell += "<br><small>\(plan.note)</small>" }
        return cell
    }

    static func flags(
        _ rows: [FlagRow], policy: CutoverPolicy, history: [ShadowStore.FlagChange], writesEnabled: Bool,
        message: (ok: Bool, text: String)?
    ) -> HTML {
        var body: HTML = "<h1>Cutover flags</h1>"
        if let message {
            body +=
                "<div class=\"message \(message.ok ? "ok" : "error")\" role=\"status\">\(message.text)</div>"
        }
        body += """
            <p><code>legacy</code>: Python only · <code>shadow</code>: Python serves, Swift compared · \
            <code>live</code>: Swift serves, Python compared (<code>live 10%</code>: for 10% of the country's customers) · \
            <code>swift</code>: Swift only. Moving forward needs the evidence below; moving back is always allowed; \
            a live country goes back to shadow by itself on regression.</p>
            <table id="flags"><thead><tr><th>Country</th><th>Flag</th><th>Comparisons</th><th>Parity</th>\
            <th>Legacy p99</th><th>Swift p99</th><th>Next step</th><th>Plan</th></tr></thead><tbody>
            """
        for row in rows {
            body += """
                <tr data-country="\(row.country)"><td>\(row.country)</td><td>\(flag(row.flag, percentage: row.percentage))</td>\
                <td class="num">\(row.evidence.comparisons)</td><td class="num">\(Format.percent(row.evidence.parity))</td>\
                <td class="num">\(Format.milliseconds(row.evidence.legacyP99Ms))</td>\
                <td class="num">\(Format.milliseconds(row.evidence.swiftP99Ms))</td><td>\(verdict(row, policy: policy))</td>\
                <td class="plan">\(plan(row.plan))</td></tr>

                """
        }
        body += "</tbody></table><h2>Change a flag</h2>"
        if !writesEnabled {
            body +=
                "<div class=\"message error\">Writes are disabled: this serve was started without a tokens file "
                + "(<code>--tokens FILE</code>, one <code>OWNER TOKEN</code> per line).</div>"
        }
        body += """
            <form class="change" method="post" action="/flags">
            <label for="country">Country</label><select id="country" name="country">\
            \(ContractCountry.codes.map { code -> HTML in "<option>\(code)</option>" }.joined())</select>
            <label for="state">New flag</label><select id="state" name="state">\
            \(CutoverFlag.allCases.map { flag -> HTML in "<option>\(flag.rawValue)</option>" }.joined())</select>
            <label for="reason">Reason (required)</label><input id="reason" name="reason" required maxlength="500">
            <label for="token">Token (required)</label><input id="token" name="token" type="password" required autocomplete="off">
            <label for="force">Override the gate</label><input id="force" name="force" type="checkbox" value="on">
            <span></span><button type="submit">Change</button>
            </form>
            <h2>Ramp plans</h2>
            <p>A plan moves a country through live percentages (sticky by customer), a step at a time: each once \
            the hold has passed and the gate passes on that step's own evidence; it waits while inconclusive, and a \
            revert or a change by hand interrupts it.</p>
            <form class="change" method="post" action="/flags/plan">
            <label for="plan-country">Country</label><select id="plan-country" name="country">\
            \(ContractCountry.codes.map { code -> HTML in "<option>\(code)</option>" }.joined())</select>
            <label for="plan-action">Action</label><select id="plan-action" name="action">\
            <option>create</option><option>pause</option><option>resume</option><option>cancel</option></select>
            <label for="plan-steps">Steps (create)</label><input id="plan-steps" name="steps" value="1,5,25,50,100">
            <label for="plan-to">Ends at (create)</label><select id="plan-to" name="to"><option>swift</option>\
            <option>live</option></select>
            <label for="plan-hold">Hold, minutes (create)</label><input id="plan-hold" name="hold_minutes" value="30">
            <label for="plan-token">Token (required)</label><input id="plan-token" name="token" type="password" required autocomplete="off">
            <span></span><button type="submit">Submit</button>
            </form>
            <h2>History</h2>
            <table id="history"><thead><tr><th>When</th><th>Country</th><th>From</th><th>To</th><th>Who</th>\
            <th>Reason</th><th>Forced</th><th>Evidence</th></tr></thead><tbody>
            """
        for change in history {
            body += """
                <tr><td>\(time(change.changedMs))</td><td>\(change.country)</td>\
                <td>\(flag(change.from, percentage: change.fromSetting.percentage))</td>\
                <td>\(flag(change.to, percentage: change.toSetting.percentage))</td><td>\(change.actor)</td>\
                <td>\(change.reason)</td><td>\(change.forced ? "<span class=\"bad\">yes</span>" : "no" as HTML)</td>\
                <td>\(change.evidence.comparisons) comparisons, \(Format.percent(change.evidence.parity)), p99 \
                \(Format.milliseconds(change.evidence.legacyP99Ms)) / \(Format.milliseconds(change.evidence.swiftP99Ms))</td></tr>

                """
        }
        body += "</tbody></table>"
        return document(title: "Flags", body: body)
    }

    static func notFound(_ what: String) -> HTML {
        document(
            title: "Not found", body: "<h1>Not found</h1><p>\(what)</p><p><a href=\"/\">Overview</a></p>")
    }

    private static func flag(_ flag: CutoverFlag, percentage: Double = 100) -> HTML {
        "<span class=\"flag flag-\(flag.rawValue)\">\(FlagSetting(flag, percentage: percentage).description)</span>"
    }

    static func time(_ milliseconds: Int64) -> String {
        guard milliseconds > 0 else { return "–" }
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
