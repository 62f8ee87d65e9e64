import Engine
import Protocol
import Testing
import TrialSchema

@testable import Worker

/// Every kind of trial config through `EnginePlan`: the data each task makes, the model each
/// architecture becomes, and the optimiser, loss, amplifier and thresholds the plan carries.
struct EnginePlanTests {
    static func config(_ text: String) throws -> TrialConfig { try TrialConfig(json: JSONValue.parse(text)) }

    // MARK: Tasks

    /// (task JSON, inputs, train count, test count, classes)
    @Test(arguments: [
        (#"{"kind": "modular", "operation": "add", "modulus": 13}"#, Dataset.Inputs.tokens(perExample: 2, vocabulary: 13), 84, 85, 13),
        (
            #"{"kind": "modular", "operation": "divide", "modulus": 13, "trainFraction": 0.25}"#,
            .tokens(perExample: 2, vocabulary: 13), 39, 117, 13
        ),
        (#"{"kind": "parity", "bits": 12, "order": 2, "trainCount": 30, "testCount": 20}"#, .features(width: 12), 30, 20, 2),
        (#"{"kind": "xorCluster", "dimension": 9, "trainCount": 25, "testCount": 15}"#, .features(width: 9), 25, 15, 2),
        (#"{"kind": "digits", "trainCount": 100}"#, .features(width: 64), 100, 1_697, 10),
    ])
    func eachTaskMakesItsData(task: String, inputs: Dataset.Inputs, train: Int, test: Int, classes: Int) throws {
        let data = try EnginePlan.data(for: Self.config(#"{"task": \#(task), "seed": 3}"#))
        #expect(data.train.inputs == inputs && data.test.inputs == inputs)
        #expect(data.train.count == train && data.test.count == test)
        #expect(data.train.classes == classes)
        // The seed fixes the split (or the sample): the same config gives the same data.
        let again = try EnginePlan.data(for: Self.config(#"{"task": \#(task), "seed": 3}"#))
        #expect(
            again.train.labels == data.train.labels && again.train.features == data.train.features
                && again.train.tokens == data.train.tokens)
    }

    @Test func divisionNeedsAPrimeModulus() throws {
        let error = try #require(throws: EnginePlan.Unsupported.self) {
            try EnginePlan.data(for: Self.config(#"{"task": {"operation": "divide", "modulus": 12}}"#))
        }
        #expect(error.path == "$.task.modulus")
    }

    // MARK: Models

    @Test func mlpShapeFollowsTheTaskInputs() throws {
        let tokens = try Self.config(
            #"{"task": {"modulus": 11}, "target": {"embeddingDim": 6, "width": 20, "depth": 2, "activation": "gelu", "bias": false}}"#)
        let tokenPlan = try EnginePlan.targetPlan(for: tokens, data: EnginePlan.data(for: tokens))
        #expect(
            tokenPlan.model
                == .mlp(
                    MLPShape(
                        vocabularySize: 11, tokensPerExample: 2, embeddingDimension: 6, width: 20,
                        depth: 2, classes: 11, activation: .gelu, bias: false)))
        let features = try Self.config(#"{"task": {"kind": "parity", "bits": 7, "order": 2}, "target": {"width": 20}}"#)
        let featurePlan = try EnginePlan.targetPlan(for: features, data: EnginePlan.data(for: features))
        #expect(
            featurePlan.model
                == .mlp(
                    MLPShape(
                        input: .features(width: 7), embeddingDimension: 128, width: 20, depth: 1,
                        classes: 2)))
    }

    @Test func transformerReadsTheTokensThenEquals() throws {
        let config = try Self.config(
            #"""
            {"task": {"modulus": 11}, "target": {"architecture": "transformer", "embeddingDim": 16, "heads": 2, "width": 32,
             "depth": 2, "activation": "gelu", "layerNorm": true, "attentionBias": true}}
            """#)
        let plan = try EnginePlan.targetPlan(for: config, data: EnginePlan.data(for: config))
        let expected = TransformerShape(
            vocabularySize: 12, sequence: .init(inputTokens: 2, appendedTokens: [11]),
            modelDimension: 16, heads: 2, mlpDimension: 32, layers: 2, classes: 11,
            activation: .gelu, layerNorm: true, attentionBias: true)
        #expect(plan.model == .transformer(expected))
    }

    /// The Grokfast code's model: `a op b =` over b ≠ 0, logits over all p + 2 tokens, its block
    /// and PyTorch's initialisation.
    @Test func faithfulTransformerReadsTheInfixSequence() throws {
        let config = try Self.config(
            #"""
            {"task": {"modulus": 11, "operation": "multiply", "layout": "infix"},
             "target": {"architecture": "transformer", "embeddingDim": 16, "heads": 2, "width": 32, "depth": 2,
                        "activation": "gelu", "layerNorm": true, "attentionBias": true, "block": "normalizedResidual",
                        "initialization": "pytorch"}}
            """#)
        let data = try EnginePlan.data(for: config)
        #expect(data.train.count + data.test.count == 11 * 10)
        let plan = try EnginePlan.targetPlan(for: config, data: data)
        let expected = TransformerShape(
            vocabularySize: 13, sequence: .init(inputTokens: 2, slots: [.input(0), .constant(12), .input(1), .constant(11)]),
            modelDimension: 16, heads: 2, mlpDimension: 32, layers: 2, classes: 13,
            activation: .gelu, layerNorm: true, attentionBias: true, blockForm: .normalizedResidual)
        #expect(plan.model == .transformer(expected))
        #expect(plan.transformerInitialization == .pytorch)
    }

    /// The decoder refuses it, but a config built in code could still ask for it.
    @Test func transformerOnFeaturesIsUnsupported() throws {
        var config = try Self.config(#"{"task": {"kind": "parity", "bits": 6, "order": 2}}"#)
        config.target.architecture = .transformer(TransformerSettings())
        let data = try EnginePlan.data(for: config)
        #expect(throws: EnginePlan.Unsupported.self) { try EnginePlan.targetPlan(for: config, data: data) }
    }

    // MARK: Training

    @Test(arguments: [
        (#"{"optimizer": "adamw", "beta1": 0.8}"#, OptimizerSettings.adamW(AdamSettings(beta1: 0.8))),
        (#"{"optimizer": "adam", "epsilon": 1e-6}"#, .adam(AdamSettings(epsilon: 1e-6))),
        (#"{"optimizer": "sgd", "momentum": 0.5}"#, .sgd(SGDSettings(momentum: 0.5))),
    ])
    func optimizerAndTrainingSettingsReachThePlan(target: String, optimizer: OptimizerSettings) throws {
        let text =
            #"{"task": {"modulus": 7}, "target": \#(target.dropLast()), "learningRate": 0.01, "weightDecay": 0.5, "#
            + #""warmupSteps": 7, "batchSize": 16, "loss": "mse", "initScale": 2}, "budget": 99, "evalEvery": 3, "seed": 5, "#
            + #""thresholds": {"train": 0.9, "test": 0.8, "sustain": 2}}"#
        let config = try Self.config(text)
        let plan = try EnginePlan.targetPlan(for: config, data: EnginePlan.data(for: config))
        #expect(plan.optimizer == optimizer)
        #expect(plan.learningRate == Float(0.01) && plan.weightDecay == Float(0.5) && plan.warmupSteps == 7)
        #expect(plan.batchSize == 16 && plan.loss == .meanSquaredError && plan.initScale == 2)
        #expect(plan.budget == 99 && plan.evalEvery == 3 && plan.seed == 5)
        #expect(plan.criteria == Thresholds(train: 0.9, test: 0.8, sustain: 2))
        #expect(plan.amplifier == nil && !plan.diagnostics && plan.mergeInputFactorsAfter == nil)
    }

    @Test(arguments: [
        #"{"kind": "ema", "alpha": 0.9, "lamb": 3}"#,
        #"{"kind": "ma", "window": 7, "warmup": false}"#,
        #"{"kind": "neuralgrok", "hidden": [4, 4], "outerEvery": 2}"#,
    ])
    func amplifierAndDiagnosticsReachTheTargetPlan(amplifier: String) throws {
        let config = try Self.config(#"{"task": {"modulus": 7}, "amplifier": \#(amplifier), "diagnostics": true}"#)
        let plan = try EnginePlan.targetPlan(for: config, data: EnginePlan.data(for: config))
        #expect(plan.amplifier != nil && plan.amplifier == config.amplifier)
        #expect(plan.diagnostics)
    }

    /// The weak stage trains plainly (no amplifier), with its own budget and stop rule.
    @Test(arguments: [(#""stopAtTestAccuracy": 0.7"#, 0.7), (#""stopAtTestAccuracy": null"#, 2)])
    func weakPlanHasItsOwnBudgetAndStopRule(stop: String, testThreshold: Double) throws {
        let config = try Self.config(
            #"""
            {"task": {"modulus": 7}, "method": "groktransfer", "amplifier": {"kind": "ema"}, "evalEvery": 4, "seed": 2,
             "weak": {"embeddingDim": 3, "width": 5, "budget": 40, "optimizer": "sgd", \#(stop)}}
            """#)
        guard case .grokTransfer(let weak, _) = config.method else {
            Issue.record("not GrokTransfer")
            return
        }
        let plan = EnginePlan.weakPlan(for: config, weak: weak, data: try EnginePlan.data(for: config))
        #expect(plan.model == .mlp(MLPShape(vocabularySize: 7, embeddingDimension: 3, width: 5, depth: 1, classes: 7)))
        #expect(plan.budget == 40 && plan.evalEvery == 4 && plan.seed == 2 && plan.optimizer == .sgd(SGDSettings()))
        #expect(plan.criteria == Thresholds(train: 0, test: testThreshold, sustain: 1))
        #expect(plan.amplifier == nil)
    }
}
