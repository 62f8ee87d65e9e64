/// NeuralGrok's amplifier G_φ (Zhou et al. 2025, Eq. 2) and its derivative with respect to φ.
///
/// A small MLP maps every gradient entry on its own, a scalar in and a score out:
///     s_i = MLP_φ(g_i)          (1 → hidden… → 1, ReLU between layers)
/// and, per parameter tensor (the softmax and the norm run over one tensor's entries):
///     p = softmax(s),   G(g) = c · (p ⊙ g) / ‖p ⊙ g‖₂.
/// G is invariant to a common scale of p, so the softmax normaliser cancels: the code uses
/// w_i = exp(s_i − max s) in place of p_i (same values of G, no tiny numbers), and for the
/// same reason ∂G/∂s needs no softmax-normaliser term.
///
/// Entries are processed in chunks, so the workspace stays small whatever the model size.
final class NeuralAmplifierNetwork {
    let parameters: ParameterStore
    let rescale: Float
    /// Layer widths from input to output: [1, hidden…, 1].
    let widths: [Int]
    private let weights: [ParameterSlice]
    private let biases: [ParameterSlice]
    /// Entries per chunk.
    private let chunk: Int
    /// Hidden activations of one chunk, one tensor per hidden layer (ReLU applied in place).
    private let activations: [Tensor]
    private let gradient: Tensor
    private let spareGradient: Tensor
    private let chunkScores: Tensor

    init(hidden: [Int], rescale: Float) {
        precondition(!hidden.isEmpty && hidden.allSatisfy { $0 >= 1 }, "the amplifier needs hidden layers")
        self.rescale = rescale
        widths = [1] + hidden + [1]
        var layout: [(name: String, shape: [Int])] = []
        for layer in 0..<(widths.count - 1) {
            layout += [("layer.\(layer).weight", [widths[layer + 1], widths[layer]]), ("layer.\(layer).bias", [widths[layer + 1]])]
        }
        let store = ParameterStore(layout: layout)
        parameters = store
        weights = (0..<(layout.count / 2)).map { store.slice("layer.\($0).weight") }
        biases = (0..<(layout.count / 2)).map { store.slice("layer.\($0).bias") }
        let rows = 2048
        chunk = rows
        activations = hidden.map { Tensor(shape: [rows, $0]) }
        let widest = hidden.max()!
        gradient = Tensor(shape: [rows, widest])
        spareGradient = Tensor(shape: [rows, widest])
        chunkScores = Tensor(shape: [rows])
    }

    /// PyTorch's `nn.Linear` default: weights and biases U(±1/√fan_in).
    func initialize(seed: Int) {
        var generator = SeededGenerator(seed: seed, stream: "amplifier")
        for (weight, bias) in zip(weights, biases) {
            let bound = 1 / Double(weight.shape[1]).squareRoot()
            for slice in [weight, bias] {
                let values = parameters.value(slice)
                for index in 0..<slice.count { values[index] = Float(generator.uniform(-bound, bound)) }
            }
        }
    }

    // MARK: Scores

    /// scores[i] = MLP_φ(inputs[i]) for i < count.
    func scores(of inputs: UnsafePointer<Float>, count: Int, into scores: UnsafeMutablePointer<Float>) {
        var start = 0
        while start < count {
            let m = min(chunk, count - start)
            forwardChunk(inputs + start, count: m, scores: scores + start)
            start += m
        }
    }

    private func forwardChunk(_ x: UnsafePointer<Float>, count m: Int, scores: UnsafeMutablePointer<Float>) {
        var input = x
        for layer in 0..<activations.count {
            let out = activations[layer].data
            Linear.forward(out: out, x: input, weight: parameters.value(weights[layer]), bias: parameters.value(biases[layer]),
                           count: m, inputs: widths[layer], outputs: widths[layer + 1])
            Activation.reluForward(out: out, x: out, count: m * widths[layer + 1])
            input = UnsafePointer(out)
        }
        let last = weights.count - 1
        Linear.forward(out: scores, x: input, weight: parameters.value(weights[last]), bias: parameters.value(biases[last]),
                       count: m, inputs: widths[last], outputs: 1)
    }

