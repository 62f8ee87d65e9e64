import Engine
import Testing
import TrialSchema

/// Every backward against central finite differences of a scalar objective
/// L = Σ wᵢ · outᵢ (so dout = w), in Float32 with a step and tolerance to match.
struct GradientCheckTests {
    static let step: Float = 1e-2

    /// Relative agreement of analytic and numeric gradients.
    static func expectClose(
        _ analytic: [Float], _ numeric: [Float], tolerance: Float = 2e-2,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(analytic.count == numeric.count, sourceLocation: sourceLocation)
        var difference: Float = 0, scale: Float = 1e-3
        for (left, right) in zip(analytic, numeric) {
            difference = max(difference, abs(left - right))
            scale = max(scale, abs(left), abs(right))
        }
        #expect(difference / scale < tolerance, "max |Δ| \(difference) at scale \(scale)", sourceLocation: sourceLocation)
    }

    /// Every parameter slice's gradient of L = Σ w · logits (w random from `weightSeed`) over
    /// `count` examples of `tokens`, against central differences (step 1e-2, tolerance 2e-2).
    static func expectTransformerGradientsMatchFiniteDifferences(
        _ model: Transformer, tokens: [Int32], count n: Int, weightSeed: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let w = random([n, model.classes], seed: weightSeed)
        func objective() -> Double {
            tokens.withUnsafeBufferPointer { dot(model.forward(InputBatch(tokens: $0.baseAddress!, count: n)), w) }
        }
        model.parameters.zeroGradients()
        _ = objective()
        model.backward(dlogits: w.data, count: n)
        let analytic = model.parameters.gradients.array
        let numeric = numericGradient(of: model.parameters.values, step: 1e-2, objective: objective)
        for slice in model.parameters.slices {
            let range = slice.offset..<(slice.offset + slice.count)
            expectClose(Array(analytic[range]), Array(numeric[range]), tolerance: 2e-2, sourceLocation: sourceLocation)
        }
    }

    /// A transformer's fast path (its shortcuts) against the full computation over `data` in one
    /// batch: logits equal up to 1e-5 and every parameter's cross-entropy gradient up to 1e-4
    /// (float summation order), both models initialised alike.
    static func expectShortcutsMatchFullComputation(
        _ shape: TransformerShape, data: Dataset, seed: Int, scheme: TransformerInitialization = .nanda,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        func run(_ path: ComputePath) -> (logits: [Float], gradients: [Float]) {
            let model = Transformer(shape: shape, capacity: data.count, path: path)
            model.initialize(seed: seed, scheme: scheme)
            model.parameters.zeroGradients()
            let logits = data.tokens.withUnsafeBufferPointer { model.forward(InputBatch(tokens: $0.baseAddress!, count: data.count)) }
            let values = Array(UnsafeBufferPointer(start: logits, count: data.count * shape.classes))
            _ = data.labels.withUnsafeBufferPointer {
                Loss.softmaxCrossEntropy(
                    logits: logits, labels: $0.baseAddress!, count: data.count, classes: shape.classes,
                    dlogits: logits, scale: data.count)
            }
            model.backward(dlogits: logits, count: data.count)
            return (values, model.parameters.gradients.array)
        }
        let fast = run(.fast), full = run(.reference)
        expectClose(fast.logits, full.logits, tolerance: 1e-5, sourceLocation: sourceLocation)
        expectClose(fast.gradients, full.gradients, tolerance: 1e-4, sourceLocation: sourceLocation)
    }

    /// ∂/∂x[i] of objective() by central differences.
    static func numericGradient(of x: Tensor, step: Float = step, objective: () -> Double) -> [Float] {
        (0..<x.count).map { index in
            let saved = x[index]
            x[index] = saved + step
            let plus = objective()
            x[index] = saved - step
            let minus = objective()
            x[index] = saved
            return Float((plus - minus) / Double(2 * step))
        }
    }

