import Foundation
import ShadowCore

/// A parity report in the four formats: HTML for people, Markdown for pull requests, JSON for
/// machines, JUnit XML for CI. Pure functions of a ``ParityReport``.
public enum ReportRenderer {
    /// The JSON report: ``ParityReport`` with snake_case keys, keys sorted.
    /// - Parameter report: The report.
    public static func json(_ report: ParityReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Every field is a finite number, a string, a bool or a container of those: encoding cannot fail.
        let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The Markdown summary, for a pull request comment.
    /// - Parameter report: The report.
    public static func markdown(_ report: ParityReport) -> String {
        var lines: [String] = []
        let verdict = report.passed ? "✅ passed" : "❌ failed"
        lines.append("## Shadow parity: \(Format.percent(report.parity)) (\(verdict))")
        lines.append("")
        if let run = report.run { lines.append("Run \(run.id): `\(Escape.markdown(run.source))`") }
        lines.append(
            "\(report.events) events; parity \(Format.percent(report.parity)), required \(Format.percent(report.minParity)); "
                + "\(report.newSignatures.count) new signature(s).")
        lines.append("")
        lines.append("| kind | events | share | counts as parity |")
        lines.append("|---|---:|---:|---|")
        for kind in DiscrepancyKind.allCases {
            guard let count = report.byKind[kind.rawValue], count.count > 0 else { continue }
            lines.append(
                "| \(kind.rawValue) | \(count.count) | \(Format.percent(count.percent)) | \(count.countsAsParity ? "yes" : "no") |"
            )
        }
        lines.append("")
        lines.append("| country / line | events | parity | not at parity |")
        lines.append("|---|---:|---:|---:|")
        for key in report.byCountryLine.keys.sorted() {
            let tally = report.byCountryLine[key]!
            lines.append(
                "| \(Escape.markdown(key)) | \(tally.events) | \(Format.percent(tally.parity)) | \(tally.compared - tally.parityEvents) |"
            )
        }
        lines.append("")
        if !report.signatures.isEmpty {
            lines.append("### Top signatures")
            lines.append("")
            lines.append("| count | signature | id | known |")
            lines.append("|---:|---|---|---|")
            for signature in report.signatures.prefix(15) {
                lines.append(
                    "| \(signature.count) | `\(Escape.markdown(signature.text))` | \(signature.id) | "
                        + "\(signature.known.map { "yes: " + Escape.markdown($0.reason) } ?? "**new**") |")
            }
            lines.append("")
        }
        lines.append("### Latency (ms)")
        lines.append("")
        lines.append("| side | n | p50 | p90 | p99 | max |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for side in ["legacy", "swift"] {
            guard let latency = report.latencyMs[side] else { continue }
            lines.append(
                "| \(side) | \(latency.count) | \(Format.formatted(latency.p50, decimals: 2)) | "
                    + "\(Format.formatted(latency.p90, decimals: 2)) | \(Format.formatted(latency.p99, decimals: 2)) | "
                    + "\(Format.formatted(latency.max, decimals: 2)) |")
        }
        lines.append("")
        lines.append("### Ignore rules")
        lines.append("")
        if report.ignoreRules.isEmpty {
            lines.append("None: every difference counts.")
        } else {
            for rule in report.ignoreRules {
                lines.append("- `\(Escape.markdown(rule.display))`: \(Escape.markdown(rule.reason))")
            }
        }
        if !report.noise.isEmpty {
            lines.append("")
            lines.append("### Noise (differs between two legacy runs)")
            lines.append("")
            for noise in report.noise { lines.append("- `\(Escape.markdown(noise.path))`: \(noise.events) events") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// JUnit XML: one test case for overall parity, one per country and line, one per signature
    /// (a new signature fails, a known one is skipped with its reason).
    /// - Parameter report: The report.
    public static func junit(_ report: ParityReport) -> String {
        struct Case {
            var classname: String
            var name: String
            var failure: (message: String, body: String)?
            var skipped: String?
        }
        var parityCases: [Case] = []
        parityCases.append(
            Case(
                classname: "parity", name: "overall parity ≥ \(Format.percent(report.minParity))",
                failure: report.parity >= report.minParity
                    ? nil
                    : ("parity \(Format.percent(report.parity)) is below \(Format.percent(report.minParity))", ""),
                skipped: nil))
        for key in report.byCountryLine.keys.sorted() {
            let tally = report.byCountryLine[key]!
            parityCases.append(
                Case(
                    classname: "parity.\(key.replacingSlash())",
                    name: "\(key) parity ≥ \(Format.percent(report.minParity))",
                    failure: tally.parity >= report.minParity
                        ? nil
                        : (
                            "\(key): parity \(Format.percent(tally.parity)) over \(tally.compared) events",
                            tally.byKind.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                                separator: "\n")
                        ),
                    skipped: nil))
        }
        var signatureCases: [Case] = []
        for signature in report.signatures {
            var body = "signature \(signature.id): \(signature.count) events\n"
            if let example = signature.example {
                body += "example event \(example.eventID)\n"
                for difference in example.differences.prefix(20) {
                    body +=
                        "\(difference.path): legacy \(difference.legacy ?? "(absent)") swift \(difference.swift ?? "(absent)")\n"
                }
                if let error = example.legacyError { body += "legacy error: \(error)\n" }
                if let error = example.swiftError { body += "swift error: \(error)\n" }
            }
            signatureCases.append(
                Case(
                    classname: "signature.\(signature.kind)", name: signature.text,
                    failure: signature.known == nil ? ("new discrepancy signature \(signature.id)", body) : nil,
                    skipped: signature.known.map { "known: \($0.reason) (\($0.decision))" }))
        }
        func suite(_ name: String, _ cases: [Case]) -> String {
            let failures = cases.filter { $0.failure != nil }.count
            let skipped = cases.filter { $0.skipped != nil }.count
            var xml =
                "  <testsuite name=\"\(Escape.xml(name))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\">\n"
            for testCase in cases {
                xml +=
                    "    <testcase classname=\"\(Escape.xml(testCase.classname))\" name=\"\(Escape.xml(testCase.name))\""
                if let failure = testCase.failure {
                    xml +=
                        ">\n      <failure message=\"\(Escape.xml(failure.message))\">\(Escape.xml(failure.body))</failure>\n    </testcase>\n"
                } else if let skipped = testCase.skipped {
                    xml += ">\n      <skipped message=\"\(Escape.xml(skipped))\"/>\n    </testcase>\n"
                } else {
                    xml += "/>\n"
                }
            }
            return xml + "  </testsuite>\n"
        }
        let all = parityCases + signatureCases
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="invoice-shadow parity" tests="\(all.count)" failures="\(all.filter { $0.failure != nil }.count)">
            \(suite("parity", parityCases))\(suite("signatures", signatureCases))</testsuites>

            """
    }
}

extension String {
    fileprivate func replacingSlash() -> String {
        String(map { $0 == "/" ? "." : $0 })
    }
}
