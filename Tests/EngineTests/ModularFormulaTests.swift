import Engine
import Testing
import TrialSchema

/// NeuralGrok's formulas of two and five operands: their equations, operand ranges and
/// sequences as its code builds them, the transformer over the long sequences against finite
/// differences and the full computation, and whole trials on them.
struct ModularFormulaTests {
    typealias Check = GradientCheckTests

    // MARK: Data

    /// NeuralGrok's `src/dataset.py`: b ≥ 1 for a² − b; c, d ≥ 1 for a·c + b·d − e.
    @Test func papersOperandRangesCountTheirEquations() {
        #expect(ModularArithmetic.dataset(operation: .squareMinus, modulus: 97, papersOperandRanges: true).count == 97 * 96)
        #expect(ModularArithmetic.dataset(operation: .squareMinus, modulus: 97).count == 97 * 97)
        let papers = ModularArithmetic.dataset(operation: .dotMinus, modulus: 7, papersOperandRanges: true)
        #expect(papers.count == 7 * 7 * 6 * 6 * 7)
        #expect(ModularArithmetic.dataset(operation: .dotMinus, modulus: 7).count == 16_807)
        #expect(ModularOperation.dotMinus.equationCount(modulus: 7, papersOperandRanges: true) == papers.count)
        for row in 0..<papers.count {
            #expect(papers.tokens[row * 5 + 2] != 0 && papers.tokens[row * 5 + 3] != 0)
        }
    }

    /// Every label is the formula of its operands, and the operand tuples come in odometer
    /// order, the last operand fastest.
    @Test(arguments: [ModularOperation.squareMinus, .dotMinus])
    func labelsAreTheFormula(operation: ModularOperation) {
        let p = 7
        let data = ModularArithmetic.dataset(operation: operation, modulus: p, papersOperandRanges: true)
        let k = operation.operandCount
        var previous = -1
        for row in 0..<data.count {
            let x = (0..<k).map { Int(data.tokens[row * k + $0]) }
            let expected =
                operation == .squareMinus
                ? ((x[0] * x[0] - x[1]) % p + p) % p : ((x[0] * x[2] + x[1] * x[3] - x[4]) % p + p) % p
            #expect(Int(data.labels[row]) == expected)
            let rank = x.reduce(0) { $0 * p + $1 }
            #expect(rank > previous)
            previous = rank
        }
    }

    /// The binary formulas keep the equations and order they had as two-operand tasks.
    @Test(arguments: [ModularOperation.add, .subtract, .multiply, .divide, .polynomial], [false, true])
    func binaryFormulasAreUnchanged(operation: ModularOperation, papers: Bool) {
        let p = 11
        var tokens: [Int32] = [], labels: [Int32] = []
        for a in 0..<p {
            for b in (papers ? 1 : 0)..<p {
                let value: Int? =
                    switch operation {
                    case .add: (a + b) % p
                    case .subtract: ((a - b) % p + p) % p
                    case .multiply: a * b % p
                    case .divide: b == 0 ? nil : (0..<p).first { ($0 * b) % p == a }
                    case .polynomial: (a * a + a * b + b * b) % p
                    default: nil
                    }
                guard let value else { continue }
                tokens += [Int32(a), Int32(b)]
                labels.append(Int32(value))
            }
        }
        let data = ModularArithmetic.dataset(operation: operation, modulus: p, papersOperandRanges: papers)
        #expect(data.tokens == tokens && data.labels == labels)
    }

