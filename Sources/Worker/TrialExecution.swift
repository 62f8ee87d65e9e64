import Engine
import Foundation
import Protocol

/// Runs one trial config on the engine and packages the outcome as a `TrialResult`.
/// Shared by `grok-worker trial` and the worker service.
enum TrialExecution {
    static func run(_ config: TrialConfig, host: String,
                    onEvaluation: (CurvePoint) -> Void = { _ in }) -> TrialResult {
        let id = config.id
        let plan: TrainingPlan, data: DataSplit
        do {
            (plan, data) = try EnginePlan.plan(for: config)
        } catch {
            return TrialResult(trialId: id, outcome: .failed, steps: 0, seconds: 0, flops: 0,
                               blasThreads: BLAS.threads, host: host, error: "\(error)")
        }
        let runner = TrialRunner(plan: plan, data: data)
        let outcome = runner.run { evaluation in onEvaluation(CurvePoint(evaluation)) }
        let status: TrialOutcome = switch outcome.status {
        case .grokked: .grokked
        case .censored: .censored
        case .diverged: .diverged
        }
        return TrialResult(trialId: id, outcome: status, tMem: outcome.tMem, tGrok: outcome.tGrok, steps: outcome.steps,
                           seconds: outcome.seconds, flops: outcome.denseFlops, blasThreads: BLAS.threads, host: host,
                           curve: outcome.curve.map(CurvePoint.init))
    }

    static var hostName: String { ProcessInfo.processInfo.hostName }
}

extension CurvePoint {
    init(_ evaluation: Evaluation) {
        self.init(step: evaluation.step, trainLoss: evaluation.trainLoss, trainAccuracy: evaluation.trainAccuracy,
                  testLoss: evaluation.testLoss, testAccuracy: evaluation.testAccuracy)
    }
}
