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

/// A cell's paired per-seed speedup over its baseline cell: `baseline / cell` for each seed
/// both cells ran, so > 1 means the cell is faster.
///
/// Owns the censoring rule for speedups. Only seeds where *both* trials grokked give a ratio
/// (`exact`): a censored or diverged side has no time-to-grok, only a bound. Such pairs are
/// left out of the estimates and counted — `lowerBound` (the cell grokked, the baseline did not:
/// the speedup is at least `budget / t_cell`), `upperBound` (the baseline grokked, the cell did
/// not: at most `t_baseline / budget`), `neither`. When no exact pair exists and the bounds all
/// point one way, their geometric mean is kept as `atLeast` or `atMost`: "the baseline never
/// grokked" is the headline a method wants shown, and "this cell never grokked" its opposite.
/// Cost ratios use each trial's totals (`seconds`, `flops`; for GrokTransfer the weak model is
/// included by the worker) over the same exact pairs: a trial stops once grokking is confirmed,
/// so its totals are its cost to grok.
struct PairedSpeedup: Hashable, Sendable {
    var baselineKey: String
    var steps: RatioEstimate?
    var seconds: RatioEstimate?
    var flops: RatioEstimate?
    var exact = 0
    var lowerBound = 0
    var upperBound = 0
    var neither = 0
    /// Geometric mean of `budget_baseline / t_cell` over lower-bound pairs, when no pair is exact
    /// and none is an upper bound.
    var atLeast: Double?
    /// Geometric mean of `t_baseline / budget_cell` over upper-bound pairs, when no pair is exact
    /// and none is a lower bound.
    var atMost: Double?

    /// Pairs `cell` and `baseline` trials by seed; seeds without an observed outcome on both
    /// sides (pending, failed) are not pairs. The bootstrap is seeded by both cell keys.
    init(cell: CellSummary, baseline: CellSummary, results: [String: TrialResult],
         resamples: Int = Bootstrap.defaultResamples) {
        baselineKey = baseline.key
        let baselineBySeed = Dictionary(baseline.trials.map { ($0.seed, $0) }, uniquingKeysWith: { first, _ in first })
        var stepRatios: [Double] = []
        var secondRatios: [Double] = []
        var flopRatios: [Double] = []
        var lowerBounds: [Double] = []
        var upperBounds: [Double] = []
        for trial in cell.trials {
            guard let partner = baselineBySeed[trial.seed],
                  let mine = results[trial.id], let theirs = results[partner.id],
                  let mineGrok = Self.grokStep(mine), let theirsGrok = Self.grokStep(theirs) else { continue }
            switch (mineGrok, theirsGrok) {
            case (.some(let tCell), .some(let tBaseline)):
                exact += 1
                stepRatios.append(Double(max(tBaseline, 1)) / Double(max(tCell, 1)))
                if mine.seconds > 0, theirs.seconds > 0 { secondRatios.append(theirs.seconds / mine.seconds) }
                if mine.flops > 0, theirs.flops > 0 { flopRatios.append(theirs.flops / mine.flops) }
            case (.some(let tCell), .none):
                lowerBound += 1
                lowerBounds.append(Double(partner.config.budget) / Double(max(tCell, 1)))
            case (.none, .some(let tBaseline)):
                upperBound += 1
                upperBounds.append(Double(max(tBaseline, 1)) / Double(max(trial.config.budget, 1)))
            case (.none, .none):
                neither += 1
            }
        }
        var generator = SeededGenerator(text: "speedup " + cell.key + " " + baseline.key)
        steps = RatioEstimate(ratios: stepRatios, generator: &generator, resamples: resamples)
        seconds = RatioEstimate(ratios: secondRatios, generator: &generator, resamples: resamples)
        flops = RatioEstimate(ratios: flopRatios, generator: &generator, resamples: resamples)
        if exact == 0, upperBound == 0 { atLeast = SampleStatistics.geometricMean(lowerBounds) }
        if exact == 0, lowerBound == 0 { atMost = SampleStatistics.geometricMean(upperBounds) }
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
