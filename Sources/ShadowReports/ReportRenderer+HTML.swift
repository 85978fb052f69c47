import Foundation
import ShadowCore

extension ReportRenderer {
    /// A self-contained HTML page (no scripts, nothing fetched): verdict, parity per country and
    /// business line, kinds, top signatures with one example diff each, latency per side, ignore
    /// rules and noise. Every value from an event, a diff or a traceback is escaped.
    /// - Parameter report: The report.
    public static func html(_ report: ParityReport) -> String {
        var body = ""
        let verdictClass = report.passed ? "pass" : "fail"
        body += "<h1>Shadow parity <span class=\"\(verdictClass)\">\(Format.percent(report.parity))</span></h1>\n"
        if let run = report.run {
            body += "<p class=\"run\">Run \(run.id): <code>\(Escape.html(run.source))</code>, started "
            body += "\(Escape.html(timestamp(run.startedMs)))</p>\n"
        }
        body += "<ul class=\"summary\">\n"
        body += "<li><b id=\"events\">\(report.events)</b> events</li>\n"
        body +=
            "<li>parity <b id=\"parity\">\(Format.percent(report.parity))</b> (required \(Format.percent(report.minParity)))</li>\n"
        body += "<li><b id=\"new-signatures\">\(report.newSignatures.count)</b> new signature(s)</li>\n"
        body +=
            "<li>verdict: <b class=\"\(verdictClass)\" id=\"verdict\">\(report.passed ? "passed" : "failed")</b></li>\n</ul>\n"

        body += "<h2>Parity per country and business line</h2>\n<table class=\"countries\">\n"
        body += "<tr><th>country / line</th><th>events</th><th>parity</th><th></th>"
        let kinds = DiscrepancyKind.allCases.filter { (report.byKind[$0.rawValue]?.count ?? 0) > 0 }
        for kind in kinds { body += "<th>\(kind.rawValue)</th>" }
        body += "</tr>\n"
        for key in report.byCountryLine.keys.sorted() {
            let tally = report.byCountryLine[key]!
            body += "<tr data-key=\"\(Escape.html(key))\"><td>\(Escape.html(key))</td><td>\(tally.events)</td>"
            body += "<td>\(Format.percent(tally.parity))</td>"
            body +=
                "<td><div class=\"bar\"><div style=\"width:\(Format.formatted(tally.parity, decimals: 1))%\"></div></div></td>"
            for kind in kinds { body += "<td>\(tally.byKind[kind.rawValue] ?? 0)</td>" }
            body += "</tr>\n"
        }
        body += "</table>\n"

        body +=
            "<h2>Kinds</h2>\n<table class=\"kinds\">\n<tr><th>kind</th><th>events</th><th>share</th><th>counts as parity</th></tr>\n"
        for kind in kinds {
            let count = report.byKind[kind.rawValue]!
            body += "<tr><td>\(kind.rawValue)</td><td>\(count.count)</td><td>\(Format.percent(count.percent))</td>"
            body += "<td>\(count.countsAsParity ? "yes" : "no")</td></tr>\n"
        }
        body += "</table>\n"

        body += "<h2>Top signatures</h2>\n"
        if report.signatures.isEmpty { body += "<p>None: every comparison is at parity.</p>\n" }
        for signature in report.signatures {
            body += "<section class=\"signature\" id=\"sig-\(signature.id)\">\n"
            body += "<h3>\(signature.count) × <code>\(Escape.html(signature.text))</code></h3>\n"
            body += "<p>id <code>\(signature.id)</code>; first seen \(Escape.html(timestamp(signature.firstSeenMs))), "
            body += "last seen \(Escape.html(timestamp(signature.lastSeenMs))); "
            if let known = signature.known {
                body += "known: \(Escape.html(known.reason)) (decision: \(Escape.html(known.decision)))</p>\n"
            } else {
                body += "<b class=\"fail\">new</b></p>\n"
            }
            if let example = signature.example {
                body += "<p>Example event <code>\(Escape.html(example.eventID))</code></p>\n"
                if !example.differences.isEmpty {
                    body += "<table class=\"diff\"><tr><th>path</th><th>legacy</th><th>swift</th></tr>\n"
                    for difference in example.differences.prefix(50) {
                        body += "<tr><td><code>\(Escape.html(difference.path))</code></td>"
                        body += "<td><code>\(Escape.html(difference.legacy ?? "(absent)"))</code></td>"
                        body += "<td><code>\(Escape.html(difference.swift ?? "(absent)"))</code></td></tr>\n"
                    }
                    body += "</table>\n"
                }
                if !example.htmlDiff.isEmpty {
                    body +=
                        "<pre class=\"html-diff\">\(Escape.html(example.htmlDiff.prefix(80).joined(separator: "\n")))</pre>\n"
                }
                if let error = example.legacyError {
                    body += "<p>legacy failed:</p><pre>\(Escape.html(errorText(error)))</pre>\n"
                }
                if let error = example.swiftError {
                    body += "<p>swift failed:</p><pre>\(Escape.html(errorText(error)))</pre>\n"
                }
            }
            body += "</section>\n"
        }

        body +=
            "<h2>Latency per side</h2>\n<table class=\"latency\"><tr><th>side</th><th>n</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>\n"
        for side in ["legacy", "swift"] {
            guard let latency = report.latencyMs[side] else { continue }
            body += "<tr><td>\(side)</td><td>\(latency.count)</td><td>\(Format.milliseconds(latency.p50))</td>"
            body += "<td>\(Format.milliseconds(latency.p90))</td><td>\(Format.milliseconds(latency.p99))</td>"
            body += "<td>\(Format.milliseconds(latency.max))</td></tr>\n"
        }
        body += "</table>\n"

        body += "<h2>Ignore rules</h2>\n"
        if report.ignoreRules.isEmpty {
            body += "<p class=\"ignore-rules\">None: every difference counts.</p>\n"
        } else {
            body += "<ul class=\"ignore-rules\">\n"
            for rule in report.ignoreRules {
                body += "<li><code>\(Escape.html(rule.display))</code>: \(Escape.html(rule.reason))</li>\n"
            }
            body += "</ul>\n"
        }
        body += "<h2>Noise</h2>\n"
        if report.noise.isEmpty {
            body += "<p>No field differed between two legacy runs (or the noise check was off).</p>\n"
        } else {
            body += "<ul class=\"noise\">\n"
            for noise in report.noise {
                body += "<li><code>\(Escape.html(noise.path))</code>: \(noise.events) events</li>\n"
            }
            body += "</ul>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>Shadow parity \(Format.percent(report.parity))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            .pass { color: #1a7f37; } .fail { color: #cf222e; }
            .bar { width: 10em; background: #f3d3d3; height: 0.8em; } .bar div { background: #2da44e; height: 100%; }
            pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; max-height: 30em; }
            code { word-break: break-all; }
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    private static func timestamp(_ milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return ISO8601DateFormatter().string(from: date)
    }

    /// The stored error JSON as readable text: type and message, then the traceback.
    private static func errorText(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return json
        }
        if let field = object["invalid_field"] as? String {
            return "invalid event: \(field): \(object["reason"] as? String ?? "")"
        }
        if object["timeout"] != nil { return "timed out" }
        let head =
            "\(object["origin"] as? String ?? ""): \(object["type"] as? String ?? ""): \(object["message"] as? String ?? "")"
        let detail = object["detail"] as? String ?? ""
        return detail.isEmpty ? head : head + "\n\n" + detail
    }
}
