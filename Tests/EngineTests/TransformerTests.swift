import Engine
import Foundation
import Testing

/// The transformer's kernels and whole model against central finite differences (as in
/// `GradientCheckTests`), its shortcuts against the full computation, determinism, and learning.
struct TransformerTests {
    typealias Check = GradientCheckTests

    static func small(layerNorm: Bool, activation: TransformerShape.Activation = .gelu, layers: Int = 2) -> TransformerShape {
        var shape = TransformerShape.modularArithmetic(
            modulus: 5, layers: layers, modelDimension: 8, heads: 2,
            mlpDimension: 16, activation: activation, layerNorm: layerNorm)
        shape.attentionBias = layerNorm
        return shape
    }

    /// Six (a, b) pairs mod 5; the model appends `=`.
    static let tokens: [Int32] = [0, 1, 4, 4, 2, 3, 1, 0, 3, 3, 0, 2]

    // MARK: Kernels

    @Test func layerNorm() {
        let (rows, d) = (3, 6)
        let x = Check.random([rows, d], seed: 21, range: 2), weight = Check.random([d], seed: 22)
        let bias = Check.random([d], seed: 23), w = Check.random([rows, d], seed: 24)
        let out = Tensor(shape: [rows, d]), mean = Tensor(shape: [rows]), inverse = Tensor(shape: [rows])
        func objective() -> Double {
            LayerNorm.forward(
                out: out.data, mean: mean.data, inverseDeviation: inverse.data, x: x.data, weight: weight.data,
                bias: bias.data, rows: rows, dimension: d)
            return Check.dot(out.data, w)
        }
        _ = objective()
        let dx = Tensor(shape: [rows, d]), dweight = Tensor(shape: [d]), dbias = Tensor(shape: [d])
        LayerNorm.backward(
            dx: dx.data, dweight: dweight.data, dbias: dbias.data, dout: w.data, x: x.data, weight: weight.data,
            mean: mean.data, inverseDeviation: inverse.data, rows: rows, dimension: d)
        Check.expectClose(dx.array, Check.numericGradient(of: x, step: 1e-3, objective: objective))
        Check.expectClose(dweight.array, Check.numericGradient(of: weight, step: 1e-3, objective: objective))
        Check.expectClose(dbias.array, Check.numericGradient(of: bias, step: 1e-3, objective: objective))
    }

    /// Softmax, causal mask and mixing, with every position queried and with the last only.
    @Test(arguments: [3, 1])
    func causalAttention(queries: Int) {
        let (n, t, heads, d) = (2, 3, 2, 4)
        let qkv = Check.random([n, t, 3 * d], seed: 25, range: 1.5), w = Check.random([n, queries, d], seed: 26)
        let out = Tensor(shape: [n, queries, d]), probabilities = Tensor(shape: [n, heads, queries, t])
        func objective() -> Double {
            CausalAttention.forward(
                out: out.data, probabilities: probabilities.data, qkv: qkv.data, count: n, length: t,
                queries: queries, heads: heads, dimension: d)
            return Check.dot(out.data, w)
        }
        _ = objective()
        let dqkv = Tensor(shape: [n, t, 3 * d])
        CausalAttention.backward(
            dqkv: dqkv.data, dout: w.data, probabilities: probabilities.data, qkv: qkv.data,
            count: n, length: t, queries: queries, heads: heads, dimension: d)
        Check.expectClose(dqkv.array, Check.numericGradient(of: qkv, step: 1e-3, objective: objective))
    }

    /// A position's output ignores later positions' keys and values; probabilities sum to one.
    @Test func attentionIsCausal() {
        let (n, t, heads, d) = (1, 3, 2, 4)
        let qkv = Check.random([n, t, 3 * d], seed: 27)
        let out = Tensor(shape: [t, d]), probabilities = Tensor(shape: [heads, t, t])
        CausalAttention.forward(
            out: out.data, probabilities: probabilities.data, qkv: qkv.data, count: n, length: t,
            queries: t, heads: heads, dimension: d)
        let before = out.array
        for column in d..<(3 * d) { qkv[2 * 3 * d + column] += 5 }
        CausalAttention.forward(
            out: out.data, probabilities: probabilities.data, qkv: qkv.data, count: n, length: t,
            queries: t, heads: heads, dimension: d)
        #expect(Array(out.array[0..<(2 * d)]) == Array(before[0..<(2 * d)]))
        #expect(out.array[(2 * d)...] != before[(2 * d)...])
        for row in 0..<(heads * t) {
            let sum = (0..<t).reduce(Float(0)) { $0 + probabilities[row * t + $1] }
            #expect(abs(sum - 1) < 1e-5)
            #expect((row % t + 1..<t).allSatisfy { probabilities[row * t + $0] == 0 })
        }
    }

    // MARK: Whole model

    /// d 8, 2 heads, 2 layers, sequence `a b =`: every parameter's gradient, both paths.
    @Test(arguments: [false, true], [false, true])
    func modelGradients(layerNorm: Bool, reference: Bool) {
        let model = Transformer(shape: Self.small(layerNorm: layerNorm), capacity: 8, path: reference ? .reference : .fast)
        model.initialize(seed: 31)
        Check.expectTransformerGradientsMatchFiniteDifferences(model, tokens: Self.tokens, count: 6, weightSeed: 32)
    }

