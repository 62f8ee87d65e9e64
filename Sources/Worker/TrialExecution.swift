import Engine
import Foundation
import Protocol
import TrialSchema

/// Runs one trial config on the engine and packages the outcome as a `TrialResult`.
/// Shared by `grok-worker trial` and the worker service; `TrialCheckpointing` does the work
/// (and, when asked, saves and restores the trial's state).
enum TrialExecution {
    static func run(
        _ config: TrialConfig, host: String,
        onEvaluation: (CurvePoint) -> Void = { _ in }
    ) -> TrialResult {
        do {
            return try TrialCheckpointing(config: config).run(host: host, onEvaluation: onEvaluation).result
        } catch {
            return failure(config, host: host, error: error)
        }
    }

    /// A trial whose estimated memory exceeds this machine's is refused before anything is
    /// allocated, with the figure (an allocation that fails aborts the process with no word).
    static func checkMemory(_ config: TrialConfig) throws {
        let cost = try TrialCost.of(config)
        let available = TrialCost.physicalMemory
        guard cost.bytes > available else { return }
        throw EnginePlan.Unsupported(
            path: "$.target",
            reason: "the trial needs about \(TrialCost.bytes(cost.bytes)) of memory "
                + "(\(TrialCost.count(cost.parameters)) parameters); this worker has \(TrialCost.bytes(available))")
    }

    static func failure(_ config: TrialConfig, host: String, error: Error) -> TrialResult {
        TrialResult(
            trialId: config.id, outcome: .failed, steps: 0, seconds: 0, flops: 0,
            blasThreads: BLAS.threads, host: host, error: "\(error)")
    }

    static func result(id: String, outcome: TrainingOutcome, host: String) -> TrialResult {
        let status: TrialOutcome =
            switch outcome.status {
            case .grokked: .grokked
            case .censored: .censored
            case .diverged: .diverged
            }
        return TrialResult(
            trialId: id, outcome: status, tMem: outcome.tMem, tGrok: outcome.tGrok, steps: outcome.steps,
            seconds: outcome.seconds, flops: outcome.denseFlops, blasThreads: BLAS.threads, host: host,
            curve: outcome.curve)
    }

    static var hostName: String { ProcessInfo.processInfo.hostName }
}
