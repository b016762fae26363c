import Foundation
import Synchronization

/// Counters and histograms with labels, rendered in the Prometheus text format (version 0.0.4).
///
/// Small on purpose: the few metric kinds the service needs, one lock, no allocation per update once a series
/// exists. Label values come from bounded sets (route templates, never raw paths).
public final class MetricsRegistry: Sendable {
    /// Histogram buckets in seconds, from a fast request to a slow job.
    public static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private struct SeriesKey: Hashable {
        var name: String
        var labels: [String: String]
    }

    private struct Histogram {
        var bucketCounts: [Int]
        var count = 0
        var sum = 0.0
    }

    private struct State {
        var help: [String: (type: String, text: String)] = [:]
        var counters: [SeriesKey: Double] = [:]
        var histograms: [SeriesKey: Histogram] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Declares a metric's type and help text (once, before or after its first update).
    public func describe(_ name: String, type: String, help: String) {
        state.withLock { $0.help[name] = (type, help) }
    }

    /// Adds `amount` to a counter.
    public func increment(_ name: String, labels: [String: String] = [:], by amount: Double = 1) {
        state.withLock { $0.counters[SeriesKey(name: name, labels: labels), default: 0] += amount }
    }

    /// Records one observation in a histogram.
    public func observe(_ name: String, labels: [String: String] = [:], _ value: Double) {
        state.withLock { state in
            let key = SeriesKey(name: name, labels: labels)
            var histogram =
                state.histograms[key] ?? Histogram(bucketCounts: Array(repeating: 0, count: Self.durationBuckets.count))
            for (index, bound) in Self.durationBuckets.enumerated() where value <= bound {
                histogram.bucketCounts[index] += 1
            }
            histogram.count += 1
            histogram.sum += value
            state.histograms[key] = histogram
        }
    }

    /// A value the caller reads at render time (a gauge, or a counter kept elsewhere).
    public struct Sample {
        public var name: String
        public var type: String
        public var help: String
        public var value: Double

        public init(_ name: String, _ type: String, _ help: String, _ value: Double) {
            (self.name, self.type, self.help, self.value) = (name, type, help, value)
        }
    }

    /// The exposition text of every series, plus `samples` read by the caller now.
    public func render(samples: [Sample] = []) -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        let counterNames = Set(snapshot.counters.keys.map(\.name))
        for name in counterNames.sorted() {
            header(name, defaultType: "counter", snapshot, into: &lines)
            for (key, value) in snapshot.counters.filter({ $0.key.name == name }).sorted(by: {
                Self.order($0.key, $1.key)
            }) {
                lines.append("\(name)\(Self.labelText(key.labels)) \(Self.number(value))")
            }
        }
        let histogramNames = Set(snapshot.histograms.keys.map(\.name))
        for name in histogramNames.sorted() {
            header(name, defaultType: "histogram", snapshot, into: &lines)
            for (key, histogram) in snapshot.histograms.filter({ $0.key.name == name })
                .sorted(by: { Self.order($0.key, $1.key) })
            {
                for (index, bound) in Self.durationBuckets.enumerated() {
                    let labels = key.labels.merging(["le": Self.number(bound)]) { $1 }
                    lines.append("\(name)_bucket\(Self.labelText(labels)) \(histogram.bucketCounts[index])")
                }
                let infinity = key.labels.merging(["le": "+Inf"]) { $1 }
                lines.append("\(name)_bucket\(Self.labelText(infinity)) \(histogram.count)")
                lines.append("\(name)_sum\(Self.labelText(key.labels)) \(Self.number(histogram.sum))")
                lines.append("\(name)_count\(Self.labelText(key.labels)) \(histogram.count)")
            }
        }
        for sample in samples {
            lines.append("# HELP \(sample.name) \(sample.help)")
            lines.append("# TYPE \(sample.name) \(sample.type)")
            lines.append("\(sample.name) \(Self.number(sample.value))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func header(_ name: String, defaultType: String, _ snapshot: State, into lines: inout [String]) {
        let description = snapshot.help[name]
        lines.append("# HELP \(name) \(description?.text ?? name)")
        lines.append("# TYPE \(name) \(description?.type ?? defaultType)")
    }

    private static func order(_ left: SeriesKey, _ right: SeriesKey) -> Bool {
        labelText(left.labels) < labelText(right.labels)
    }

    private static func labelText(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
