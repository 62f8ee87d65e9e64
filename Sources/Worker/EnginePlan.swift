import Engine
import Protocol

/// Translates the wire-level trial description into the engine's data and training plans.
enum EnginePlan {
    /// A config the engine cannot run even though it decoded (e.g. division mod a composite).
    struct Unsupported: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "\(path): \(reason)" }
    }

    /// The task's examples split by the trial seed; every stage of a trial trains on this split.
    static func data(for config: TrialConfig) throws -> DataSplit {
        let task = config.task
        switch task.kind {
        case .modular:
            let operation = ModularOperation(rawValue: task.operation.rawValue)!
            if operation == .divide, !isPrime(task.modulus) {
                throw Unsupported(path: "$.task.modulus", reason: "division needs a prime modulus, got \(task.modulus)")
            }
            let all = ModularArithmetic.dataset(operation: operation, modulus: task.modulus)
            return DataSplit(all: all, trainFraction: task.trainFraction, seed: config.seed)
        case .parity:
            return VectorTasks.parity(bits: task.bits, order: task.order, trainCount: task.trainCount,
                                      testCount: task.testCount, seed: config.seed)
        case .xorCluster:
            return VectorTasks.xorCluster(dimension: task.dimension, noise: task.noise, trainCount: task.trainCount,
                                          testCount: task.testCount, seed: config.seed)
        case .digits:
            return DataSplit(all: VectorTasks.digits(), trainCount: task.trainCount, seed: config.seed)
        }
    }

    /// The target stage's plan.
    static func targetPlan(for config: TrialConfig, data: DataSplit) -> TrainingPlan {
        let criteria = GrokCriteria(trainThreshold: config.thresholds.train, testThreshold: config.thresholds.test,
                                    sustain: config.thresholds.sustain)
        var plan = trainingPlan(for: config.target, budget: config.budget, evalEvery: config.evalEvery, criteria: criteria,
                                seed: config.seed, data: data)
        plan.amplifier = config.amplifier.map(amplifierPlan)
        plan.diagnostics = config.diagnostics
        return plan
    }

    /// The amplifier runs on the target model only (a GrokTransfer weak model trains plainly).
    static func amplifierPlan(for amplifier: AmplifierConfig) -> AmplifierPlan {
        switch amplifier.kind {
        case .none, .ema: return .ema(alpha: Float(amplifier.alpha), lamb: Float(amplifier.lamb))
        case .ma: return .movingAverage(window: amplifier.window, lamb: Float(amplifier.lamb), warmup: amplifier.warmup)
        case .neuralgrok:
            return .neuralGrok(NeuralGrokSettings(hidden: amplifier.hidden, rescale: Float(amplifier.rescale),
                                                  outerEvery: amplifier.outerEvery,
                                                  outerLearningRate: Float(amplifier.outerLearningRate),
                                                  outerFraction: amplifier.outerFraction, clip: Float(amplifier.clip)))
        }
    }

    /// GrokTransfer's weak stage: its own budget, stopping at the first evaluation whose test
    /// accuracy reaches `stopAtTestAccuracy` (never, when that is nil).
    static func weakPlan(for config: TrialConfig, weak: WeakStageConfig, data: DataSplit) -> TrainingPlan {
        let criteria = GrokCriteria(trainThreshold: 0, testThreshold: weak.stopAtTestAccuracy ?? 2, sustain: 1)
        return trainingPlan(for: weak.stage, budget: weak.budget, evalEvery: config.evalEvery, criteria: criteria,
                            seed: config.seed, data: data)
    }

    static func trainingPlan(for stage: StageConfig, budget: Int, evalEvery: Int, criteria: GrokCriteria, seed: Int,
                             data: DataSplit) -> TrainingPlan {
        let input: MLPShape.Input = switch data.train.inputs {
        case .tokens(let perExample, let vocabulary): .tokens(vocabulary: vocabulary, perExample: perExample)
        case .features(let width): .features(width: width)
        }
        let shape = MLPShape(input: input, embeddingDimension: stage.embeddingDim, width: stage.width, depth: stage.depth,
                             classes: data.train.classes, activation: stage.activation == .relu ? .relu : .gelu,
                             bias: stage.bias)
        var plan = TrainingPlan(shape: shape)
        if stage.architecture == .transformer, case .tokens(let perExample, let vocabulary) = data.train.inputs {
            plan.transformer = transformerShape(for: stage, tokensPerExample: perExample, vocabulary: vocabulary,
                                                classes: data.train.classes)
        }
        plan.initScale = stage.initScale
        switch stage.optimizer {
        case .adamw:
            plan.optimizer = .adamW(beta1: Float(stage.beta1), beta2: Float(stage.beta2), epsilon: Float(stage.epsilon))
        case .adam:
            plan.optimizer = .adam(beta1: Float(stage.beta1), beta2: Float(stage.beta2), epsilon: Float(stage.epsilon))
        case .sgd:
            plan.optimizer = .sgd(momentum: Float(stage.momentum))
        }
        plan.learningRate = Float(stage.learningRate)
        plan.weightDecay = Float(stage.weightDecay)
        plan.warmupSteps = stage.warmupSteps
        plan.batchSize = stage.batchSize
        plan.loss = stage.loss == .crossEntropy ? .crossEntropy : .meanSquaredError
        plan.budget = budget
        plan.evalEvery = evalEvery
        plan.criteria = criteria
        plan.seed = seed
        return plan
    }

    /// The transformer over `tokens… =`: the task's tokens, then `=` as one more vocabulary
    /// entry. Sizes: layers = depth, d_model = embeddingDim, d_mlp = width.
    static func transformerShape(for stage: StageConfig, tokensPerExample: Int, vocabulary: Int,
                                 classes: Int) -> TransformerShape {
        TransformerShape(vocabularySize: vocabulary + 1,
                         sequence: .init(inputTokens: tokensPerExample, appendedTokens: [Int32(vocabulary)]),
                         modelDimension: stage.embeddingDim, heads: stage.heads, mlpDimension: stage.width,
                         layers: stage.depth, classes: classes, activation: stage.activation == .relu ? .relu : .gelu,
                         layerNorm: stage.layerNorm, attentionBias: stage.attentionBias)
    }

    private static func isPrime(_ number: Int) -> Bool {
        guard number >= 2 else { return false }
        var divisor = 2
        while divisor * divisor <= number {
            if number % divisor == 0 { return false }
            divisor += 1
        }
        return true
    }
}
