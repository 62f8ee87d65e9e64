import TrialSchema

/// NeuralGrok (Zhou, Fan, Jaggi, Fu 2025, "NeuralGrok: Accelerate Grokking by Neural Gradient
/// Transformation"): the gradient is replaced by a learned transformation G_φ of itself
/// (`NeuralAmplifierNetwork`), and φ is trained by bilevel optimisation
///     θ* = argmin_θ L(θ, φ*; D_inner)   s.t.   φ* = argmin_φ L(θ − η G_φ(∇L(θ; B)); D_outer).
///
/// Inner step (every step, `amplify`): g ← G_φ(g), then g ← g · min(1, clip / ‖g‖) over the
/// whole model (`clip_grad_norm_`), then the model's optimiser.
/// Outer step (every T steps, after the inner update, `outerStep`): on the same inner batch B
/// at the current weights θ, g = ∇L(θ; B); one look-ahead SGD step θ′ = θ − η G_φ(g) with η the
/// model's learning rate; L_outer = mean cross-entropy of θ′ on all of D_outer; φ ← Adam step
/// on ∂L_outer/∂φ = Σ_tensors (∂L_outer/∂θ′)ᵀ (−η) ∂G_φ(g)/∂φ (g held fixed); θ restored.
///
/// Differences from the reference code, on purpose: the look-ahead starts from the weights
/// after the inner update (the code's copy lags by up to T − 1 steps), the amplifier has no
/// dropout, and its Adam has no weight decay.
public final class NeuralGrok: GradientAmplifier {
    public let settings: NeuralGrokSettings
    /// The settings the float kernels use.
    private let clip: Float, outerLearningRate: Float
    let network: NeuralAmplifierNetwork
    let metaOptimizer: AdamW
    private var rawGradient: Tensor
    private var scores: Tensor
    private var savedValues: Tensor
    /// Outer updates done so far.
    public internal(set) var outerSteps = 0

    public init(settings: NeuralGrokSettings, parameterCount count: Int, seed: Int) {
        self.settings = settings
        clip = Float(settings.clip)
        outerLearningRate = Float(settings.outerLearningRate)
        network = NeuralAmplifierNetwork(hidden: settings.hidden, rescale: Float(settings.rescale))
        network.initialize(seed: seed)
        metaOptimizer = AdamW(parameters: network.parameters, beta1: 0.9, beta2: 0.98, weightDecay: 0)
        rawGradient = Tensor(shape: [count])
        scores = Tensor(shape: [count])
        savedValues = Tensor(shape: [count])
    }

    /// φ carries over unchanged (it acts per entry); only the per-entry workspace is resized.
    public func carryingState(from old: ParameterStore, to new: ParameterStore) -> GradientAmplifier {
        rawGradient = Tensor(shape: [new.count])
        scores = Tensor(shape: [new.count])
        savedValues = Tensor(shape: [new.count])
        return self
    }

    /// The amplifier's own parameters (φ).
    public var amplifierParameters: ParameterStore { network.parameters }

    public func amplify(_ parameters: ParameterStore) {
        let g = parameters.gradients.data, count = parameters.count
        network.scores(of: g, count: count, into: scores.data)
        network.transform(g, scoresToWeights: scores.data, slices: parameters.slices, into: g)
        guard clip > 0 else { return }
        var squares = 0.0
        for index in 0..<count { squares += Double(g[index]) * Double(g[index]) }
        let norm = squares.squareRoot()
        // As clip_grad_norm_: scale by clip / (norm + 1e-6) when the norm exceeds the clip.
        guard norm > Double(clip) else { return }
        let factor = Float(Double(clip) / (norm + 1e-6))
        for index in 0..<count { g[index] *= factor }
    }

    /// amplifierParameters.gradients += ∂/∂φ of Σᵢ upstreamᵢ · G_φ(gradient)ᵢ, the slices of
    /// `parameters` delimiting the tensors (what the outer step backpropagates; for tests).
    public func accumulateTransformGradient(parameters: ParameterStore, gradient: Tensor, upstream: Tensor) {
        network.scores(of: gradient.data, count: parameters.count, into: scores.data)
        network.transform(gradient.data, scoresToWeights: scores.data, slices: parameters.slices, into: savedValues.data)
        network.backwardTransform(
            gradient.data, weights: scores.data, upstream: upstream.data, slices: parameters.slices,
            dscores: scores.data, count: parameters.count)
    }

    /// One outer update of φ. `innerGradient` must leave ∇L(θ; B) of the current inner batch in
    /// `parameters.gradients`, `outerGradient` the gradient of the mean loss on D_outer at the
    /// current values; both overwrite the model's activations, nothing else. θ is restored.
    /// Returns L_outer at θ′.
    @discardableResult
    public func outerStep(
        parameters: ParameterStore, learningRate: Float, innerGradient: () -> Void,
        outerGradient: () -> Double
    ) -> Double {
        let count = parameters.count
        let theta = parameters.values.data, gradients = parameters.gradients.data
        savedValues.copy(from: parameters.values)
        innerGradient()
        rawGradient.copy(from: parameters.gradients)
        network.scores(of: rawGradient.data, count: count, into: scores.data)
        network.transform(rawGradient.data, scoresToWeights: scores.data, slices: parameters.slices, into: gradients)
        for index in 0..<count { theta[index] -= learningRate * gradients[index] }
        let outerLoss = outerGradient()
        // Upstream of G: ∂L_outer/∂G = −η ∂L_outer/∂θ′, written over the gradient buffer.
        for index in 0..<count { gradients[index] *= -learningRate }
        network.parameters.zeroGradients()
        network.backwardTransform(
            rawGradient.data, weights: scores.data, upstream: gradients, slices: parameters.slices,
            dscores: scores.data, count: count)
        metaOptimizer.step(learningRate: outerLearningRate)
        parameters.values.copy(from: savedValues)
        outerSteps += 1
        return outerLoss
    }
}
