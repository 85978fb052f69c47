/// Compares the two sides' outcomes for one event: canonical forms, diff, kind, signature.
public struct OutcomeComparator: Sendable {
    /// The differences that do not count.
    public var ignoreRules: IgnoreRules

    /// Creates a comparator.
    /// - Parameter ignoreRules: Explicit rules; noise is detected per event, not configured.
    public init(ignoreRules: IgnoreRules = IgnoreRules()) {
        self.ignoreRules = ignoreRules
    }

    /// Compares one event's outcomes.
    /// - Parameters:
    ///   - facts: The event's facts.
    ///   - legacy: The legacy side's result.
    ///   - swift: The Swift side's result; nil when the shadow was skipped.
    ///   - legacyRepeat: A second legacy run of the same event, for noise detection.
    public func compare(
        facts: EventFacts, legacy: SideResult, swift: SideResult?, legacyRepeat: SideResult? = nil
    ) -> Comparison {
        var comparison = Comparison(
            facts: facts, kind: .match,
            signature: Signature(country: facts.country, businessLine: facts.businessLine, kind: .match, paths: []),
            legacy: legacy, swift: swift, differences: [], ignored: [], noisePaths: [], htmlDiff: [])
        guard let swift else {
            return classified(comparison, .skipped, [])
        }
        switch (legacy.outcome, swift.outcome) {
        case (.rendered(let left), .rendered(let right)):
            let noise = noisePaths(left, legacyRepeat)
            comparison.noisePaths = noise.sorted()
            let (counted, ignored) = jsonDifferences(left, right, noise: noise)
            comparison.differences = counted
            comparison.ignored = ignored
            var paths = counted.map { JSONPointer.generalized($0.path) }
            if !noise.contains("html") && !ignoreRules.ignores("html")
                && left.htmlBytes != right.htmlBytes
            {
                let leftHTML = HTMLCanonicalizer.canonical(left.html)
                let rightHTML = HTMLCanonicalizer.canonical(right.html)
                if !leftHTML.isSameText(as: rightHTML) {
                    comparison.htmlDiff = HTMLCanonicalizer.lineDiff(leftHTML, rightHTML)
                    paths.append("html")
                }
            }
            return classified(comparison, paths.isEmpty ? .match : .mismatch, paths)
        case (.timedOut, _):
            return classified(comparison, .timeout, ["legacy:timeout"] + failurePath("swift", swift.outcome))
        case (_, .timedOut):
            return classified(comparison, .timeout, failurePath("legacy", legacy.outcome) + ["swift:timeout"])
        case (.invalidEvent(let leftField, _), .invalidEvent(let rightField, _)):
            if leftField.isSameText(as: rightField) {
                return classified(comparison, .invalidEvent, ["invalid:" + JSONPointer.generalized(leftField)])
            }
            return classified(
                comparison, .bothErrorDifferent,
                failurePath("legacy", legacy.outcome) + failurePath("swift", swift.outcome))
        case (.rendered, _):
            return classified(comparison, .swiftError, failurePath("swift", swift.outcome))
        case (_, .rendered):
            return classified(comparison, .legacyError, failurePath("legacy", legacy.outcome))
        default:
            let paths = failurePath("legacy", legacy.outcome) + failurePath("swift", swift.outcome)
            let same: Bool
            if case .failed(let left) = legacy.outcome, case .failed(let right) = swift.outcome {
                same = left.type.isSameText(as: right.type) && left.message.isSameText(as: right.message)
            } else {
                same = false
            }
            return classified(comparison, same ? .bothErrorSame : .bothErrorDifferent, paths)
        }
    }

    private func classified(_ comparison: Comparison, _ kind: DiscrepancyKind, _ paths: [String]) -> Comparison {
        var result = comparison
        result.kind = kind
        result.signature = Signature(
            country: comparison.facts.country, businessLine: comparison.facts.businessLine, kind: kind,
            paths: Array(Set(paths)).sorted())
        return result
    }

    private func failurePath(_ side: String, _ outcome: RenderOutcome) -> [String] {
        switch outcome {
        case .rendered: []
        case .timedOut: ["\(side):timeout"]
        case .invalidEvent(let field, _): ["\(side):invalid:\(JSONPointer.generalized(field))"]
        case .failed(let failure): ["\(side):\(failure.origin):\(failure.type)"]
        }
    }

    private func parsed(_ invoice: RenderedInvoice) -> JSONValue? {
        try? JSONValue.parse(invoice.invoiceJSON)
    }

    private func jsonDifferences(_ left: RenderedInvoice, _ right: RenderedInvoice, noise: Set<String>)
        -> (counted: [JSONDifference], ignored: [JSONDifference])
    {
        let differences: [JSONDifference]
        if left.invoiceJSONBytes == right.invoiceJSONBytes {
            // The same bytes: no difference to find (parsing both was most of a comparison's work).
            differences = []
        } else if let leftValue = parsed(left), let rightValue = parsed(right) {
            differences = JSONDifference.between(leftValue, rightValue)
        } else {
            // One side's invoice is not JSON at all: the whole document differs.
            differences = [JSONDifference(path: "", legacy: left.invoiceJSON, swift: right.invoiceJSON)]
        }
        var counted: [JSONDifference] = []
        var ignored: [JSONDifference] = []
        for difference in differences {
            if noise.contains(difference.path) || ignoreRules.ignores(difference.path) {
                ignored.append(difference)
            } else {
                counted.append(difference)
            }
        }
        return (counted, ignored)
    }

    /// Paths where two legacy runs of the same event differ (and `html` when the documents do).
    private func noisePaths(_ first: RenderedInvoice, _ repeatResult: SideResult?) -> Set<String> {
        guard case .rendered(let second)? = repeatResult?.outcome else { return [] }
        var noise = Set<String>()
        if first.invoiceJSONBytes != second.invoiceJSONBytes, let a = parsed(first),
            let b = parsed(second)
        {
            noise.formUnion(JSONDifference.between(a, b).map(\.path))
        }
        if first.htmlBytes != second.htmlBytes,
            !HTMLCanonicalizer.canonical(first.html).isSameText(as: HTMLCanonicalizer.canonical(second.html))
        {
            noise.insert("html")
        }
        return noise
    }
}
