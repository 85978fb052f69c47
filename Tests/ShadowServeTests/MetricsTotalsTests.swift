import ShadowServe
import Testing

@Suite struct MetricsTotalsTests {
    static let worker1 = """
        # HELP invoice_shadow_events_total Events consumed.
        # TYPE invoice_shadow_events_total counter
        invoice_shadow_events_total 10
        # HELP invoice_shadow_health 1 while passing.
        # TYPE invoice_shadow_health gauge
        invoice_shadow_health{check="store"} 1
        invoice_shadow_health{check="python"} 1
        # TYPE invoice_shadow_render_seconds histogram
        invoice_shadow_render_seconds_bucket{side="swift",le="0.001"} 3
        invoice_shadow_render_seconds_sum{side="swift"} 0.5
        invoice_shadow_render_seconds_count{side="swift"} 3
        # TYPE invoice_shadow_events_in_flight gauge
        invoice_shadow_events_in_flight 4
        """
    static let worker2 = """
        # HELP invoice_shadow_events_total Events consumed.
        # TYPE invoice_shadow_events_total counter
        invoice_shadow_events_total 32
        # TYPE invoice_shadow_health gauge
        invoice_shadow_health{check="store"} 1
        invoice_shadow_health{check="python"} 0
        # TYPE invoice_shadow_render_seconds histogram
        invoice_shadow_render_seconds_bucket{side="swift",le="0.001"} 2
        invoice_shadow_render_seconds_sum{side="swift"} 0.25
        invoice_shadow_render_seconds_count{side="swift"} 2
        """

    @Test func countersAndHistogramsAddUpAndHealthIsTheWorst() {
        let total = MetricsTotals.sum([Self.worker1, Self.worker2])
        let lines = total.split(separator: "\n").map(String.init)
        #expect(lines.contains("invoice_shadow_events_total 42"))
        #expect(lines.contains(#"invoice_shadow_health{check="store"} 1"#))
        #expect(lines.contains(#"invoice_shadow_health{check="python"} 0"#))
        #expect(lines.contains(#"invoice_shadow_render_seconds_bucket{side="swift",le="0.001"} 5"#))
        #expect(lines.contains(#"invoice_shadow_render_seconds_sum{side="swift"} 0.75"#))
        #expect(lines.contains("invoice_shadow_events_in_flight 4"))
        // Each family once, its samples right after its TYPE line
        #expect(lines.filter { $0 == "# TYPE invoice_shadow_events_total counter" }.count == 1)
        let type = lines.firstIndex(of: "# TYPE invoice_shadow_render_seconds histogram")!
        #expect(lines[type + 1].hasPrefix("invoice_shadow_render_seconds_bucket"))
        #expect(MetricsTotals.failingChecks(in: total) == ["python"])
        #expect(MetricsTotals.value(of: "invoice_shadow_events_total", in: total) == 42)
    }

    @Test func whatAnExitedWorkerLeavesIsWhatCountsUp() {
        let left = MetricsTotals.counting(Self.worker1)
        #expect(left.contains("invoice_shadow_events_total 10"))
        #expect(left.contains("invoice_shadow_render_seconds_count"))
        #expect(!left.contains("invoice_shadow_health"))
        #expect(!left.contains("invoice_shadow_events_in_flight"))
    }
}