    /// The sequences of NeuralGrok's code (`infix`, `src/dataset.py`) and of its `neuralgrad`
    /// branch (`postfix`), with one token per distinct operator after `=`.
    @Test func formulasSpellTheirSequences() {
        typealias Slot = TransformerShape.SequenceLayout.Slot
        let (a, b, c, d, e) = (Slot.input(0), Slot.input(1), Slot.input(2), Slot.input(3), Slot.input(4))
        let (equals, op1, op2, op3) = (Slot.constant(7), Slot.constant(8), Slot.constant(9), Slot.constant(10))
        let infix = TokenLayout.infix.sequence(for: .dotMinus, modulus: 7)
        #expect(infix.layout.slots == [a, op1, b, op2, c, op1, d, op3, e, equals] && infix.vocabulary == 11)
        let postfix = TokenLayout.postfix.sequence(for: .dotMinus, modulus: 7)
        #expect(postfix.layout.slots == [a, b, c, d, e, op1, op2, op3, equals] && postfix.vocabulary == 11)
        let plain = TokenLayout.plain.sequence(for: .dotMinus, modulus: 7)
        #expect(plain.layout.slots == [a, b, c, d, e, equals] && plain.vocabulary == 8)
        let square = TokenLayout.infix.sequence(for: .squareMinus, modulus: 97)
        #expect(
            square.layout.slots == [a, .constant(98), a, .constant(99), b, .constant(97)] && square.vocabulary == 100)
        #expect(
            TokenLayout.postfix.sequence(for: .squareMinus, modulus: 97).layout.slots == [
                a, b, .constant(98), .constant(99), .constant(97),
            ])
    }

    // MARK: The transformer on long sequences

    /// d 8, 2 heads, LayerNorm, attention biases, the code's block, over a formula mod 3.
    static func shape(
        _ operation: ModularOperation, _ layout: TokenLayout, layers: Int, width: Int = 8, mlp: Int = 16
    )
        -> TransformerShape
    {
        let sequence = layout.sequence(for: operation, modulus: 3)
        return TransformerShape(
            vocabularySize: sequence.vocabulary, sequence: sequence.layout, modelDimension: width, heads: 2,
            mlpDimension: mlp, layers: layers, classes: layout == .plain ? 3 : sequence.vocabulary, activation: .gelu,
            layerNorm: true, attentionBias: true, blockForm: .normalizedResidual)
    }

    /// Every parameter's gradient over a ten-token sequence that repeats an operator token, both paths.
    @Test(arguments: [TokenLayout.infix, .postfix], [false, true])
    func longSequenceGradients(layout: TokenLayout, reference: Bool) {
        let model = Transformer(shape: Self.shape(.dotMinus, layout, layers: 2), capacity: 4, path: reference ? .reference : .fast)
        model.initialize(seed: 51, scheme: .pytorch)
        let tokens: [Int32] = [0, 2, 1, 1, 1, 2, 1, 2, 2, 0, 1, 1, 0, 2, 2]
        Check.expectTransformerGradientsMatchFiniteDifferences(model, tokens: tokens, count: 3, weightSeed: 52)
    }

    /// The shortcuts (tables, position 0, last position) equal the full computation on the
    /// four-layer model of NeuralGrok's mod-7 task, over every equation of a·c + b·d − e mod 3.
    @Test(arguments: [TokenLayout.infix, .postfix])
    func shortcutsMatchOnFourLayers(layout: TokenLayout) {
        let shape = Self.shape(.dotMinus, layout, layers: 4, width: 16, mlp: 32)
        let data = ModularArithmetic.dataset(operation: .dotMinus, modulus: 3, papersOperandRanges: true)
        Check.expectShortcutsMatchFullComputation(shape, data: data, seed: 53, scheme: .pytorch)
    }

    // MARK: Trials

    /// a·c + b·d − e mod 5 on a small 4-layer faithful transformer with NeuralGrok's amplifier
    /// (hidden 1 152 would be its code's; 16 here), in minibatches.
    static func config(seed: Int) -> TrialConfig {
        var config = TrialConfig()
        config.task = .modular(ModularTask(operation: .dotMinus, modulus: 5, trainFraction: 0.5, layout: .infix))
        var transformer = TransformerSettings()
        transformer.modelDimensions = 16
        transformer.heads = 2
        transformer.mlpDimensions = 32
        transformer.layers = 4
        transformer.activation = .gelu
        transformer.layerNorm = true
        transformer.attentionBias = true
        transformer.block = .normalizedResidual
        transformer.initialization = .pytorch
        config.target.architecture = .transformer(transformer)
        config.target.training.optimizer = .adam(AdamSettings())
        config.target.training.weightDecay = 1e-3
        config.target.training.batchSize = 64
        config.amplifier = .neuralGrok(NeuralGrokSettings(hidden: [16], outerEvery: 1, outerFraction: 0.02))
        config.budget = 40
        config.evalEvery = 10
        config.seed = seed
        return config
    }

    @Test func fiveOperandTrialRunsAndRepeatsItself() throws {
        let config = Self.config(seed: 3)
        let data = try EnginePlan.data(for: config)
        #expect(data.train.count + data.test.count == 5 * 5 * 4 * 4 * 5)
        let plan = try EnginePlan.targetPlan(for: config, data: data)
        guard case .transformer(let shape) = plan.model else {
            Issue.record("expected a transformer")
            return
        }
        #expect(shape.sequenceLength == 10 && shape.vocabularySize == 9 && shape.classes == 9 && shape.layers == 4)
        let first = TrialRunner(plan: plan, data: data).run(), second = TrialRunner(plan: plan, data: data).run()
        #expect(first.curve.count == 5)
        #expect(first.curve == second.curve)
    }

    /// A formula whose equations would not fit a worker is refused with the path that says why.
    @Test func tooManyEquationsAreRefused() {
        var config = Self.config(seed: 0)
        config.task = .modular(ModularTask(operation: .dotMinus, modulus: 97, layout: .infix))
        #expect {
            try EnginePlan.data(for: config)
        } throws: { error in
            (error as? EnginePlan.Unsupported)?.path == "$.task.modulus"
        }
    }
}
