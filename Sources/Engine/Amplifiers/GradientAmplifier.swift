/// Which gradient amplifier a training run uses, with its settings.
public enum AmplifierPlan: Sendable, Equatable {
    /// Grokfast-EMA (α, λ).
    case ema(alpha: Float, lamb: Float)
    /// Grokfast-MA (window w, λ, warm-up).
    case movingAverage(window: Int, lamb: Float, warmup: Bool)
    /// NeuralGrok's learned amplifier with its bilevel training.
    case neuralGrok(NeuralGrokSettings)
}

/// A step between backward and the optimiser that rewrites a model's gradient buffer in
/// place (ironjr/grokfast's `gradfilter_*` in spirit), keeping whatever state it needs per
/// parameter. It sees only the flat gradient buffer and its named slices, so it works with
/// any model, and for a GrokTransfer target it amplifies the factors A and B like any other
/// parameter.
public protocol GradientAmplifier: AnyObject {
    /// Rewrites `parameters.gradients`; called once per optimiser step, after backward.
    func amplify(_ parameters: ParameterStore)
    /// The same amplifier for a model whose parameters changed layout (GrokTransfer's merge
    /// of A·B into one matrix): state carried by parameter name, fresh for new parameters.
    func carryingState(from old: ParameterStore, to new: ParameterStore) -> GradientAmplifier
}

extension AmplifierPlan {
    /// A fresh amplifier for a store of `count` parameters. NeuralGrok is built by the trial
    /// runner instead: it also needs the model, the loss and a held-out set.
    func makeFilter(parameterCount count: Int) -> GradientAmplifier? {
        switch self {
        case .ema(let alpha, let lamb): GrokfastEMA(count: count, alpha: alpha, lamb: lamb)
        case .movingAverage(let window, let lamb, let warmup):
            GrokfastMovingAverage(count: count, window: window, lamb: lamb, warmup: warmup)
        case .neuralGrok: nil
        }
    }
}