    /// ReLU's kink needs a small step; one layer, no LayerNorm (Nanda's model in miniature).
    @Test func reluModelGradients() {
        let model = Transformer(shape: Self.small(layerNorm: false, activation: .relu, layers: 1), capacity: 8)
        model.initialize(seed: 33)
        let n = 6, w = Check.random([n, model.classes], seed: 34)
        func objective() -> Double {
            Self.tokens.withUnsafeBufferPointer { Check.dot(model.forward(InputBatch(tokens: $0.baseAddress!, count: n)), w) }
        }
        model.parameters.zeroGradients()
        _ = objective()
        model.backward(dlogits: w.data, count: n)
        Check.expectClose(
            model.parameters.gradients.array,
            Check.numericGradient(of: model.parameters.values, step: 1e-3, objective: objective), tolerance: 3e-2)
    }

    /// Logits and gradients of the fast path (last-position last block, first-block tables)
    /// equal the full computation up to float summation order.
    /// (layer norm, layers, modulus): p = 31 (961 examples) is large enough for attention,
    /// LayerNorm and the other loops to be split over the compute team.
    @Test(arguments: [(false, 1, 11), (true, 1, 11), (false, 2, 11), (true, 2, 11), (true, 2, 31)])
    func shortcutsMatchFullComputation(layerNorm: Bool, layers: Int, modulus: Int) {
        var shape = TransformerShape.modularArithmetic(
            modulus: modulus, layers: layers, modelDimension: 32, heads: 4,
            mlpDimension: 64, layerNorm: layerNorm)
        shape.attentionBias = layerNorm
        let data = ModularArithmetic.dataset(operation: .add, modulus: modulus)
        Check.expectShortcutsMatchFullComputation(shape, data: data, seed: 35)
    }

    @Test func sameSeedGivesBitIdenticalLogitsAndGradients() {
        func run(seed: Int) -> [Float] {
            let model = Transformer(shape: Self.small(layerNorm: true), capacity: 8)
            model.initialize(seed: seed)
            model.parameters.zeroGradients()
            let logits = Self.tokens.withUnsafeBufferPointer { model.forward(InputBatch(tokens: $0.baseAddress!, count: 6)) }
            let values = Array(UnsafeBufferPointer(start: logits, count: 6 * model.classes))
            model.backward(dlogits: logits, count: 6)
            return values + model.parameters.gradients.array
        }
        #expect(run(seed: 7) == run(seed: 7))
        #expect(run(seed: 7) != run(seed: 8))
    }

    @Test func initialisationFollowsNandaScales() {
        let shape = TransformerShape.modularArithmetic(modulus: 97, layers: 1, layerNorm: true)
        let model = Transformer(shape: shape, capacity: 1)
        model.initialize(seed: 0)
        func deviation(_ name: String) -> Double {
            let slice = model.parameters.slice(name), values = model.parameters.value(slice)
            let squares = (0..<slice.count).reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) }
            return (squares / Double(slice.count)).squareRoot()
        }
        #expect(abs(deviation("block.0.mlp.input.weight") * 128.0.squareRoot() - 1) < 0.02)
        #expect(abs(deviation("unembedding.weight") * 98.0.squareRoot() - 1) < 0.05)
        #expect(deviation("block.0.mlp.input.bias") == 0)
        #expect(deviation("block.0.norm1.weight") == 1)
    }

    // MARK: Learning

    /// Nanda's setup in small: 1 layer on (a + b) mod 23 with `=`, full batch, AdamW lr 1e-3 wd 1.
    @Test func oneLayerMemorisesModularAddition() {
        let data = DataSplit(all: ModularArithmetic.dataset(operation: .add, modulus: 23), trainFraction: 0.5, seed: 0).train
        let model = Transformer(shape: .modularArithmetic(modulus: 23, layers: 1), capacity: data.count)
        model.initialize(seed: 0)
        let optimizer = AdamW(parameters: model.parameters, beta1: 0.9, beta2: 0.98, weightDecay: 1)
        var memorisedAt: Int?
        data.tokens.withUnsafeBufferPointer { tokens in
            data.labels.withUnsafeBufferPointer { labels in
                for step in 0..<400 where memorisedAt == nil {
                    model.parameters.zeroGradients()
                    let logits = model.forward(InputBatch(tokens: tokens.baseAddress!, count: data.count))
                    let tally = Loss.softmaxCrossEntropy(
                        logits: logits, labels: labels.baseAddress!, count: data.count,
                        classes: model.classes, dlogits: logits, scale: data.count)
                    if tally.correct == data.count {
                        memorisedAt = step
                        break
                    }
                    model.backward(dlogits: logits, count: data.count)
                    optimizer.step(learningRate: 1e-3)
                }
            }
        }
        let step = try! #require(memorisedAt, "train accuracy never reached 1.0 in 400 steps")
        #expect(step < 400)
    }
}
