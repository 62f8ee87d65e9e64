import Protocol

/// A geometric-mean ratio with its bootstrap interval and the number of ratios behind it.
struct RatioEstimate: Hashable, Sendable {
    var geometricMean: Double
    var confidence: Interval?
    var count: Int

    /// Geometric mean of positive `ratios` with a percentile-bootstrap interval over them.
    init?(ratios: [Double], generator: inout SeededGenerator, resamples: Int = Bootstrap.defaultResamples) {
        guard let mean = SampleStatistics.geometricMean(ratios) else { return nil }
        geometricMean = mean
        count = ratios.count
        confidence = Bootstrap.percentileInterval(ratios, resamples: resamples, generator: &generator) {
            SampleStatistics.geometricMean($0) ?? .nan
        }
    }

    init(geometricMean: Double, confidence: Interval?, count: Int) {
        self.geometricMean = geometricMean
        self.confidence = confidence
        self.count = count
    }
}

/// One measure of a paired speedup (steps, seconds or FLOPs): the estimate over exact pairs, or
/// when there is none, a one-sided bound.
struct SpeedupMeasure: Hashable, Sendable {
    var estimate: RatioEstimate?
    /// Geometric mean over lower-bound pairs, when no pair is exact and none is an upper bound.
    var atLeast: Double?
    /// Geometric mean over upper-bound pairs, when no pair is exact and none is a lower bound.
    var atMost: Double?
}

/// A cell's paired per-seed speedup over its baseline cell: `baseline / cell` for each seed
/// both cells ran, so > 1 means the cell is faster.
///
/// Owns the censoring rule for speedups. Only seeds where *both* trials grokked give a ratio
/// (`exact`): a censored or diverged side has no time-to-grok, only a bound. Such pairs are
/// left out of the estimates and counted — `lowerBound` (the cell grokked, the baseline did not),
/// `upperBound` (the baseline grokked, the cell did not), `neither`. When no exact pair exists
/// and the bounds all point one way, their geometric mean is kept as the measure's `atLeast` or
/// `atMost`: "the baseline never grokked" is the headline a method wants shown, and "this cell
/// never grokked" its opposite. In steps the side that did not grok counts its budget; in
/// seconds and FLOPs its totals, which are at least its cost to grok when the budget ran out
/// (a diverged run stopped early, so it gives no cost bound). Cost ratios use each trial's
/// totals (`seconds`, `flops`; for GrokTransfer the weak model is included by the worker): a
/// trial stops once grokking is confirmed, so its totals are its cost to grok.
struct PairedSpeedup: Hashable, Sendable {
    var baselineKey: String
    var steps = SpeedupMeasure()
    var seconds = SpeedupMeasure()
    var flops = SpeedupMeasure()
    var exact = 0
    var lowerBound = 0
    var upperBound = 0
    var neither = 0

    /// Per-measure ratios of one kind of pair.
    private struct Ratios {
        var steps: [Double] = []
        var seconds: [Double] = []
        var flops: [Double] = []

        mutating func addCosts(_ mine: TrialResult, _ theirs: TrialResult) {
            if mine.seconds > 0, theirs.seconds > 0 { seconds.append(theirs.seconds / mine.seconds) }
            if mine.flops > 0, theirs.flops > 0 { flops.append(theirs.flops / mine.flops) }
        }
    }

    /// Pairs `cell` and `baseline` trials by seed; seeds without an observed outcome on both
    /// sides (pending, failed) are not pairs. The bootstrap is seeded by both cell keys.
    init(
        cell: CellSummary, baseline: CellSummary, results: [String: TrialResult],
        resamples: Int = Bootstrap.defaultResamples
    ) {
        baselineKey = baseline.key
        let baselineBySeed = Dictionary(baseline.trials.map { ($0.seed, $0) }, uniquingKeysWith: { first, _ in first })
        var exactRatios = Ratios()
        var lowerBounds = Ratios()
        var upperBounds = Ratios()
        for trial in cell.trials {
            guard let partner = baselineBySeed[trial.seed],
                let mine = results[trial.id], let theirs = results[partner.id],
                let mineGrok = Self.grokStep(mine), let theirsGrok = Self.grokStep(theirs)
            else { continue }
            switch (mineGrok, theirsGrok) {
            case (.some(let tCell), .some(let tBaseline)):
                exact += 1
                exactRatios.steps.append(Double(max(tBaseline, 1)) / Double(max(tCell, 1)))
                exactRatios.addCosts(mine, theirs)
            case (.some(let tCell), .none):
                lowerBound += 1
                lowerBounds.steps.append(Double(partner.config.budget) / Double(max(tCell, 1)))
                if theirs.outcome == .censored { lowerBounds.addCosts(mine, theirs) }
            case (.none, .some(let tBaseline)):
                upperBound += 1
                upperBounds.steps.append(Double(max(tBaseline, 1)) / Double(max(trial.config.budget, 1)))
                if mine.outcome == .censored { upperBounds.addCosts(mine, theirs) }
            case (.none, .none):
                neither += 1
            }
        }
        var generator = SeededGenerator(text: "speedup " + cell.key + " " + baseline.key)
        let (hasLower, hasUpper) = (lowerBound > 0, upperBound > 0)
        let measure = { (exactRatios: [Double], lower: [Double], upper: [Double]) -> SpeedupMeasure in
            var result = SpeedupMeasure(estimate: RatioEstimate(ratios: exactRatios, generator: &generator, resamples: resamples))
            if result.estimate == nil, !hasUpper { result.atLeast = SampleStatistics.geometricMean(lower) }
            if result.estimate == nil, !hasLower { result.atMost = SampleStatistics.geometricMean(upper) }
            return result
        }
        steps = measure(exactRatios.steps, lowerBounds.steps, upperBounds.steps)
        seconds = measure(exactRatios.seconds, lowerBounds.seconds, upperBounds.seconds)
        flops = measure(exactRatios.flops, lowerBounds.flops, upperBounds.flops)
    }

    /// `.some(.some(t))` grokked at t; `.some(nil)` observed without grokking; nil not an observation.
    private static func grokStep(_ result: TrialResult) -> Int?? {
        switch result.outcome {
        case .grokked: result.tGrok.map { .some($0) }
        case .censored, .diverged: .some(nil)
        case .failed: nil
        }
    }

    /// Pairs with an observed outcome on both sides.
    var pairs: Int { exact + lowerBound + upperBound + neither }
}
