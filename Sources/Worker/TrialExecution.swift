import Engine
import Foundation
import Protocol

/// Runs one trial config on the engine and packages the outcome as a `TrialResult`.
/// Shared by `grok-worker trial` and the worker service; `TrialCheckpointing` does the work
/// (and, when asked, saves and restores the trial's state).
enum TrialExecution {
    static func run(_ config: TrialConfig, host: String,
                    onEvaluation: (CurvePoint) -> Void = { _ in }) -> TrialResult {
        do {
            return try TrialCheckpointing(config: config).run(host: host, onEvaluation: onEvaluation).result
        } catch {
            return failure(config, host: host, error: error)
        }
    }

    static func failure(_ config: TrialConfig, host: String, error: Error) -> TrialResult {
        TrialResult(trialId: config.id, outcome: .failed, steps: 0, seconds: 0, flops: 0,
                    blasThreads: BLAS.threads, host: host, error: "\(error)")
    }

    static func result(id: String, outcome: TrainingOutcome, host: String) -> TrialResult {
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
        let diagnostics = evaluation.measures.map {
            GradientDiagnostics(weightNorm: $0.weightNorm, gradientNorm: $0.gradientNorm, gradientEntropy: $0.gradientEntropy)
        }
        self.init(step: evaluation.step, trainLoss: evaluation.trainLoss, trainAccuracy: evaluation.trainAccuracy,
                  testLoss: evaluation.testLoss, testAccuracy: evaluation.testAccuracy, diagnostics: diagnostics)
    }
}
