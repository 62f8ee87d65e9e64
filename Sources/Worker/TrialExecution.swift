import Engine
import Foundation
import Protocol

/// Runs one trial config on the engine and packages the outcome as a `TrialResult`.
/// Shared by `grok-worker trial` and the worker service.
enum TrialExecution {
    static func run(_ config: TrialConfig, host: String,
                    onEvaluation: (CurvePoint) -> Void = { _ in }) -> TrialResult {
        let id = config.id
        do {
            let data = try EnginePlan.data(for: config)
            let plan = EnginePlan.targetPlan(for: config, data: data)
            switch config.method {
            case .scratch:
                let outcome = TrialRunner(plan: plan, data: data).run { onEvaluation(CurvePoint($0)) }
                return result(id: id, outcome: outcome, host: host)
            case .groktransfer:
                let weak = GrokTransfer.weakModel(for: config, data: data)
                let model = GrokTransfer.target(for: config, plan: plan, data: data, weak: weak.model)
                var plan = plan
                plan.mergeInputFactorsAfter = config.transfer?.mergeAfter
                let outcome = TrialRunner(plan: plan, data: data, model: model).run { onEvaluation(CurvePoint($0)) }
                var combined = result(id: id, outcome: outcome, host: host)
                combined.seconds += weak.summary.seconds
                combined.flops += weak.summary.flops
                combined.weak = weak.summary
                return combined
            }
        } catch {
            return TrialResult(trialId: id, outcome: .failed, steps: 0, seconds: 0, flops: 0,
                               blasThreads: BLAS.threads, host: host, error: "\(error)")
        }
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
