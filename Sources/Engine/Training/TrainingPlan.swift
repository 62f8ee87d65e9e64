/// Everything the engine needs to train one model on one task: the model's shape and
/// initialisation, the optimiser, the batch schedule, the loss and the stopping rule.
public struct TrainingPlan: Sendable {
    public enum OptimizerKind: Sendable, Equatable {
        case adamW(beta1: Float, beta2: Float, epsilon: Float)
        /// Adam with weight decay added to the gradient (coupled L2).
        case adam(beta1: Float, beta2: Float, epsilon: Float)
        case sgd(momentum: Float)
    }
    public enum LossKind: Sendable { case crossEntropy, meanSquaredError }

    /// The MLP trained when `transformer` is nil.
    public var shape: MLPShape
    /// When set, the model is this transformer (initialised by its own scheme) instead of the MLP.
    public var transformer: TransformerShape?
    /// A gradient amplifier between backward and the optimiser.
    public var amplifier: AmplifierPlan?
    /// Record weight norm, gradient norm and AGE at every evaluation.
    public var diagnostics = false
    public var initScale: Double = 1
    public var optimizer: OptimizerKind = .adamW(beta1: 0.9, beta2: 0.98, epsilon: 1e-8)
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1
    public var warmupSteps = 0
    /// Examples per step; 0 = the whole training set.
    public var batchSize = 0
    public var loss: LossKind = .crossEntropy
    public var budget = 20_000
    public var evalEvery = 10
    public var criteria = GrokCriteria()
    public var seed = 0
    /// With a factorised input layer: replace the factors by their product after this many
    /// steps (GrokTransfer's merge ablation).
    public var mergeInputFactorsAfter: Int?

    public init(shape: MLPShape) { self.shape = shape }

    /// Learning rate at 0-based `step` under linear warm-up.
    func learningRate(at step: Int) -> Float {
        guard warmupSteps > 0, step < warmupSteps else { return learningRate }
        return learningRate * Float(step + 1) / Float(warmupSteps)
    }
}

/// When a run counts as memorised and as grokked.
public struct GrokCriteria: Sendable, Equatable {
    public var trainThreshold = 0.99
    public var testThreshold = 0.99
    /// Consecutive evaluations the threshold must hold for.
    public var sustain = 3
    public init() {}
    public init(trainThreshold: Double, testThreshold: Double, sustain: Int) {
        self.trainThreshold = trainThreshold
        self.testThreshold = testThreshold
        self.sustain = sustain
    }
}
