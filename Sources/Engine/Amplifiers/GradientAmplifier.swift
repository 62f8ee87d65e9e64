import TrialSchema

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

extension Amplifier {
    /// A fresh amplifier for a model of `count` parameters trained with `seed`.
    func make(parameterCount count: Int, seed: Int) -> GradientAmplifier {
        switch self {
        case .ema(let settings):
            GrokfastEMA(count: count, alpha: Float(settings.alpha), lamb: Float(settings.lamb))
        case .movingAverage(let settings):
            GrokfastMovingAverage(count: count, window: settings.window, lamb: Float(settings.lamb), warmup: settings.warmup)
        case .neuralGrok(let settings):
            NeuralGrok(settings: settings, parameterCount: count, seed: seed)
        }
    }
}
