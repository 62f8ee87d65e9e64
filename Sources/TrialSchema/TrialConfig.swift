/// One fully specified trial: task, method, target model and its training, an optional gradient
/// amplifier, budget, thresholds and seed.
///
/// This is the contract between sweep files, the coordinator and the worker. Every choice is an
/// enum whose cases carry only their own settings, so a value cannot hold another case's fields
/// and every `switch` over it is exhaustive. The JSON form (and the id it defines) lives in
/// `Protocol`; the defaults here are the canonical grokking experiment: modular addition mod 97,
/// half the pairs for training, an MLP d 128 / 512 ReLU, AdamW 1e-3, weight decay 1.
public struct TrialConfig: Hashable, Sendable {
    public var task: TrialTask = .modular(ModularTask())
    public var method: Method = .scratch
    public var target = Stage()
    /// A gradient amplifier on the target model (Grokfast, NeuralGrok); nil for none.
    public var amplifier: Amplifier?
    /// Also record weight norm, gradient norm and AGE at every evaluation.
    public var diagnostics = false
    /// Maximum optimiser steps of the target model.
    public var budget = 20_000
    /// Evaluate train/test loss and accuracy every this many steps.
    public var evalEvery = 10
    public var thresholds = Thresholds()
    /// Fixes initialisation, data split and batch order.
    public var seed = 0

    public init() {}
}

/// How the target model is trained.
public enum Method: Hashable, Sendable {
    /// Train the target from scratch.
    case scratch
    /// Train a weak model first, then the target with its input embedding initialised from the
    /// weak model's (Xu et al., "Let Me Grok for You", ICLR 2025).
    case grokTransfer(weak: WeakStage, transfer: Transfer)
}

/// Accuracy thresholds defining memorisation (`train`) and grokking (`test`), each to be held for
/// `sustain` consecutive evaluations.
public struct Thresholds: Hashable, Sendable {
    public var train = 0.99
    public var test = 0.99
    public var sustain = 3

    public init() {}

    public init(train: Double, test: Double, sustain: Int) {
        self.train = train
        self.test = test
        self.sustain = sustain
    }
}

// MARK: - GrokTransfer

/// GrokTransfer's weak model: always an MLP, trained with its own budget and stop rule.
public struct WeakStage: Hashable, Sendable {
    /// The paper's weak model: embedding 4, one hidden layer of 16.
    public var model = MLPSettings(embeddingDimensions: 4, width: 16)
    public var training = TrainingSettings()
    public var budget = 10_000
    /// Stop the weak model at the first evaluation with test accuracy at least this; nil trains
    /// for the whole budget.
    public var stopAtTestAccuracy: Double? = 0.9

    public init() {}
}

/// How GrokTransfer initialises the target's embedding from the weak model's `E_weak`.
public enum Transfer: Hashable, Sendable {
    /// E_T = A·B with A = E_weak (trainable) and B fresh: the paper's method. With `mergeAfter`,
    /// the factors are replaced by their product after that many target steps (Figure 15b).
    case factorized(mergeAfter: Int?)
    /// The same factorisation with A left random: low rank without transfer (ablation).
    case randomA(mergeAfter: Int?)
    /// E_T = E_weak copied into a full embedding (equal sizes; ablation).
    case copy

    /// Steps after which the factors merge into one matrix; nil keeps them (always for `copy`).
    public var mergeAfter: Int? {
        switch self {
        case .factorized(let steps), .randomA(let steps): steps
        case .copy: nil
        }
    }
}
