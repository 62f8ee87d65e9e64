/// A gradient amplifier: a step between backward and the optimiser that reshapes the gradient of
/// the trial's target model.
public enum Amplifier: Hashable, Sendable {
    /// Grokfast-EMA: μ ← α μ + (1 − α) g;  g ← g + λ μ  (Lee et al. 2024).
    case ema(EMASettings)
    /// Grokfast-MA: g ← g + λ · mean of the last `window` gradients.
    case movingAverage(MovingAverageSettings)
    /// NeuralGrok: a learned per-entry amplifier trained by bilevel optimisation on a held-out
    /// part of the training set (Zhou et al. 2025).
    case neuralGrok(NeuralGrokSettings)
}

/// Grokfast-EMA's decay and amplification (the paper's defaults).
public struct EMASettings: Hashable, Sendable {
    /// α: the average's decay per step.
    public var alpha = 0.98
    /// λ: amplification of the slow component.
    public var lamb = 2.0

    public init(alpha: Double = 0.98, lamb: Double = 2) {
        self.alpha = alpha
        self.lamb = lamb
    }
}

/// Grokfast-MA's window and amplification (the paper's defaults).
public struct MovingAverageSettings: Hashable, Sendable {
    public var window = 100
    /// λ: amplification of the slow component (5 by the paper's default).
    public var lamb = 5.0
    /// Leave gradients unfiltered until the window is full (the reference code's default).
    public var warmup = true

    public init(window: Int = 100, lamb: Double = 5, warmup: Bool = true) {
        self.window = window
        self.lamb = lamb
        self.warmup = warmup
    }
}

/// NeuralGrok's amplifier network and its outer (bilevel) training.
public struct NeuralGrokSettings: Hashable, Sendable {
    /// Hidden layer widths of the amplifier MLP (1 → hidden… → 1, ReLU).
    public var hidden = [32]
    /// c: each tensor's amplified gradient has norm c.
    public var rescale = 1.0
    /// T: one outer (amplifier) update every T inner steps.
    public var outerEvery = 4
    /// Learning rate of the amplifier's Adam.
    public var outerLearningRate = 1e-4
    /// Share of the training set held out for the outer objective (the code's 1 % of the whole
    /// data set is 2 % of a half split).
    public var outerFraction = 0.02
    /// Global gradient-norm clip after amplification (0 = off); the reference code clips at 1.
    public var clip = 1.0

    public init(
        hidden: [Int] = [32], rescale: Double = 1, outerEvery: Int = 4, outerLearningRate: Double = 1e-4,
        outerFraction: Double = 0.02, clip: Double = 1
    ) {
        self.hidden = hidden
        self.rescale = rescale
        self.outerEvery = outerEvery
        self.outerLearningRate = outerLearningRate
        self.outerFraction = outerFraction
        self.clip = clip
    }
}