    /// parameters.gradients += Σ_i dscores[i] · ∂MLP_φ(inputs[i])/∂φ (forward recomputed per chunk).
    func backwardScores(inputs: UnsafePointer<Float>, dscores: UnsafePointer<Float>, count: Int) {
        var start = 0
        while start < count {
            let m = min(chunk, count - start)
            forwardChunk(inputs + start, count: m, scores: chunkScores.data)
            var upstream = gradient.data, spare = spareGradient.data
            let last = weights.count - 1
            Linear.backward(dx: upstream, dweight: parameters.gradient(weights[last]), dbias: parameters.gradient(biases[last]),
                            dout: dscores + start, x: activations[last - 1].data, weight: parameters.value(weights[last]),
                            count: m, inputs: widths[last], outputs: 1)
            for layer in stride(from: last - 1, through: 0, by: -1) {
                let out = activations[layer].data
                Activation.reluBackward(dx: upstream, dout: upstream, out: out, count: m * widths[layer + 1])
                let input = layer == 0 ? inputs + start : UnsafePointer(activations[layer - 1].data)
                Linear.backward(dx: layer == 0 ? nil : spare, dweight: parameters.gradient(weights[layer]),
                                dbias: parameters.gradient(biases[layer]), dout: upstream, x: input,
                                weight: parameters.value(weights[layer]), count: m, inputs: widths[layer],
                                outputs: widths[layer + 1])
                swap(&upstream, &spare)
            }
            start += m
        }
    }

    // MARK: The transform G

    /// out = G(g) tensor by tensor (`out` may equal `g`), given scores = MLP_φ(g).
    func transform(_ g: UnsafePointer<Float>, scores: UnsafePointer<Float>, slices: [ParameterSlice],
                   into out: UnsafeMutablePointer<Float>) {
        for slice in slices {
            let (start, n) = (slice.offset, slice.count)
            let maximum = Self.maximum(scores + start, count: n)
            var squares = 0.0
            for index in start..<(start + n) {
                let y = FastMath.exp(scores[index] - maximum) * g[index]
                squares += Double(y) * Double(y)
            }
            let factor = squares > 0 ? Float(Double(rescale) / squares.squareRoot()) : 0
            for index in start..<(start + n) { out[index] = factor * FastMath.exp(scores[index] - maximum) * g[index] }
        }
    }

    /// parameters.gradients += ∂/∂φ of Σ_i upstream[i] · G(g)_i. Per tensor, with y = w ⊙ g,
    /// r = ‖y‖, ŷ = y / r:  ∂L/∂y = (c / r)(u − (u·ŷ) ŷ);  ∂L/∂s_i = ∂L/∂y_i · g_i · w_i.
    /// `dscores` (count) is workspace and may be `scores` itself (each score is read before its
    /// entry is overwritten, and the MLP backward recomputes from g).
    func backwardTransform(_ g: UnsafePointer<Float>, scores: UnsafePointer<Float>, upstream u: UnsafePointer<Float>,
                           slices: [ParameterSlice], dscores: UnsafeMutablePointer<Float>, count: Int) {
        for slice in slices {
            let (start, n) = (slice.offset, slice.count)
            let maximum = Self.maximum(scores + start, count: n)
            var squares = 0.0, projection = 0.0
            for index in start..<(start + n) {
                let y = Double(FastMath.exp(scores[index] - maximum) * g[index])
                squares += y * y
                projection += Double(u[index]) * y
            }
            guard squares > 0 else {
                (dscores + start).update(repeating: 0, count: n)
                continue
            }
            let r = squares.squareRoot()
            let scale = Float(Double(rescale) / r), along = Float(projection / squares)
            for index in start..<(start + n) {
                let w = FastMath.exp(scores[index] - maximum)
                let dy = scale * (u[index] - along * w * g[index])
                dscores[index] = dy * g[index] * w
            }
        }
        backwardScores(inputs: g, dscores: dscores, count: count)
    }

    private static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var best = -Float.infinity
        for index in 0..<count { best = max(best, values[index]) }
        return best
    }

    /// FLOPs of one score pass over `count` entries (forward only).
    func forwardFlops(count: Int) -> Double {
        (0..<(widths.count - 1)).reduce(0.0) { $0 + Linear.forwardFlops(count: count, inputs: widths[$1], outputs: widths[$1 + 1]) }
    }
}
