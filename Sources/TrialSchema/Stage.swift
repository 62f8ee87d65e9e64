/// A model and how it is trained: the target stage of a trial.
public struct Stage: Hashable, Sendable {
    public var architecture: Architecture = .mlp(MLPSettings())
    public var training = TrainingSettings()

    public init(architecture: Architecture = .mlp(MLPSettings()), training: TrainingSettings = TrainingSettings()) {
        self.architecture = architecture
        self.training = training
    }
}

/// The model family with its sizes.
public enum Architecture: Hashable, Sendable {
    case mlp(MLPSettings)
    /// A decoder-only transformer over the task's token sequence (its `TokenLayout`), read at
    /// the last position (token tasks only).
    case transformer(TransformerSettings)
}

/// The hidden layers' nonlinearity.
public enum ActivationFunction: String, CaseIterable, Hashable, Sendable { case relu, gelu }

/// An MLP: inputs (concatenated token embeddings, or the feature vector) through `depth` hidden
/// layers of `width`.
public struct MLPSettings: Hashable, Sendable {
    /// Embedding dimension of token inputs (feature inputs have no embedding).
    public var embeddingDimensions = 128
    /// Hidden layer width.
    public var width = 512
    /// Number of hidden layers.
    public var depth = 1
    public var activation = ActivationFunction.relu
    public var bias = true

    public init(
        embeddingDimensions: Int = 128, width: Int = 512, depth: Int = 1, activation: ActivationFunction = .relu,
        bias: Bool = true
    ) {
        self.embeddingDimensions = embeddingDimensions
        self.width = width
        self.depth = depth
        self.activation = activation
        self.bias = bias
    }
}

/// A decoder-only transformer (Nanda et al.'s by default: d 128, 4 heads, d_mlp 512, one layer,
/// ReLU, no LayerNorm, no attention biases).
public struct TransformerSettings: Hashable, Sendable {
    /// d_model.
    public var modelDimensions = 128
    /// Attention heads; divide `modelDimensions`.
    public var heads = 4
    /// d_mlp.
    public var mlpDimensions = 512
    public var layers = 1
    public var activation = ActivationFunction.relu
    /// Pre-LN blocks and a final LayerNorm.
    public var layerNorm = false
    /// Biases on the attention projections.
    public var attentionBias = false
    /// Where each block's attention residual starts (needs `layerNorm` for `normalizedResidual`).
    public var block = TransformerBlockForm.preNorm
    public var initialization = TransformerInitialization.nanda

    public init() {}
}

/// How one model is initialised and optimised.
public struct TrainingSettings: Hashable, Sendable {
    /// Multiplies every initial parameter (Omnigrok's α).
    public var initScale = 1.0
    public var optimizer: OptimizerSettings = .adamW(AdamSettings())
    public var learningRate = 1e-3
    /// Decoupled for AdamW; plain L2 added to the gradient for Adam and SGD.
    public var weightDecay = 1.0
    /// Linear learning-rate warm-up over this many steps.
    public var warmupSteps = 0
    /// Examples per step; 0 means the full training set.
    public var batchSize = 0
    public var loss = LossFunction.crossEntropy

    public init() {}
}

/// The optimiser with its own settings.
public enum OptimizerSettings: Hashable, Sendable {
    /// AdamW: decoupled weight decay.
    case adamW(AdamSettings)
    /// Adam with weight decay added to the gradient (coupled L2, `torch.optim.Adam`), as the
    /// Grokfast and NeuralGrok code trains.
    case adam(AdamSettings)
    /// SGD with momentum and L2 weight decay.
    case sgd(SGDSettings)
}

/// Adam's moment decays and ε (AdamW and coupled Adam alike).
public struct AdamSettings: Hashable, Sendable {
    public var beta1 = 0.9
    public var beta2 = 0.98
    public var epsilon = 1e-8

    public init(beta1: Double = 0.9, beta2: Double = 0.98, epsilon: Double = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// SGD's heavy-ball momentum.
public struct SGDSettings: Hashable, Sendable {
    public var momentum = 0.0

    public init(momentum: Double = 0) { self.momentum = momentum }
}

/// The training loss over the logits.
public enum LossFunction: String, CaseIterable, Hashable, Sendable {
    case crossEntropy
    /// Mean squared error against one-hot labels.
    case meanSquaredError = "mse"
}
