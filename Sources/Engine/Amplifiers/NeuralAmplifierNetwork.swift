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
/// Entries are processed in chunks, so the workspace stays small whatever the model size. A
/// network of one hidden layer is evaluated in its piecewise-linear form instead
/// (`PiecewiseLinearScores`), unless `dense` asks for the layer-by-layer computation.
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
    private var piecewise: PiecewiseLinearScores?

    init(hidden: [Int], rescale: Float, dense: Bool = false) {
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
        piecewise = hidden.count == 1 && !dense ? PiecewiseLinearScores() : nil
    }

    /// The piecewise-linear form of the current φ (one hidden layer only).
    private func preparedPiecewise() -> PiecewiseLinearScores? {
        guard var form = piecewise else { return nil }
        form.prepare(
            w1: parameters.value(weights[0]), b1: parameters.value(biases[0]), w2: parameters.value(weights[1]),
            b2: parameters.value(biases[1])[0], units: widths[1])
        return form
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
        if let form = preparedPiecewise() {
            form.scores(of: inputs, count: count, into: scores)
            return
        }
        var start = 0
        while start < count {
            let m = min(chunk, count - start)
            forwardChunk(inputs + start, count: m, scores: scores + start)
            start += m
        }
    }

    /// The first layer (one input) and the last (one output) are loops: as matrix products
    /// with an inner dimension or a width of one they would waste most of the GEMM's work.
    private func forwardChunk(_ x: UnsafePointer<Float>, count m: Int, scores: UnsafeMutablePointer<Float>) {
        let first = activations[0].data, h = widths[1]
        let (w1, b1) = (parameters.value(weights[0]), parameters.value(biases[0]))
        for row in 0..<m {
            let line = first + row * h, value = x[row]
            for column in 0..<h { line[column] = max(w1[column] * value + b1[column], 0) }
        }
        for layer in 1..<activations.count {
            let out = activations[layer].data
            Linear.forward(
                out: out, x: activations[layer - 1].data, weight: parameters.value(weights[layer]),
                bias: parameters.value(biases[layer]), count: m, inputs: widths[layer], outputs: widths[layer + 1])
            Activation.reluForward(out: out, x: out, count: m * widths[layer + 1])
        }
        let last = weights.count - 1, width = widths[last]
        let (w, b) = (parameters.value(weights[last]), parameters.value(biases[last])[0])
        let hidden = activations[last - 1].data
        for row in 0..<m { scores[row] = b + Self.dot(hidden + row * width, w, count: width) }
    }

    /// parameters.gradients += Σ_i dscores[i] · ∂MLP_φ(inputs[i])/∂φ (forward recomputed per chunk).
    func backwardScores(inputs: UnsafePointer<Float>, dscores: UnsafePointer<Float>, count: Int) {
        if let form = preparedPiecewise() {
            form.backward(
                inputs: inputs, dscores: dscores, count: count, w1: parameters.value(weights[0]),
                b1: parameters.value(biases[0]), w2: parameters.value(weights[1]), dw1: parameters.gradient(weights[0]),
                db1: parameters.gradient(biases[0]), dw2: parameters.gradient(weights[1]), db2: parameters.gradient(biases[1]))
            return
        }
        var start = 0
        while start < count {
            let m = min(chunk, count - start)
            let (x, ds) = (inputs + start, dscores + start)
            forwardChunk(x, count: m, scores: chunkScores.data)
            var upstream = gradient.data, spare = spareGradient.data
            // Last layer: s = a · w + b  →  dw += Σ ds · a, db += Σ ds, da = ds · w (ReLU mask next).
            let last = weights.count - 1, width = widths[last]
            let hidden = activations[last - 1].data, w = parameters.value(weights[last])
            let (dw, db) = (parameters.gradient(weights[last]), parameters.gradient(biases[last]))
            for row in 0..<m {
                let (line, target, factor) = (hidden + row * width, upstream + row * width, ds[row])
                for column in 0..<width {
                    dw[column] += factor * line[column]
                    target[column] = line[column] > 0 ? factor * w[column] : 0
                }
                db[0] += factor
            }
            for layer in stride(from: last - 1, through: 1, by: -1) {
                Linear.backward(
                    dx: spare, dweight: parameters.gradient(weights[layer]), dbias: parameters.gradient(biases[layer]),
                    dout: upstream, x: activations[layer - 1].data, weight: parameters.value(weights[layer]),
                    count: m, inputs: widths[layer], outputs: widths[layer + 1])
                Activation.reluBackward(dx: spare, dout: spare, out: activations[layer - 1].data, count: m * widths[layer])
                swap(&upstream, &spare)
            }
            // First layer: a = relu(w x + b)  →  dw += Σ da · x, db += Σ da (da already masked).
            let h = widths[1], (dw1, db1) = (parameters.gradient(weights[0]), parameters.gradient(biases[0]))
            for row in 0..<m {
                let (line, value) = (upstream + row * h, x[row])
                for column in 0..<h {
                    dw1[column] += line[column] * value
                    db1[column] += line[column]
                }
            }
            start += m
        }
    }

    /// Σ a_i b_i with eight independent lanes.
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: 0)
        var index = 0
        while index + 8 <= n {
            let left = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self)
            let right = UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self)
            lanes += left * right
            index += 8
        }
        var sum = lanes.sum()
        while index < n {
            sum += a[index] * b[index]
            index += 1
        }
        return sum
    }

    // MARK: The transform G

    /// out = G(g) tensor by tensor (`out` may equal `g`), given scores = MLP_φ(g), which are
    /// replaced by the weights w = exp(s − max s) of their tensor (what the derivative needs).
    func transform(
        _ g: UnsafePointer<Float>, scoresToWeights scores: UnsafeMutablePointer<Float>,
        slices: [ParameterSlice], into out: UnsafeMutablePointer<Float>
    ) {
        for slice in slices {
            let (w, gradient, n) = (scores + slice.offset, g + slice.offset, slice.count)
            let maximum = Self.maximum(w, count: n)
            for index in 0..<n { w[index] = FastMath.exp(w[index] - maximum) }
            let squares = Self.sumOfSquares(w, gradient, count: n)
            let factor = squares > 0 ? Float(Double(rescale) / squares.squareRoot()) : 0
            let target = out + slice.offset
            for index in 0..<n { target[index] = factor * w[index] * gradient[index] }
        }
    }

    /// parameters.gradients += ∂/∂φ of Σ_i upstream[i] · G(g)_i, given the weights `transform`
    /// left. Per tensor, with y = w ⊙ g, r = ‖y‖, ŷ = y / r:
    ///     ∂L/∂y = (c / r)(u − (u·ŷ) ŷ);   ∂L/∂s_i = ∂L/∂y_i · g_i · w_i.
    /// `dscores` (count) is workspace and may be `weights` itself (each weight is read before
    /// its entry is overwritten, and the MLP backward recomputes from g).
    func backwardTransform(
        _ g: UnsafePointer<Float>, weights: UnsafePointer<Float>, upstream u: UnsafePointer<Float>,
        slices: [ParameterSlice], dscores: UnsafeMutablePointer<Float>, count: Int
    ) {
        for slice in slices {
            let (w, gradient, upstream, n) = (weights + slice.offset, g + slice.offset, u + slice.offset, slice.count)
            var squares = 0.0, projection = 0.0
            for index in 0..<n {
                let y = Double(w[index] * gradient[index])
                squares += y * y
                projection += Double(upstream[index]) * y
            }
            let target = dscores + slice.offset
            guard squares > 0 else {
                target.update(repeating: 0, count: n)
                continue
            }
            let scale = Float(Double(rescale) / squares.squareRoot()), along = Float(projection / squares)
            for index in 0..<n {
                let (weight, entry) = (w[index], gradient[index])
                target[index] = scale * (upstream[index] - along * weight * entry) * entry * weight
            }
        }
        backwardScores(inputs: g, dscores: dscores, count: count)
    }

    /// Σ (a_i b_i)² in Double, four partial sums (independent adds pipeline).
    private static func sumOfSquares(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Double {
        var sums = (0.0, 0.0, 0.0, 0.0)
        var index = 0
        while index + 4 <= n {
            let y0 = Double(a[index] * b[index]), y1 = Double(a[index + 1] * b[index + 1])
            let y2 = Double(a[index + 2] * b[index + 2]), y3 = Double(a[index + 3] * b[index + 3])
            sums.0 += y0 * y0
            sums.1 += y1 * y1
            sums.2 += y2 * y2
            sums.3 += y3 * y3
            index += 4
        }
        while index < n {
            let y = Double(a[index] * b[index])
            sums.0 += y * y
            index += 1
        }
        return (sums.0 + sums.1) + (sums.2 + sums.3)
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
