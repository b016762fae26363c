import Testing

@testable import ImageService

@Suite struct MetricsRegistryTests {
    @Test func rendersCountersWithSortedEscapedLabels() {
        let registry = MetricsRegistry()
        registry.describe("x_total", type: "counter", help: "Things.")
        registry.increment("x_total", labels: ["route": "/a", "method": "GET"])
        registry.increment("x_total", labels: ["route": "/a", "method": "GET"], by: 2)
        registry.increment("x_total", labels: ["route": "say \"hi\"", "method": "POST"])
        #expect(
            registry.render() == """
                # HELP x_total Things.
                # TYPE x_total counter
                x_total{method="GET",route="/a"} 3
                x_total{method="POST",route="say \\"hi\\""} 1

                """)
    }

    @Test func rendersCumulativeHistogramBuckets() {
        let registry = MetricsRegistry()
        registry.observe("d_seconds", labels: ["op": "resize"], 0.02)
        registry.observe("d_seconds", labels: ["op": "resize"], 3)
        let text = registry.render()
        #expect(text.contains(#"d_seconds_bucket{le="0.01",op="resize"} 0"#))
        #expect(text.contains(#"d_seconds_bucket{le="0.025",op="resize"} 1"#))
        #expect(text.contains(#"d_seconds_bucket{le="5",op="resize"} 2"#))
        #expect(text.contains(#"d_seconds_bucket{le="+Inf",op="resize"} 2"#))
        #expect(text.contains(#"d_seconds_sum{op="resize"} 3.02"#))
        #expect(text.contains(#"d_seconds_count{op="resize"} 2"#))
        #expect(text.contains("# TYPE d_seconds histogram"))
    }

    @Test func rendersSamples() {
        let text = MetricsRegistry().render(samples: [.init("q_depth", "gauge", "Depth.", 4)])
        #expect(text == "# HELP q_depth Depth.\n# TYPE q_depth gauge\nq_depth 4\n")
    }
}
