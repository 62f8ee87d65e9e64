import Engine
import Testing
import TrialSchema

/// The papers' transformer options: the Grokfast code's normalised-residual block and PyTorch's
/// initialisation against finite differences and against the full computation, the token
/// layouts' sequences, and the initial scales each scheme promises.
struct TransformerFormTests {
    typealias Check = GradientCheckTests

    /// d 8, 2 heads, `layers` layers, LayerNorm and attention biases over a mod-5 layout.
    static func shape(
        _ form: TransformerBlockForm, _ layout: TokenLayout, layers: Int = 2,
        modulus: Int = 5, width: Int = 8, mlp: Int = 16
    ) -> TransformerShape {
        let sequence = layout.sequence(for: .multiply, modulus: modulus)
        return TransformerShape(
            vocabularySize: sequence.vocabulary, sequence: sequence.layout, modelDimension: width,
            heads: 2, mlpDimension: mlp, layers: layers,
            classes: layout == .plain ? modulus : sequence.vocabulary, activation: .gelu,
            layerNorm: true, attentionBias: true, blockForm: form)
    }

    // MARK: Gradients

    /// Every parameter's gradient under each block form, layout and initialisation, both paths.
    @Test(
        arguments: [
            (TransformerBlockForm.normalizedResidual, TokenLayout.infix, TransformerInitialization.pytorch),
            (.normalizedResidual, .plain, .nanda), (.preNorm, .postfix, .pytorch), (.normalizedResidual, .postfix, .nanda),
        ],
        [false, true])
    func modelGradients(variant: (TransformerBlockForm, TokenLayout, TransformerInitialization), reference: Bool) {
        let (form, layout, scheme) = variant
        let model = Transformer(shape: Self.shape(form, layout), capacity: 8, path: reference ? .reference : .fast)
        model.initialize(seed: 41, scheme: scheme)
        let n = 6, w = Check.random([n, model.classes], seed: 42)
        // b ≠ 0 throughout, as the papers' layouts require.
        let tokens: [Int32] = [0, 1, 4, 4, 2, 3, 1, 2, 3, 3, 0, 2]
        func objective() -> Double {
            tokens.withUnsafeBufferPointer { Check.dot(model.forward(InputBatch(tokens: $0.baseAddress!, count: n)), w) }
        }
        model.parameters.zeroGradients()
        _ = objective()
        model.backward(dlogits: w.data, count: n)
        let analytic = model.parameters.gradients.array
        let numeric = Check.numericGradient(of: model.parameters.values, step: 1e-2, objective: objective)
        for slice in model.parameters.slices {
            let range = slice.offset..<(slice.offset + slice.count)
            Check.expectClose(Array(analytic[range]), Array(numeric[range]), tolerance: 2e-2)
        }
    }

    /// The fast path (last-position last block, and the tables where the block allows them)
    /// equals the full computation for the normalised residual and the papers' layouts.
    @Test(arguments: [
        (TransformerBlockForm.normalizedResidual, TokenLayout.infix, 1), (.normalizedResidual, .infix, 2),
        (.normalizedResidual, .postfix, 3), (.preNorm, .infix, 2),
    ])
    func shortcutsMatchFullComputation(form: TransformerBlockForm, layout: TokenLayout, layers: Int) {
        let modulus = 11
        let shape = Self.shape(form, layout, layers: layers, modulus: modulus, width: 32, mlp: 64)
        let data = ModularArithmetic.dataset(operation: .multiply, modulus: modulus, papersOperandRanges: true)
        Check.expectShortcutsMatchFullComputation(shape, data: data, seed: 43, scheme: .pytorch)
    }

    // MARK: Layouts

    @Test func layoutsSpellTheirSequences() {
        typealias Slot = TransformerShape.SequenceLayout.Slot
        let plain = TokenLayout.plain.sequence(for: .multiply, modulus: 97)
        #expect(plain.layout == .init(inputTokens: 2, appendedTokens: [97]) && plain.vocabulary == 98)
        let infix = TokenLayout.infix.sequence(for: .multiply, modulus: 97)
        #expect(infix.layout.slots == [Slot.input(0), .constant(98), .input(1), .constant(97)] && infix.vocabulary == 99)
        let postfix = TokenLayout.postfix.sequence(for: .multiply, modulus: 97)
        #expect(postfix.layout.slots == [Slot.input(0), .input(1), .constant(98), .constant(97)] && postfix.vocabulary == 99)
    }

    /// The papers' data: 97 · 96 = 9 312 equations with b ≠ 0 (SCIENCE §1.1).
    @Test func papersLayoutsLeaveOutAZeroSecondOperand() {
        let data = ModularArithmetic.dataset(operation: .multiply, modulus: 97, papersOperandRanges: true)
        #expect(data.count == 9_312)
        #expect(stride(from: 1, to: data.tokens.count, by: 2).allSatisfy { data.tokens[$0] != 0 })
        #expect(ModularArithmetic.dataset(operation: .multiply, modulus: 97).count == 9_409)
    }

