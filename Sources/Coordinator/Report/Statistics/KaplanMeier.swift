/// One seed's time-to-grok observation: the step it grokked at, or the step it was last seen
/// not grokked (right-censored: the budget ran out, or it diverged and never will).
struct GrokObservation: Hashable, Sendable {
    var step: Double
    var grokked: Bool

    static func grokked(at step: Double) -> GrokObservation { GrokObservation(step: step, grokked: true) }
    static func censored(at step: Double) -> GrokObservation { GrokObservation(step: step, grokked: false) }
}

/// One step of a Kaplan–Meier curve: from `step` on, the estimated fraction of seeds not yet
/// grokked is `survival`.
struct SurvivalStep: Hashable, Sendable {
    var step: Double
    var survival: Double
    /// P(grokked by `step`), what the report plots.
    var grokkedFraction: Double { 1 - survival }
}

/// The Kaplan–Meier estimate of "not yet grokked" over steps, with its quantiles.
///
/// Owns the censoring rules of the report: a censored seed counts as at risk up to and
/// including its censoring step (a censoring tied with a grok counts as still at risk then, the
/// usual convention); the curve only drops at grok steps. Without censoring the curve is the
/// empirical distribution, and `median` equals the ordinary sample median.
struct KaplanMeier: Hashable, Sendable {
    /// The curve after each distinct grok step, ascending; survival is 1 before the first.
    let steps: [SurvivalStep]

    init(_ observations: [GrokObservation]) {
        let sorted = observations.sorted { $0.step < $1.step }
        var atRisk = sorted.count
        var survival = 1.0
        var curve: [SurvivalStep] = []
        var index = 0
        while index < sorted.count {
            let step = sorted[index].step
            var grokked = 0
            var leaving = 0
            while index < sorted.count, sorted[index].step == step {
                if sorted[index].grokked { grokked += 1 }
                leaving += 1
                index += 1
            }
            if grokked > 0 {
                survival *= 1 - Double(grokked) / Double(atRisk)
                curve.append(SurvivalStep(step: step, survival: survival))
            }
            atRisk -= leaving
        }
        steps = curve
    }

    /// Estimated fraction not grokked at `step` (right-continuous).
    func survival(at step: Double) -> Double {
        steps.last { $0.step <= step }?.survival ?? 1
    }

    // MARK: Quantiles

    /// The step by which a fraction `probability` of seeds has grokked: the first grok step at
    /// which the curve reaches `1 − probability`. When it lands exactly on `1 − probability` and
    /// a later grok follows, the midpoint of the two steps (the convention of R's `survfit`,
    /// which makes the uncensored median the sample median). Nil when the curve never gets
    /// there within the observations: the quantile lies beyond the budget.
    func quantile(_ probability: Double) -> Double? {
        let target = 1 - probability
        let tolerance = 1e-9
        guard let index = steps.firstIndex(where: { $0.survival <= target + tolerance }) else { return nil }
        if abs(steps[index].survival - target) <= tolerance, index + 1 < steps.count {
            return (steps[index].step + steps[index + 1].step) / 2
        }
        return steps[index].step
    }

    var median: Double? { quantile(0.5) }

    /// The median of `observations` as a bootstrap statistic: `+infinity` when undefined.
    static func medianOrInfinity(_ observations: [GrokObservation]) -> Double {
        KaplanMeier(observations).median ?? .infinity
    }
}
