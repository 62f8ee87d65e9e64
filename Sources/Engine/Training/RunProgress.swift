import TrialSchema

/// Where a training run stands between two steps: the next step to take, the curve and the
/// grokking detectors so far, and the cost spent. `TrialRunner.run` keeps it as it trains, so a
/// checkpoint taken at a step boundary holds everything a continued run needs besides the
/// model, optimiser, amplifier and batch order.
///
/// The budget is deliberately not part of it: a run stopped by its budget stands at the
/// boundary before its final evaluation (that evaluation is reported, not recorded here), so
/// the same progress continues under a larger budget exactly as a longer run would have.
struct RunProgress: Equatable {
    /// The next step to take (optimiser steps taken so far).
    var step = 0
    var curve: [CurvePoint] = []
    var memorised: ThresholdTracker
    var grokked: ThresholdTracker
    var denseFlops = 0.0
    /// Wall-clock seconds of earlier runs (a restored run's time before it was saved).
    var seconds = 0.0

    init(criteria: Thresholds) {
        memorised = ThresholdTracker(threshold: criteria.train, sustain: criteria.sustain)
        grokked = ThresholdTracker(threshold: criteria.test, sustain: criteria.sustain)
    }

    mutating func record(_ evaluation: CurvePoint) {
        curve.append(evaluation)
        memorised.observe(step: evaluation.step, value: evaluation.trainAccuracy)
        grokked.observe(step: evaluation.step, value: evaluation.testAccuracy)
    }
}