    /// The model writes the slots: logits of `a op b =` differ from `a b op =` for the same weights.
    @Test func sequenceOrderReachesTheModel() {
        func logits(_ layout: TokenLayout) -> [Float] {
            let model = Transformer(shape: Self.shape(.normalizedResidual, layout), capacity: 2)
            model.initialize(seed: 44, scheme: .pytorch)
            let tokens: [Int32] = [1, 2, 3, 4]
            let out = tokens.withUnsafeBufferPointer { model.forward(InputBatch(tokens: $0.baseAddress!, count: 2)) }
            return Array(UnsafeBufferPointer(start: out, count: 2 * model.classes))
        }
        #expect(logits(.infix) != logits(.postfix))
    }

    // MARK: Initialisation

    static func deviation(_ model: Transformer, _ name: String) -> Double {
        let slice = model.parameters.slice(name), values = model.parameters.value(slice)
        let squares = (0..<slice.count).reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) }
        return (squares / Double(slice.count)).squareRoot()
    }

    static func largest(_ model: Transformer, _ name: String) -> Double {
        let slice = model.parameters.slice(name), values = model.parameters.value(slice)
        return (0..<slice.count).reduce(0.0) { max($0, Double(abs(values[$1]))) }
    }

    /// nn.Embedding N(0, 1); MultiheadAttention Xavier in-projection, zero biases; nn.Linear
    /// U(±1/√fan_in) (standard deviation bound/√3); LayerNorm (1, 0); initScale on every draw.
    @Test(arguments: [1.0, 2.0])
    func pytorchSchemeFollowsTheLayerDefaults(scale: Double) {
        let shape = Self.shape(.normalizedResidual, .infix, layers: 1, modulus: 97, width: 128, mlp: 512)
        let model = Transformer(shape: shape, capacity: 1)
        model.initialize(seed: 0, scale: scale, scheme: .pytorch)
        func expectNear(_ name: String, _ expected: Double, tolerance: Double = 0.03) {
            let relative = abs(Self.deviation(model, name) / (scale * expected) - 1)
            #expect(relative < tolerance, "\(name): deviation \(Self.deviation(model, name)), expected \(scale * expected)")
        }
        expectNear("embedding.token", 1)
        expectNear("embedding.position", 1, tolerance: 0.15)
        let xavier = (6.0 / 512).squareRoot(), linear = 1 / 128.0.squareRoot(), output = 1 / 512.0.squareRoot()
        expectNear("block.0.attention.qkv.weight", xavier / 3.0.squareRoot())
        #expect(Self.largest(model, "block.0.attention.qkv.weight") <= scale * xavier)
        expectNear("block.0.attention.output.weight", linear / 3.0.squareRoot())
        expectNear("block.0.mlp.input.weight", linear / 3.0.squareRoot())
        expectNear("block.0.mlp.input.bias", linear / 3.0.squareRoot(), tolerance: 0.1)
        expectNear("block.0.mlp.output.weight", output / 3.0.squareRoot())
        #expect(Self.largest(model, "block.0.mlp.output.bias") <= scale * output)
        expectNear("unembedding.weight", linear / 3.0.squareRoot())
        #expect(Self.largest(model, "block.0.attention.qkv.bias") == 0)
        #expect(Self.largest(model, "block.0.attention.output.bias") == 0)
        #expect(Self.deviation(model, "block.0.norm1.weight") == 1 && Self.largest(model, "final.norm.bias") == 0)
    }

    /// The default scheme draws exactly what the engine drew before schemes existed (Nanda's
    /// N(0, 1/d), the unembedding N(0, 1/V), written out here as it was), so runs keep their numbers.
    @Test func nandaSchemeIsTheDefaultAndUnchanged() {
        var shape = TransformerShape.modularArithmetic(
            modulus: 13, layers: 2, modelDimension: 16, heads: 2, mlpDimension: 32,
            layerNorm: true)
        shape.attentionBias = true
        let model = Transformer(shape: shape, capacity: 1)
        model.initialize(seed: 5, scale: 1.5)
        var generator = SeededGenerator(seed: 5, stream: "init")
        var expected: [Float] = []
        for slice in model.parameters.slices {
            let isNorm = slice.name.contains("norm")
            if slice.name.hasSuffix(".bias") || isNorm {
                expected += Array(repeating: isNorm && slice.name.hasSuffix(".weight") ? 1 : 0, count: slice.count)
                continue
            }
            let deviation = 1.5 / (slice.name == "unembedding.weight" ? 14.0 : 16.0).squareRoot()
            for _ in 0..<slice.count { expected.append(Float(deviation * generator.normal())) }
        }
        #expect(model.parameters.values.array == expected)
    }
}
