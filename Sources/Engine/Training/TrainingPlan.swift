import TrialSchema

/// Everything the engine needs to train one model on one task: the model's shape and
/// initialisation, the optimiser, the batch schedule, the loss and the stopping rule.
public struct TrainingPlan: Sendable {
    /// The model trained, each initialised by its own scheme.
    public var model: ModelShape
    /// Fast kernels, or the straightforward ones they are checked against.
    public var path = ComputePath.fast
    /// A gradient amplifier between backward and the optimiser.
    public var amplifier: Amplifier?
    /// Record weight norm, gradient norm and AGE at every evaluation.
    public var diagnostics = false
    public var initScale: Double = 1
    /// How a transformer draws its initial parameters (MLPs have one scheme).
    public var transformerInitialization = TransformerInitialization.nanda
    public var optimizer: OptimizerSettings = .adamW(AdamSettings())
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1
    public var warmupSteps = 0
    /// Examples per step; 0 = the whole training set.
    public var batchSize = 0
    public var loss = LossFunction.crossEntropy
    public var budget = 20_000
    public var evalEvery = 10
    /// When a run counts as memorised and as grokked.
    public var criteria = Thresholds()
    public var seed = 0
    /// With a factorised input layer: replace the factors by their product after this many
    /// steps (GrokTransfer's merge ablation).
    public var mergeInputFactorsAfter: Int?

    public init(model: ModelShape) { self.model = model }

    /// A plan for an MLP of `shape`.
    public init(shape: MLPShape) { self.init(model: .mlp(shape)) }

    /// Learning rate at 0-based `step` under linear warm-up.
    func learningRate(at step: Int) -> Float {
        guard warmupSteps > 0, step < warmupSteps else { return learningRate }
        return learningRate * Float(step + 1) / Float(warmupSteps)
    }
}

/// The shape of the model a plan trains.
public enum ModelShape: Sendable, Equatable {
    case mlp(MLPShape)
    case transformer(TransformerShape)

    /// Dense forward FLOPs per example.
    public var forwardFlopsPerExample: Double {
        switch self {
        case .mlp(let shape): shape.forwardFlopsPerExample
        case .transformer(let shape): shape.forwardFlopsPerExample
        }
    }
}
