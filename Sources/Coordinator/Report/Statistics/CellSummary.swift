import Protocol

/// A cell's time-to-grok: point estimate, spread and uncertainty, in optimiser steps.
///
/// Owns the choice of estimator: when every observed seed grokked, the ordinary sample median
/// and type-7 quartiles; when some did not (censored, or diverged — which never groks), the
/// Kaplan–Meier median and quartiles, any of which is nil when it lies beyond the budget.
/// The 95 % interval is a percentile bootstrap of the (Kaplan–Meier) median over seeds.
struct TimeToGrok: Hashable, Sendable {
    enum Estimator: String, Hashable, Sendable {
        case sample
        case kaplanMeier = "kaplan-meier"
    }

    var estimator: Estimator
    var median: Double?
    var lowerQuartile: Double?
    var upperQuartile: Double?
    /// Upper end `+infinity` when more than 2.5 % of resamples have no median within the budget.
    var confidence: Interval?

    static let none = TimeToGrok(estimator: .sample)

    init(
        estimator: Estimator, median: Double? = nil, lowerQuartile: Double? = nil, upperQuartile: Double? = nil,
        confidence: Interval? = nil
    ) {
        self.estimator = estimator
        self.median = median
        self.lowerQuartile = lowerQuartile
        self.upperQuartile = upperQuartile
        self.confidence = confidence
    }

    /// Estimates from the observed seeds; `seedText` seeds the bootstrap (the cell key).
    init(observations: [GrokObservation], seedText: String, resamples: Int = Bootstrap.defaultResamples) {
        var generator = SeededGenerator(text: seedText)
        let confidence = Bootstrap.percentileInterval(
            observations, resamples: resamples, generator: &generator,
            statistic: KaplanMeier.medianOrInfinity)
        if observations.allSatisfy(\.grokked) {
            let steps = observations.map(\.step)
            let quartiles = SampleStatistics.quartiles(steps)
            self.init(
                estimator: .sample, median: SampleStatistics.median(steps), lowerQuartile: quartiles?.lower,
                upperQuartile: quartiles?.upper, confidence: confidence)
        } else {
            let curve = KaplanMeier(observations)
            self.init(
                estimator: .kaplanMeier, median: curve.median, lowerQuartile: curve.quantile(0.25),
                upperQuartile: curve.quantile(0.75), confidence: confidence)
        }
    }
}

/// Everything the report says about one grid cell (a config without its seed).
///
/// Owns the per-cell bookkeeping: which seeds count as observations (`grokked`, `censored`,
/// `diverged`: n), which are left out of the time-to-grok figures (`failed` — an error is not an
/// observation of grokking — and `pending`, not yet run), and the cell's medians.
struct CellSummary: Hashable, Sendable {
    let key: String
    let label: [LabelPart]
    /// The cell's trials in sweep order (one per seed).
    let trials: [ExpandedTrial]
    let budget: Int

    var grokked = 0
    var censored = 0
    var diverged = 0
    /// Trials that ended with an error or were given up after repeated worker deaths.
    var failed = 0
    /// Distinct (build, compute threads) pairs its results ran under: more than one means its
    /// curves are not all reproducible the same way.
    var runtimes: Set<String> = []
    /// Trials queued or running when the journal was read.
    var pending = 0

    var timeToGrok = TimeToGrok.none
    var survival = KaplanMeier([])
    var medianMemorisation: Double?
    var medianDelay: Double?
    var medianSeconds: Double?
    var medianStepsPerSecond: Double?

    /// n: seeds that ran to an outcome that says something about grokking.
    var observed: Int { grokked + censored + diverged }
    var isComplete: Bool { pending == 0 }
    /// `>4000 (0/3)`-style cells: no median within the budget although seeds were observed.
    var isCensored: Bool { observed > 0 && timeToGrok.median == nil }
    var grokkedText: String { "\(grokked)/\(observed)" }

    /// The parts of `label` that tell this cell from the others of its report (`CellLabels`).
    var shownLabel: [LabelPart] = []
    /// Short names of the shown paths (`weightDecay` for `target.weightDecay` when unambiguous).
    var shortNames: [String: String] = [:]

    /// Every labelled axis: `target.weightDecay=1 method=scratch`, or `(single cell)`.
    var fullLabelText: String { Self.text(label) { $0 } }

    /// The shown label with full paths, for files.
    var labelText: String { Self.text(shownLabel) { $0 } }

    /// The shown label with short paths (`weightDecay=1`), for terminals and legends.
    var shortLabelText: String { Self.text(shownLabel) { shortNames[$0] ?? $0 } }

    private static func text(_ parts: [LabelPart], name: (String) -> String) -> String {
        parts.isEmpty ? "(single cell)" : parts.map { "\(name($0.path))=\($0.text)" }.joined(separator: " ")
    }
}

// MARK: - Summarising

extension CellSummary {
    /// Summarises one cell from the journal's results and progress.
    init(
        key: String, trials: [ExpandedTrial], results: [String: TrialResult], progress: [String: TrialProgress],
        resamples: Int = Bootstrap.defaultResamples
    ) {
        self.key = key
        self.trials = trials
        label = trials.first?.cellLabel ?? []
        shownLabel = label
        budget = trials.first?.config.budget ?? 0

        var observations: [GrokObservation] = []
        var observedResults: [TrialResult] = []
        for trial in trials {
            guard let result = results[trial.id] else {
                if progress[trial.id]?.state == .failed { failed += 1 } else { pending += 1 }
                continue
            }
            switch result.outcome {
            case .grokked:
                guard let step = result.tGrok else {
                    failed += 1
                    continue
                }
                grokked += 1
                observations.append(.grokked(at: Double(step)))
            case .censored:
                censored += 1
                observations.append(.censored(at: Double(trial.config.budget)))
            case .diverged:
                // A diverged seed will never grok: it stays "not grokked" through the whole budget.
                diverged += 1
                observations.append(.censored(at: Double(trial.config.budget)))
            case .failed:
                failed += 1
                continue
            }
            observedResults.append(result)
        }
        guard !observations.isEmpty else { return }
        timeToGrok = TimeToGrok(observations: observations, seedText: key, resamples: resamples)
        survival = KaplanMeier(observations)
        runtimes = Set(observedResults.map { "\($0.build ?? "unknown build"), \($0.blasThreads) threads" })
        medianMemorisation = SampleStatistics.median(observedResults.compactMap(\.tMem))
        medianDelay = SampleStatistics.median(observedResults.compactMap(\.delay))
        medianSeconds = SampleStatistics.median(observedResults.map(\.seconds))
        medianStepsPerSecond = SampleStatistics.median(observedResults.filter { $0.seconds > 0 }.map(\.stepsPerSecond))
    }
}
