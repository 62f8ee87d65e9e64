import Engine
import Testing
import TrialSchema

/// GrokTransfer's factorised token table in the transformer, E = A·B: the factors' gradients
/// against finite differences on both paths, the shortcuts against the full computation, and
/// the merge into one table keeping the function.
struct TransformerFactorsTests {
    typealias Check = GradientCheckTests

    /// d 8, 2 heads, rank 3, LayerNorm and attention biases over `a op b =` mod 5.
    static func shape(
        _ form: TransformerBlockForm, layers: Int = 2, modulus: Int = 5, width: Int = 8, mlp: Int = 16, rank: Int? = 3
    )
        -> TransformerShape
    {
        let sequence = TokenLayout.infix.sequence(for: .add, modulus: modulus)
        return TransformerShape(
            vocabularySize: sequence.vocabulary, sequence: sequence.layout, modelDimension: width, heads: 2,
            mlpDimension: mlp, layers: layers, classes: sequence.vocabulary, activation: .gelu, layerNorm: true,
            attentionBias: true, blockForm: form, embeddingRank: rank)
    }

    @Test(arguments: [TransformerBlockForm.normalizedResidual, .preNorm], [false, true])
    func factorGradients(form: TransformerBlockForm, reference: Bool) {
        let model = Transformer(shape: Self.shape(form), capacity: 8, path: reference ? .reference : .fast)
        model.initialize(seed: 71, scheme: .pytorch)
        #expect(model.parameters.slices.map(\.name).prefix(3) == ["embedding.A", "embedding.B", "embedding.position"])
        let tokens: [Int32] = [0, 1, 4, 4, 2, 3, 1, 2, 3, 3, 0, 2]
        Check.expectTransformerGradientsMatchFiniteDifferences(model, tokens: tokens, count: 6, weightSeed: 72)
    }

    /// Tables, position 0 and the last-position shortcut on the factorised table, every equation mod 11.
    @Test(arguments: [1, 3])
    func shortcutsMatchFullComputation(layers: Int) {
        let modulus = 11
        let shape = Self.shape(.normalizedResidual, layers: layers, modulus: modulus, width: 32, mlp: 64, rank: 5)
        let data = ModularArithmetic.dataset(operation: .add, modulus: modulus, papersOperandRanges: true)
        Check.expectShortcutsMatchFullComputation(shape, data: data, seed: 73, scheme: .pytorch)
    }

    /// Merging A·B into `embedding.token` keeps every logit and every other parameter.
    @Test func mergeKeepsTheFunction() throws {
        let shape = Self.shape(.normalizedResidual)
        let model = Transformer(shape: shape, capacity: 4)
        model.initialize(seed: 74, scheme: .pytorch)
        let merged = try #require(model.mergingInputFactors() as? Transformer)
        #expect(merged.shape.embeddingRank == nil && merged.parameters.slices.first?.name == "embedding.token")
        let tokens: [Int32] = [0, 1, 4, 4, 2, 3, 1, 2]
        func logits(_ model: Transformer) -> [Float] {
            let out = tokens.withUnsafeBufferPointer { model.forward(InputBatch(tokens: $0.baseAddress!, count: 4)) }
            return Array(UnsafeBufferPointer(start: out, count: 4 * model.classes))
        }
        Check.expectClose(logits(model), logits(merged), tolerance: 1e-5)
        #expect(Transformer(shape: Self.shape(.preNorm, rank: nil), capacity: 1).mergingInputFactors() == nil)
    }

    /// Both schemes start A·B at the scale of their unfactorised table.
    @Test(arguments: [TransformerInitialization.pytorch, .nanda])
    func factorsStartAtTheTablesScale(scheme: TransformerInitialization) {
        let width = 128
        let factored = Transformer(shape: Self.shape(.preNorm, modulus: 97, width: width, mlp: 32, rank: 16), capacity: 1)
        let table = Transformer(shape: Self.shape(.preNorm, modulus: 97, width: width, mlp: 32, rank: nil), capacity: 1)
        factored.initialize(seed: 75, scheme: scheme)
        table.initialize(seed: 75, scheme: scheme)
        let composed = factored.mergingInputFactors() as! Transformer
        func deviation(_ model: Transformer) -> Double {
            let slice = model.parameters.slice("embedding.token"), values = model.parameters.value(slice)
            return ((0..<slice.count).reduce(0.0) { $0 + Double(values[$1] * values[$1]) } / Double(slice.count)).squareRoot()
        }
        let ratio = deviation(composed) / deviation(table)
        #expect(ratio > 0.85 && ratio < 1.15)
    }
}