    static func random(_ shape: [Int], seed: Int, range: Double = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed, stream: "test")
        let tensor = Tensor(shape: shape)
        for index in 0..<tensor.count { tensor[index] = Float(generator.uniform(-range, range)) }
        return tensor
    }

    static func dot(_ a: UnsafePointer<Float>, _ b: Tensor) -> Double {
        (0..<b.count).reduce(0.0) { $0 + Double(a[$1]) * Double(b[$1]) }
    }

    @Test func linear() {
        let (n, inputs, outputs) = (3, 4, 5)
        let x = Self.random([n, inputs], seed: 1), weight = Self.random([outputs, inputs], seed: 2)
        let bias = Self.random([outputs], seed: 3), w = Self.random([n, outputs], seed: 4)
        let out = Tensor(shape: [n, outputs])
        func objective() -> Double {
            Linear.forward(out: out.data, x: x.data, weight: weight.data, bias: bias.data, count: n, inputs: inputs, outputs: outputs)
            return Self.dot(out.data, w)
        }
        let dx = Tensor(shape: [n, inputs]), dweight = Tensor(shape: [outputs, inputs]), dbias = Tensor(shape: [outputs])
        _ = objective()
        Linear.backward(
            dx: dx.data, dweight: dweight.data, dbias: dbias.data, dout: w.data, x: x.data, weight: weight.data,
            count: n, inputs: inputs, outputs: outputs)
        Self.expectClose(dx.array, Self.numericGradient(of: x, objective: objective))
        Self.expectClose(dweight.array, Self.numericGradient(of: weight, objective: objective))
        Self.expectClose(dbias.array, Self.numericGradient(of: bias, objective: objective))
    }

    @Test func embedding() {
        let tokens: [Int32] = [0, 2, 2, 1, 3, 3]
        let table = Self.random([4, 3], seed: 5), w = Self.random([3, 6], seed: 6), out = Tensor(shape: [3, 6])
        func objective() -> Double {
            tokens.withUnsafeBufferPointer {
                Embedding.forward(out: out.data, tokens: $0.baseAddress!, table: table.data, count: 3, tokensPerExample: 2, dimension: 3)
            }
            return Self.dot(out.data, w)
        }
        let dtable = Tensor(shape: [4, 3])
        tokens.withUnsafeBufferPointer {
            Embedding.backward(dtable: dtable.data, dout: w.data, tokens: $0.baseAddress!, count: 3, tokensPerExample: 2, dimension: 3)
        }
        Self.expectClose(dtable.array, Self.numericGradient(of: table, objective: objective))
    }

    @Test(arguments: ["relu", "gelu"])
    func activation(_ name: String) {
        // Keep ReLU inputs away from the kink, where finite differences are meaningless.
        let x = Self.random([20], seed: 7, range: 2)
        for index in 0..<x.count where abs(x[index]) < 0.1 { x[index] = 0.5 }
        let w = Self.random([20], seed: 8), out = Tensor(shape: [20]), dx = Tensor(shape: [20])
        func objective() -> Double {
            if name == "relu" {
                Activation.reluForward(out: out.data, x: x.data, count: 20)
            } else {
                Activation.geluForward(out: out.data, x: x.data, count: 20)
            }
            return Self.dot(out.data, w)
        }
        _ = objective()
        if name == "relu" {
            Activation.reluBackward(dx: dx.data, dout: w.data, out: out.data, count: 20)
        } else {
            Activation.geluBackward(dx: dx.data, dout: w.data, x: x.data, count: 20)
        }
        Self.expectClose(dx.array, Self.numericGradient(of: x, objective: objective))
    }

    @Test(arguments: ["crossEntropy", "mse"])
    func loss(_ name: String) {
        let (n, classes) = (4, 5)
        let logits = Self.random([n, classes], seed: 9, range: 2)
        let labels: [Int32] = [0, 4, 2, 2]
        let scratch = Tensor(shape: [n, classes]), dlogits = Tensor(shape: [n, classes])
        func evaluate(gradient: UnsafeMutablePointer<Float>?) -> LossTally {
            scratch.copy(from: logits)
            return labels.withUnsafeBufferPointer {
                name == "mse"
                    ? Loss.meanSquaredError(
                        logits: scratch.data, labels: $0.baseAddress!, count: n, classes: classes,
                        dlogits: gradient, scale: n)
                    : Loss.softmaxCrossEntropy(
                        logits: scratch.data, labels: $0.baseAddress!, count: n, classes: classes,
                        dlogits: gradient, scale: n)
            }
        }
        _ = evaluate(gradient: dlogits.data)
        let numeric = Self.numericGradient(of: logits) {
            let tally = evaluate(gradient: nil)
            // The objective is the mean loss the gradient belongs to (MSE: mean over n × classes).
            return tally.lossSum / Double(n) * (name == "mse" ? 1 : 1)
        }
        Self.expectClose(dlogits.array, numeric)
    }

    @Test(arguments: [false, true], ["relu", "gelu"])
    func tokenMLP(reference: Bool, activation: String) {
        let shape = MLPShape(
            vocabularySize: 5, embeddingDimension: 3, width: 6, depth: 2, classes: 4,
            activation: activation == "relu" ? .relu : .gelu)
        let model = MLP(shape: shape, capacity: 8, path: reference ? .reference : .fast)
        model.initialize(seed: 11, scale: 1)
        let tokens: [Int32] = [0, 1, 4, 4, 2, 3, 1, 0, 3, 3, 0, 2]
        let n = 6
        let w = Self.random([n, shape.classes], seed: 12)
        func objective() -> Double {
            tokens.withUnsafeBufferPointer { Self.dot(model.forward(InputBatch(tokens: $0.baseAddress!, count: n)), w) }
        }
        model.parameters.zeroGradients()
        _ = objective()
        model.backward(dlogits: w.data, count: n)
        let analytic = model.parameters.gradients.array
        // A smaller step keeps ReLU pre-activations from crossing their kink.
        let numeric = Self.numericGradient(
            of: model.parameters.values, step: activation == "relu" ? 1e-3 : Self.step,
            objective: objective)
        Self.expectClose(analytic, numeric, tolerance: 2e-2)
    }
}
