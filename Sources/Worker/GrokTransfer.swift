import Engine
import Foundation
import Protocol

/// GrokTransfer on the worker: train (or reuse) the weak model, then build the target whose
/// input embedding starts from the weak model's.
///
/// Target embedding by transfer mode: `factorized` — E_T = A·B, A = E_weak (V × d_weak,
/// trainable), B (d_weak × d_target) freshly initialised; `randomA` — the same factorisation
/// with A left at its random initialisation (no transfer, same low rank); `copy` — a full
/// E_T = E_weak (equal dimensions). For feature inputs the "embedding" is the first linear
/// layer (W₁ = B·A with A = the weak model's first-layer weight).
enum GrokTransfer {
    struct WeakModel {
        let representation: [Float]
        let rank: Int
        let steps: Int
        let seconds: Double
        let flops: Double
        let finalTestAccuracy: Double
    }

    /// The weak model for this trial, from the worker's cache when an identical one (task,
    /// weak config, evaluation period, seed) was already trained here. `train` runs the weak
    /// plan (default: a fresh runner, run to its end); checkpointing passes its own.
    static func weakModel(for config: TrialConfig, data: DataSplit,
                          train: ((TrainingPlan) -> (runner: TrialRunner, outcome: TrainingOutcome))? = nil)
        -> (model: WeakModel, summary: WeakRunSummary) {
        let weak = config.weak ?? WeakStageConfig()
        let key = cacheKey(for: config, weak: weak)
        let (model, reused) = WeakModelCache.shared.value(for: key) {
            let plan = EnginePlan.weakPlan(for: config, weak: weak, data: data)
            let (runner, outcome) = train?(plan) ?? {
                let runner = TrialRunner(plan: plan, data: data)
                return (runner, runner.run())
            }()
            let representation = (runner.model as! MLP).inputRepresentation()
            // The transferred matrix's rank: the embedding dimension for tokens, the first
            // layer's width for feature inputs.
            let tokens: Bool = { if case .tokens = data.train.inputs { return true }; return false }()
            return WeakModel(representation: representation, rank: tokens ? weak.stage.embeddingDim : weak.stage.width,
                             steps: outcome.steps,
                             seconds: outcome.seconds, flops: outcome.denseFlops,
                             finalTestAccuracy: outcome.curve.last?.testAccuracy ?? .nan)
        }
        let summary = WeakRunSummary(key: key, steps: model.steps, seconds: model.seconds, flops: model.flops,
                                     finalTestAccuracy: model.finalTestAccuracy, reused: reused)
        return (model, summary)
    }

    static func cacheKey(for config: TrialConfig, weak: WeakStageConfig) -> String {
        let identity = JSONValue.object([
            "task": config.task.json, "weak": weak.json, "seed": .number(Double(config.seed)),
            "evalEvery": .number(Double(config.evalEvery)),
        ])
        return StableHash.hex(of: identity.canonicalText)
    }

    /// The target model, initialised from the trial seed and then given the transferred embedding.
    static func target(for config: TrialConfig, plan: TrainingPlan, data: DataSplit, weak: WeakModel) -> MLP {
        let mode = config.transfer?.mode ?? .factorized
        var shape = plan.shape
        if mode != .copy { shape.embeddingRank = weak.rank }
        let model = MLP(shape: shape, capacity: TrialRunner.workspaceCapacity(plan: plan, data: data))
        model.initialize(seed: config.seed, scale: plan.initScale)
        let tokens: Bool = { if case .tokens = shape.input { return true }; return false }()
        switch mode {
        case .factorized: model.setParameter(tokens ? "embedding.A" : "hidden.0.A", to: weak.representation)
        case .randomA: break
        case .copy: model.setParameter(tokens ? "embedding" : "hidden.0.weight", to: weak.representation)
        }
        return model
    }
}

/// Weak models trained by this worker process, by cache key. One trial runs at a time, but
/// the lock keeps the cache safe if that ever changes.
final class WeakModelCache: @unchecked Sendable {
    static let shared = WeakModelCache()
    private let lock = NSLock()
    private var entries: [String: GrokTransfer.WeakModel] = [:]
    /// Bounded so a long sweep over many weak configs cannot grow without limit.
    private let capacity = 64

    func value(for key: String, make: () -> GrokTransfer.WeakModel) -> (GrokTransfer.WeakModel, reused: Bool) {
        if let cached = lock.withLock({ entries[key] }) { return (cached, true) }
        let model = make()
        lock.withLock {
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = model
        }
        return (model, false)
    }

    /// Forgets one weak model (tests that must train it again).
    func removeValue(for key: String) { _ = lock.withLock { entries.removeValue(forKey: key) } }
}
