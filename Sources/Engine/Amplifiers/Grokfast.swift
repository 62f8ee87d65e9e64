/// Grokfast (Lee et al. 2024, "Grokfast: Accelerated Grokking by Amplifying Slow Gradients"):
/// add λ times a low-pass-filtered gradient to the gradient, amplifying its slow component.
/// Both filters are elementwise, so one state buffer over the flat parameter store is the same
/// as the reference code's state per named parameter.

/// Grokfast-EMA: μ ← α μ + (1 − α) g;  g ← g + λ μ.
/// As in the reference code, μ starts at the first gradient (so μ₁ = g₁).
public final class GrokfastEMA: GradientAmplifier {
    public let alpha: Float
    public let lamb: Float
    let average: Tensor
    var started = false

    public init(count: Int, alpha: Float, lamb: Float) {
        self.alpha = alpha
        self.lamb = lamb
        average = Tensor(shape: [count])
    }

    public func amplify(_ parameters: ParameterStore) {
        precondition(parameters.count == average.count, "filter built for \(average.count) parameters")
        let g = parameters.gradients.data, mu = average.data
        if !started {
            mu.update(from: g, count: average.count)
            started = true
        }
        let (a, b, l) = (alpha, 1 - alpha, lamb)
        for index in 0..<average.count {
            let next = a * mu[index] + b * g[index]
            mu[index] = next
            g[index] += l * next
        }
    }

    public func carryingState(from old: ParameterStore, to new: ParameterStore) -> GradientAmplifier {
        let next = GrokfastEMA(count: new.count, alpha: alpha, lamb: lamb)
        old.transferState(average, to: next.average, layout: new)
        next.started = started
        return next
    }
}

/// Grokfast-MA: keep the last `window` gradients; g ← g + λ · mean(queue), the current
/// gradient included. With `warmup` (the reference default) gradients pass unchanged until
/// the queue is full. The mean comes from a running sum in Double (one add and one subtract
/// per entry and step instead of `window` adds), within rounding of the direct mean.
public final class GrokfastMovingAverage: GradientAmplifier {
    public let window: Int
    public let lamb: Float
    public let warmup: Bool
    let count: Int
    /// `window` rows of `count` gradients, used as a ring.
    let history: Tensor
    let sum: UnsafeMutablePointer<Double>
    var filled = 0
    var next = 0

    public init(count: Int, window: Int, lamb: Float, warmup: Bool = true) {
        precondition(window >= 1, "a moving average needs a window of at least one step")
        self.count = count
        self.window = window
        self.lamb = lamb
        self.warmup = warmup
        history = Tensor(shape: [window, count])
        sum = .allocate(capacity: max(count, 1))
        sum.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { sum.deallocate() }

    public func amplify(_ parameters: ParameterStore) {
        precondition(parameters.count == count, "filter built for \(count) parameters")
        let g = parameters.gradients.data, slot = history.data + next * count
        let full = filled == window
        for index in 0..<count {
            let leaving = full ? Double(slot[index]) : 0
            sum[index] += Double(g[index]) - leaving
            slot[index] = g[index]
        }
        filled = min(filled + 1, window)
        next = (next + 1) % window
        guard !warmup || filled == window else { return }
        let scale = Double(lamb) / Double(filled)
        for index in 0..<count { g[index] += Float(scale * sum[index]) }
    }

    public func carryingState(from old: ParameterStore, to new: ParameterStore) -> GradientAmplifier {
        let next = GrokfastMovingAverage(count: new.count, window: window, lamb: lamb, warmup: warmup)
        let row = Tensor(shape: [count]), moved = Tensor(shape: [new.count])
        for slot in 0..<window {
            row.data.update(from: history.data + slot * count, count: count)
            old.transferState(row, to: moved, layout: new)
            (next.history.data + slot * new.count).update(from: moved.data, count: new.count)
            for index in 0..<new.count { next.sum[index] += Double(moved[index]) }
        }
        next.filled = filled
        next.next = self.next
        return next
    }
}
