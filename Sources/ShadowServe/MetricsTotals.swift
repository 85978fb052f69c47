/// The totals of several processes' `/metrics` (Prometheus text format 0.0.4): what `serve --workers`
/// shows for all its workers at once.
///
/// Each series (a name and its labels) is summed over the processes that have it: counters, gauges
/// of amounts (events in flight, lag) and histogram buckets, sums and counts all add up. Series of
/// a family named in `minimumFamilies` take the smallest value instead: `invoice_shadow_health`
/// is 1 only while the check passes in every worker.
public enum MetricsTotals {
    /// Families whose series are the minimum over the processes rather than the sum.
    public static let minimumFamilies: Set<String> = ["invoice_shadow_health"]

    private struct Family {
        var help: String?
        var typeLine: String?
        var type: String?
        var order: [String] = []
        var values: [String: Double] = [:]
    }

    /// The expositions' totals, each family once, in the order first seen, with its `# HELP` and
    /// `# TYPE` lines. Lines that are neither comments nor samples are dropped.
    public static func sum(_ expositions: [String], extra: String = "") -> String {
        var order: [String] = []
        var families: [String: Family] = [:]
        func family(_ name: String) -> String {
            if families[name] == nil {
                families[name] = Family()
                order.append(name)
            }
            return name
        }
        for text in expositions + [extra] {
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("#") {
                    let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                    guard words.count >= 3 else { continue }
                    let name = family(String(words[2]))
                    if words[1] == "HELP", families[name]!.help == nil { families[name]!.help = String(line) }
                    if words[1] == "TYPE", families[name]!.typeLine == nil {
                        families[name]!.typeLine = String(line)
                        families[name]!.type = words.count > 3 ? String(words[3]) : nil
                    }
                    continue
                }
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    continue
                }
                let series = String(line[..<space])
                let name = family(familyName(of: series, families: families))
                if let current = families[name]!.values[series] {
                    families[name]!.values[series] =
                        minimumFamilies.contains(name) ? min(current, value) : current + value
                } else {
                    families[name]!.order.append(series)
                    families[name]!.values[series] = value
                }
            }
        }
        var output = ""
        for name in order {
            let family = families[name]!
            for comment in [family.help, family.typeLine].compactMap({ $0 }) { output += comment + "\n" }
            for series in family.order { output += series + " " + format(family.values[series]!) + "\n" }
        }
        return output
    }

    /// A sample's family: its metric name, less `_bucket`, `_sum` or `_count` when that is a
    /// histogram or summary already described.
    private static func familyName(of series: String, families: [String: Family]) -> String {
        let name = series.prefix { $0 != "{" }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let type = families[base]?.type, type == "histogram" || type == "summary" { return base }
        }
        return String(name)
    }

    /// Only the families of `text` that count up (counters, histograms, summaries): what a process
    /// that exited leaves to the totals, which would otherwise fall back when it is started again.
    public static func counting(_ text: String) -> String {
        var counting: Set<String> = []
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let words = line.split(separator: " ")
            if words.count == 4, ["counter", "histogram", "summary"].contains(words[3]) {
                counting.insert(String(words[2]))
            }
        }
        return text.split(separator: "\n").filter { line in
            let words = line.split(separator: " ")
            if line.hasPrefix("#") { return words.count > 2 && counting.contains(String(words[2])) }
            let name = line.prefix { $0 != "{" && $0 != " " }
            return counting.contains(String(name))
                || ["_bucket", "_sum", "_count"].contains {
                    name.hasSuffix($0) && counting.contains(String(name.dropLast($0.count)))
                }
        }.joined(separator: "\n")
    }

    /// The sum of every series of metric `name` in `text` (0 when there is none).
    public static func value(of name: String, in text: String) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let rest = line.dropFirst(name.count)
            guard rest.first == " " || rest.first == "{", let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { continue }
            total += value
        }
        return total
    }

    /// The checks some process reports failing (`invoice_shadow_health{check="…"} 0`).
    public static func failingChecks(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("invoice_shadow_health{check=\""), line.hasSuffix(" 0") else { return nil }
            return String(line.dropFirst("invoice_shadow_health{check=\"".count).prefix { $0 != "\"" })
        }
    }

    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
