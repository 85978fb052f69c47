import ShadowReports
import ShadowStore

/// Server-rendered SVG charts: nothing is fetched, nothing runs in the browser.
enum Charts {
    /// Parity over the window as a line (0–100 %); slices without comparisons leave a gap.
    static func parity(_ points: [DashboardSnapshot.ParityPoint], windowHours: Double) -> HTML {
        let width = 720.0
        let height = 180.0
        let left = 40.0
        let bottom = 24.0
        let plotWidth = width - left - 10
        let plotHeight = height - bottom - 10
        func x(_ index: Int) -> Double {
            left + (points.count <= 1 ? 0 : Double(index) * plotWidth / Double(points.count - 1))
        }
        func y(_ parity: Double) -> Double { 10 + (100 - parity) * plotHeight / 100 }
        var svg: HTML = """
            <svg class="chart" role="img" aria-label="Parity over the last \(Format.formatted(windowHours, decimals: 0)) hours" \
            viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" \
            xmlns="http://www.w3.org/2000/svg">
            """
        for level in [0.0, 50, 90, 100] {
            svg += "<line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"\(y(level))\" y2=\"\(y(level))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(y(level) + 4)\" text-anchor=\"end\">\(Int(level))%</text>"
        }
        var segments: [[String]] = [[]]
        for (index, point) in points.enumerated() {
            if let parity = point.parity {
                segments[segments.count - 1].append(
                    "\(Format.formatted(x(index), decimals: 1)),\(Format.formatted(y(parity), decimals: 1))")
                svg +=
                    "<circle cx=\"\(Format.formatted(x(index), decimals: 1))\" cy=\"\(Format.formatted(y(parity), decimals: 1))\" r=\"2.5\">"
                    + "<title>\(Format.percent(parity)) of \(point.comparisons)</title></circle>"
            } else if !segments[segments.count - 1].isEmpty {
                segments.append([])
            }
        }
        for segment in segments where segment.count > 1 {
            svg += "<polyline class=\"line\" points=\"\(segment.joined(separator: " "))\"/>"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 6)\">−\(Format.formatted(windowHours, decimals: 0)) h</text>"
        svg += "<text x=\"\(width - 10)\" y=\"\(height - 6)\" text-anchor=\"end\">now</text></svg>"
        return svg
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
