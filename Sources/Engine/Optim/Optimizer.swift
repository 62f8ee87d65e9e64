/// Updates a parameter store from its gradients, one step at a time.
public protocol Optimizer: AnyObject {
    /// Applies one update with the given learning rate (schedules are the caller's).
    func step(learningRate: Float)
    /// The same optimiser over another store, with the state of every parameter that has the
    /// same name and size in both; new parameters start from zero state.
    func carryingState(to store: ParameterStore) -> Optimizer
}

extension ParameterStore {
    /// Copies per-parameter state laid out like `self` into state laid out like `other`, by
    /// parameter name.
    func transferState(_ source: Tensor, to destination: Tensor, layout other: ParameterStore) {
        destination.zero()
        for slice in other.slices {
            guard let old = slices.first(where: { $0.name == slice.name }), old.count == slice.count else { continue }
            (destination.data + slice.offset).update(from: source.data + old.offset, count: slice.count)
        }
    }
}

/// AdamW (Loshchilov & Hutter) with decoupled weight decay, as PyTorch implements it:
/// θ ← θ(1 − η λ); m, v moments with bias correction; θ ← θ − η m̂ / (√v̂ + ε).
/// Decay applies to every parameter, as `torch.optim.AdamW(model.parameters())` does.
///
/// With `decoupled: false` it is `torch.optim.Adam` with weight decay: the decay enters the
/// gradient (g ← g + λ θ) before the moments, and θ is not shrunk directly. The Grokfast and
/// NeuralGrok code train this way, so their amplifiers never see or amplify the decay term.
public final class AdamW: Optimizer {
    public let parameters: ParameterStore
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupled: Bool
    let firstMoment: Tensor
    let secondMoment: Tensor
    public internal(set) var stepCount = 0

    public func carryingState(to store: ParameterStore) -> Optimizer {
        let next = AdamW(
            parameters: store, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            decoupled: decoupled)
        next.stepCount = stepCount
        parameters.transferState(firstMoment, to: next.firstMoment, layout: store)
        parameters.transferState(secondMoment, to: next.secondMoment, layout: store)
        return next
    }

    public init(
        parameters: ParameterStore, beta1: Float = 0.9, beta2: Float = 0.98, epsilon: Float = 1e-8,
        weightDecay: Float, decoupled: Bool = true
    ) {
        self.parameters = parameters
        self.decoupled = decoupled
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = Tensor(shape: [parameters.count])
        secondMoment = Tensor(shape: [parameters.count])
    }

    public func step(learningRate: Float) {
        stepCount += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(stepCount)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(stepCount)))
        let decayFactor = decoupled ? 1 - learningRate * weightDecay : 1
        let coupledDecay = decoupled ? 0 : weightDecay
        let theta = parameters.values.data, gradient = parameters.gradients.data
        let m = firstMoment.data, v = secondMoment.data
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let stepSize = learningRate / correction1
        let inverseCorrection2 = 1 / correction2
        for index in 0..<parameters.count {
            let g = gradient[index] + coupledDecay * theta[index]
            let mNext = b1 * m[index] + (1 - b1) * g
            let vNext = b2 * v[index] + (1 - b2) * g * g
            m[index] = mNext
            v[index] = vNext
            theta[index] = theta[index] * decayFactor - stepSize * mNext / ((vNext * inverseCorrection2).squareRoot() + eps)
        }
    }
}

/// SGD with optional heavy-ball momentum and L2 weight decay added to the gradient.
public final class SGD: Optimizer {
    public let parameters: ParameterStore
    public let momentum: Float
    public let weightDecay: Float
    let velocity: Tensor

    public func carryingState(to store: ParameterStore) -> Optimizer {
        let next = SGD(parameters: store, momentum: momentum, weightDecay: weightDecay)
        parameters.transferState(velocity, to: next.velocity, layout: store)
        return next
    }

    public init(parameters: ParameterStore, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        self.momentum = momentum
        self.weightDecay = weightDecay
        velocity = Tensor(shape: [parameters.count])
    }

    public func step(learningRate: Float) {
        let theta = parameters.values.data, gradient = parameters.gradients.data, buffer = velocity.data
        let (mu, decay) = (momentum, weightDecay)
        for index in 0..<parameters.count {
            let g = gradient[index] + decay * theta[index]
            let direction = mu * buffer[index] + g
            buffer[index] = direction
            theta[index] -= learningRate * direction
        }
    }
}

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif
