import Engine
import Protocol
import Synchronization
import TrialSchema

/// GrokTransfer on the worker: train (or reuse) the weak model, then build the target whose
/// input embedding starts from the weak model's.
///
/// Target embedding by transfer mode: `factorized` — E_T = A·B, A = E_weak (V × d_weak,
/// trainable), B (d_weak × d_target) freshly initialised; `randomA` — the same factorisation
/// with A left at its random initialisation (no transfer, same low rank); `copy` — a full
/// E_T = E_weak (equal dimensions). For feature inputs the "embedding" is the first linear
/// layer (W₁ = B·A with A = the weak model's first-layer weight). A transformer target's token
/// table is factorised the same way; its tokens the weak MLP does not read (`=`, operators)
/// keep their fresh rows of A (or of E for `copy`), and its position embeddings start fresh.
enum GrokTransfer {
    struct WeakModel: Sendable {
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
    static func weakModel(
        for config: TrialConfig, weak: WeakStage, data: DataSplit,
        train: ((TrainingPlan) -> (runner: TrialRunner, outcome: TrainingOutcome))? = nil
    )
        -> (model: WeakModel, summary: WeakRunSummary)
    {
        let key = cacheKey(for: config, weak: weak)
        let (model, reused) = WeakModelCache.shared.value(for: key) {
            let plan = EnginePlan.weakPlan(for: config, weak: weak, data: data)
            guard case .mlp(let shape) = plan.model else { preconditionFailure("weak models are MLPs") }
            let (runner, outcome) =
                train?(plan)
                ?? {
                    let network = TrialRunner.freshMLP(shape, plan: plan, capacity: TrialRunner.workspaceCapacity(plan: plan, data: data))
                    let runner = TrialRunner(plan: plan, data: data, model: network)
                    return (runner, runner.run())
                }()
            guard let network = runner.model as? MLP else { preconditionFailure("weak models are MLPs") }
            // The transferred matrix's rank: the embedding dimension for tokens, the first
            // layer's width for feature inputs.
            let rank = config.task.readsTokens ? weak.model.embeddingDimensions : weak.model.width
            return WeakModel(
                representation: network.inputRepresentation(), rank: rank, steps: outcome.steps,
                seconds: outcome.seconds, flops: outcome.denseFlops,
                finalTestAccuracy: outcome.curve.last?.testAccuracy ?? .nan)
        }
        let summary = WeakRunSummary(
            key: key, steps: model.steps, seconds: model.seconds, flops: model.flops,
            finalTestAccuracy: model.finalTestAccuracy, reused: reused)
        return (model, summary)
    }

    static func cacheKey(for config: TrialConfig, weak: WeakStage) -> String {
        let identity = JSONValue.object([
            "task": config.task.json, "weak": weak.json, "seed": .number(Double(config.seed)),
            "evalEvery": .number(Double(config.evalEvery)),
        ])
        return StableHash.hex(of: identity.canonicalText)
    }

    /// The target's plan: the trial's, its input layer (MLP) or token table (transformer)
    /// factorised to `rank` (nil for `copy`), with the transfer's merge step.
    static func targetPlan(for config: TrialConfig, transfer: Transfer, data: DataSplit, rank: Int?) throws -> TrainingPlan {
        var plan = try EnginePlan.targetPlan(for: config, data: data)
        switch plan.model {
        case .mlp(var shape):
            shape.embeddingRank = rank
            plan.model = .mlp(shape)
        case .transformer(var shape):
            shape.embeddingRank = rank
            plan.model = .transformer(shape)
        }
        plan.mergeInputFactorsAfter = transfer.mergeAfter
        return plan
    }

    /// The target's plan and model, initialised from the trial seed, then given the transfer.
    static func target(
        for config: TrialConfig, transfer: Transfer, data: DataSplit,
        weak: WeakModel
    ) throws -> (plan: TrainingPlan, model: TrainableModel) {
        let rank: Int? =
            switch transfer {
            case .factorized, .randomA: weak.rank
            case .copy: nil
            }
        let plan = try targetPlan(for: config, transfer: transfer, data: data, rank: rank)
        var transformer = false
        if case .transformer(let shape) = plan.model {
            transformer = true
            if case .copy = transfer, weak.rank != shape.modelDimension {
                throw EnginePlan.Unsupported(
                    path: "$.transfer.mode",
                    reason: "copy needs the weak embedding dimension (\(weak.rank)) equal to the target's (\(shape.modelDimension))")
            }
        }
        let model = TrialRunner.freshModel(plan: plan, capacity: TrialRunner.workspaceCapacity(plan: plan, data: data))
        // The slice that takes the weak representation: the factor A, or the whole input matrix for `copy`.
        let tokens = config.task.readsTokens
        let transferred: String? =
            switch transfer {
            case .factorized: tokens ? "embedding.A" : "hidden.0.A"
            case .randomA: nil
            case .copy: transformer ? "embedding.token" : (tokens ? "embedding" : "hidden.0.weight")
            }
        if let transferred { model.parameters.overwriteRows(of: transferred, with: weak.representation) }
        return (plan, model)
    }
}

/// Weak models trained by this worker process, by cache key. One trial runs at a time, but
/// the mutex keeps the cache safe if that ever changes.
final class WeakModelCache: Sendable {
    static let shared = WeakModelCache()
    private let entries = Mutex<[String: GrokTransfer.WeakModel]>([:])
    /// Bounded so a long sweep over many weak configs cannot grow without limit.
    private let capacity = 64

    func value(for key: String, make: () -> GrokTransfer.WeakModel) -> (GrokTransfer.WeakModel, reused: Bool) {
        if let cached = entries.withLock({ $0[key] }) { return (cached, true) }
        let model = make()
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = model
        }
        return (model, false)
    }

    /// Forgets one weak model (tests that must train it again).
    func removeValue(for key: String) { _ = entries.withLock { $0.removeValue(forKey: key) } }
}
