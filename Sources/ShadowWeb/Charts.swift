import ShadowCore
import ShadowReports
import ShadowStore

/// Server-rendered SVG charts: nothing is fetched, nothing runs in the browser.
enum Charts {
    /// One line of a percent chart.
    struct Series {
        var label: String
        /// Percent per slice; nil leaves a gap.
        var values: [Double?]
        /// What each point's tooltip says.
        var titles: [String]
        var colour: String
        var width: Double
    }

    /// Parity over the window as a line (0–100 %); slices without comparisons leave a gap.
    static func parity(_ points: [DashboardSnapshot.ParityPoint], now: Int64) -> HTML {
        let span = span(from: points.first?.startMs, to: now)
        return lines(
            [
                Series(
                    label: "parity", values: points.map(\.parity),
                    titles: points.map { "\($0.parity.map(Format.percent) ?? "–") of \($0.comparisons)" },
                    colour: "#2f6fdf", width: 2)
            ], label: "Parity over the last \(span)", span: span, legend: false)
    }

    /// Swift's share of the invoices served over the window: all of them in a thick line, each country
    /// that served anything in a thin one.
    static func swiftShare(_ shares: [String: [DashboardSnapshot.SharePoint]], now: Int64) -> HTML {
        let span = span(from: shares["all"]?.first?.startMs, to: now)
        let palette = ["#e0912f", "#17692b", "#a1160a", "#7a3fb8", "#0d8a8a", "#b8568f", "#6b6b00", "#555f6e"]
        func series(_ key: String, colour: String, width: Double) -> Series {
            let points = shares[key] ?? []
            return Series(
                label: key == "all" ? "all countries" : key, values: points.map(\.share),
                titles: points.map { "\(key): \($0.share.map(Format.percent) ?? "–") of \($0.served)" },
                colour: colour, width: width)
        }
        let countries = ContractCountry.codes.filter { (shares[$0] ?? []).contains { $0.served > 0 } }
        return lines(
            countries.enumerated().map { series($1, colour: palette[$0 % palette.count], width: 1.2) }
                + [series("all", colour: "#2f6fdf", width: 3)],
            label: "Swift's share of invoices served over the last \(span)", span: span, legend: true)
    }

    /// How long the charts span, in the unit that reads best: `24 h`, `35 min`.
    private static func span(from start: Int64?, to now: Int64) -> String {
        let minutes = Double(now - (start ?? now)) / 60_000
        return minutes >= 120
            ? "\(Format.formatted(minutes / 60, decimals: 0)) h" : "\(Format.formatted(minutes, decimals: 0)) min"
    }

    private static func lines(_ series: [Series], label: String, span: String, legend: Bool) -> HTML {
        let width = 720.0
        let height = legend ? 200.0 : 180.0
        let left = 40.0
        let bottom = legend ? 44.0 : 24.0
        let plotWidth = width - left - 10
        let plotHeight = height - bottom - 10
        let count = series.map(\.values.count).max() ?? 0
        func x(_ index: Int) -> Double {
            left + (count <= 1 ? 0 : Double(index) * plotWidth / Double(count - 1))
        }
        func y(_ percent: Double) -> Double { 10 + (100 - percent) * plotHeight / 100 }
        func point(_ index: Int, _ value: Double) -> String {
            "\(Format.formatted(x(index), decimals: 1)),\(Format.formatted(y(value), decimals: 1))"
        }
        var svg: HTML = """
            <svg class="chart" role="img" aria-label="\(label)" \
            viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" \
            xmlns="http://www.w3.org/2000/svg">
            """
        for level in [0.0, 50, 90, 100] {
            svg += "<line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"\(y(level))\" y2=\"\(y(level))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(y(level) + 4)\" text-anchor=\"end\">\(Int(level))%</text>"
        }
        for line in series {
            var segments: [[String]] = [[]]
            for (index, value) in line.values.enumerated() {
                if let value {
                    segments[segments.count - 1].append(point(index, value))
                    let xy = point(index, value).split(separator: ",")
                    svg +=
                        "<circle cx=\"\(String(xy[0]))\" cy=\"\(String(xy[1]))\" r=\"\(Format.formatted(line.width + 0.5, decimals: 1))\" fill=\"\(line.colour)\">"
                        + "<title>\(line.titles[index])</title></circle>"
                } else if !segments[segments.count - 1].isEmpty {
                    segments.append([])
                }
            }
            for segment in segments where segment.count > 1 {
                svg +=
                    "<polyline points=\"\(segment.joined(separator: " "))\" fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"\(Format.formatted(line.width, decimals: 1))\"/>"
            }
        }
        svg +=
            "<text x=\"\(left)\" y=\"\(height - bottom + 18)\">−\(span)</text>"
        svg += "<text x=\"\(width - 10)\" y=\"\(height - bottom + 18)\" text-anchor=\"end\">now</text>"
        if legend {
            svg += "<text x=\"\(left)\" y=\"\(height - 6)\">"
            for line in series {
                svg += "<tspan fill=\"\(line.colour)\">■ \(line.label)</tspan> "
            }
            svg += "</text>"
        }
        return svg + "</svg>"
    }

    /// One histogram per side, bars on a shared bucket axis (heights relative to the side's largest bucket).
    static func latency(_ histograms: [String: [DashboardSnapshot.Bucket]]) -> HTML {
        let sides = ["legacy", "swift"]
        let buckets = histograms["legacy"]?.count ?? 0
        guard buckets > 0 else { return "" }
        let barWidth = 22.0
        let groupWidth = barWidth * 2 + 8
        let height = 180.0
        let plotHeight = 130.0
        let width = 40 + Double(buckets) * groupWidth
        var svg: HTML = """
            <svg class="chart" role="img" aria-label="Render latency histogram per side" \
            viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" \
            xmlns="http://www.w3.org/2000/svg">
            """
        for (sideIndex, side) in sides.enumerated() {
            let counts = (histograms[side] ?? []).map(\.count)
            let largest = max(1, counts.max() ?? 1)
            for (index, count) in counts.enumerated() {
                let barHeight = Double(count) * plotHeight / Double(largest)
                let x = 40 + Double(index) * groupWidth + Double(sideIndex) * barWidth
                svg +=
                    "<rect class=\"\(side)\" x=\"\(x)\" y=\"\(Format.formatted(10 + plotHeight - barHeight, decimals: 1))\" "
                    + "width=\"\(barWidth - 2)\" height=\"\(Format.formatted(barHeight, decimals: 1))\">"
                    + "<title>\(side): \(count)</title></rect>"
            }
        }
        for (index, bucket) in (histograms["legacy"] ?? []).enumerated() {
            let label = bucket.upperMs.map { "≤" + Format.formatted($0, decimals: $0 < 1 ? 2 : 0) } ?? "more"
            svg +=
                "<text x=\"\(40 + Double(index) * groupWidth + barWidth)\" y=\"\(height - 26)\" text-anchor=\"middle\">\(label)</text>"
        }
        svg += "<text x=\"40\" y=\"\(height - 6)\">ms per render · "
        svg += "<tspan class=\"legacy-text\">■ legacy</tspan> <tspan class=\"swift-text\">■ swift</tspan></text></svg>"
        return svg
    }
}
