/// Finds the first step of a run of `sustain` consecutive evaluations at or above a threshold.
///
/// This is how `t_mem` (train accuracy) and `t_grok` (test accuracy) are defined: a single
/// lucky evaluation does not count, and the reported step is where the sustained run began.
public struct ThresholdTracker: Sendable, Equatable {
    public let threshold: Double
    public let sustain: Int
    var runStart: Int?
    var runLength = 0
    /// The first step of the first sustained run, once confirmed.
    public internal(set) var confirmedStep: Int?

    public init(threshold: Double, sustain: Int) {
        precondition(sustain >= 1, "sustain must be at least one evaluation")
        self.threshold = threshold
        self.sustain = sustain
    }

    public mutating func observe(step: Int, value: Double) {
        guard confirmedStep == nil else { return }
        if value >= threshold {
            if runStart == nil { runStart = step }
            runLength += 1
            if runLength >= sustain { confirmedStep = runStart }
        } else {
            runStart = nil
            runLength = 0
        }
    }
}
