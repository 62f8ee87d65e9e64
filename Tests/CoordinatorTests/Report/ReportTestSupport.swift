import Foundation
import Protocol
import Testing
import TrialSchema

@testable import Coordinator

/// Builders for report tests: sweep plans, hand-made results and journal states.
enum ReportFixture {
    /// The smoke sweep's shape: weight decay 0.3 vs 1 (the baseline), `seeds` seeds, budget 4000.
    static func weightDecayPlan(seeds: Int = 3) throws -> SweepPlan {
        try expandSweep(
            """
            { "name": "wd", "budget": 4000, "grid": [{ "path": "target.weightDecay", "values": [0.3, 1] }],
              "seeds": { "count": \(seeds), "start": 0 }, "baseline": { "target.weightDecay": 1 } }
            """)
    }

    /// A short accuracy curve: train jumps at `memorised`, test at `grokked` (nil: never).
    static func curve(memorised: Int = 100, grokked: Int?, end: Int) -> [CurvePoint] {
        stride(from: 0, through: end, by: max(end / 20, 10)).map { step in
            CurvePoint(
                step: step, trainLoss: 1, trainAccuracy: step >= memorised ? 1 : 0.3,
                testLoss: 1, testAccuracy: grokked.map { step >= $0 ? 1 : 0.05 } ?? 0.05)
        }
    }

    static func grokked(
        _ trial: ExpandedTrial, at step: Int, memorised: Int = 100, seconds: Double = 1,
        flops: Double = 1e9
    ) -> TrialResult {
        TrialResult(
            trialId: trial.id, outcome: .grokked, tMem: memorised, tGrok: step, steps: step + 30,
            seconds: seconds, flops: flops, blasThreads: 1, host: "test",
            curve: curve(memorised: memorised, grokked: step, end: step + 30))
    }

    static func censored(_ trial: ExpandedTrial, memorised: Int? = 100, seconds: Double = 4, flops: Double = 4e9) -> TrialResult {
        TrialResult(
            trialId: trial.id, outcome: .censored, tMem: memorised, steps: trial.config.budget,
            seconds: seconds, flops: flops, blasThreads: 1, host: "test",
            curve: curve(memorised: memorised ?? Int.max, grokked: nil, end: trial.config.budget))
    }

    static func diverged(_ trial: ExpandedTrial) -> TrialResult {
        TrialResult(
            trialId: trial.id, outcome: .diverged, steps: 50, seconds: 0.1, flops: 1e7, blasThreads: 1,
            host: "test",
            curve: [
                CurvePoint(
                    step: 0, trainLoss: .nan, trainAccuracy: .nan, testLoss: .nan,
                    testAccuracy: .nan)
            ])
    }

    /// A journal state for `plan` with `results` finished (each assigned first) and the trials in
    /// `running` held by a worker.
    static func state(_ plan: SweepPlan, results: [TrialResult], running: [String] = []) throws -> JournalState {
        var state = JournalState()
        try state.apply(.sweep(SweepRecord(plan: plan)))
        for result in results {
            try state.apply(.assigned(trial: result.trialId, worker: "w", attempt: 1))
            try state.apply(.finished(result))
        }
        for trial in running { try state.apply(.assigned(trial: trial, worker: "w", attempt: 1)) }
        return state
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("groksweep-report-\(UUID().uuidString)").path
    }
}

/// Approximate equality for hand-computed floating-point expectations.
func close(_ actual: Double?, _ expected: Double?, tolerance: Double = 1e-9) -> Bool {
    switch (actual, expected) {
    case (nil, nil): return true
    case (let actual?, let expected?):
        if actual.isInfinite || expected.isInfinite { return actual == expected }
        return abs(actual - expected) <= tolerance * max(1, abs(expected))
    default: return false
    }
}
