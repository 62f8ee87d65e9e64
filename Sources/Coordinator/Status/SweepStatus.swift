import Foundation

/// A sweep as someone watching it needs it: counts, each running trial's progress, failures and
/// the ETA. The coordinator builds one a second for its live view and keeps the latest in
/// `RUN_DIR/status.json`, which `grok-coord status` draws the same way from another shell.
struct SweepStatus: Codable, Equatable, Sendable {
    enum Phase: String, Codable, Sendable { case running, complete, interrupted }

    struct RunningTrial: Codable, Equatable, Sendable {
        var trial: String
        /// The cell's distinguishing label with short paths (`weightDecay=0.1 embeddingDim=32`).
        var label: String
        var seed: Int
        var worker: String
        var attempt: Int
        var budget: Int
        /// From the worker's latest progress message; nil until the first one arrives.
        var step: Int?
        var trainAccuracy: Double?
        var testAccuracy: Double?
        var stepsPerSecond: Double?

        /// Seconds to the end of the budget at the current rate: an upper bound, as a trial
        /// that groks stops early.
        var secondsLeft: Double? {
            guard let step, let stepsPerSecond, stepsPerSecond > 0 else { return nil }
            return Double(max(budget - step, 0)) / stepsPerSecond
        }

        /// Seconds a whole trial of this budget takes at the current rate.
        var secondsPerTrial: Double? {
            guard let stepsPerSecond, stepsPerSecond > 0 else { return nil }
            return Double(budget) / stepsPerSecond
        }
    }

    struct FailedTrial: Codable, Equatable, Sendable {
        var trial: String
        var label: String
        var seed: Int
        var error: String
    }

    var sweep: String
    var phase: Phase
    /// Seconds since 1970 when this status was taken.
    var updatedAt: Double
    var coordinatorPid: Int
    var total: Int
    var finished: Int
    var failed: Int
    var censored: Int
    var queued: Int
    /// Trials the journal shows running (a trial can be running before its first progress).
    var runningCount: Int
    var workers: Int
    var elapsed: Double
    var etaSeconds: Double?
    var running: [RunningTrial]
    var failures: [FailedTrial]

    var done: Int { finished + failed }
}

extension SweepStatus {
    /// The time left for the sweep: running trials' own ETAs, plus the queued trials at the
    /// mean trial duration (of trials finished in this session and of running ones at their
    /// rate) spread over the workers — never less than the slowest running trial's ETA.
    static func eta(running: [RunningTrial], queued: Int, workers: Int, finishedSecondsThisSession: [Double]) -> Double? {
        let left = running.compactMap(\.secondsLeft)
        // Finished trials count with what they took (a trial that grokked stopped early);
        // running ones with what their budget takes at their rate.
        let durations = finishedSecondsThisSession + running.compactMap(\.secondsPerTrial)
        let meanTrial: Double? = durations.isEmpty ? nil : durations.reduce(0, +) / Double(durations.count)
        if queued > 0 && meanTrial == nil { return nil }
        if left.count < running.count, meanTrial == nil { return nil }
        // A running trial without a rate yet counts as a whole trial.
        let unknown = Double(running.count - left.count) * (meanTrial ?? 0)
        let work = left.reduce(0, +) + unknown + Double(queued) * (meanTrial ?? 0)
        return max(left.max() ?? 0, work / Double(max(workers, 1)))
    }
}
