import Engine
import Protocol

/// Translates the wire-level trial description into the engine's training plan and data.
enum EnginePlan {
    /// A config the engine cannot run even though it decoded (e.g. division mod a composite).
    struct Unsupported: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "\(path): \(reason)" }
    }

    static func plan(for config: TrialConfig) throws -> (TrainingPlan, DataSplit) {
        let task = config.task
        let operation = ModularOperation(rawValue: task.operation.rawValue)!
        if operation == .divide, !isPrime(task.modulus) {
            throw Unsupported(path: "$.task.modulus", reason: "division needs a prime modulus, got \(task.modulus)")
        }
        let all = ModularArithmetic.dataset(operation: operation, modulus: task.modulus)
        let data = DataSplit(all: all, trainFraction: task.trainFraction, seed: config.seed)
        return (trainingPlan(for: config.target, trial: config, vocabulary: task.modulus, classes: all.classes), data)
    }

    static func trainingPlan(for stage: StageConfig, trial: TrialConfig, vocabulary: Int, classes: Int) -> TrainingPlan {
        let shape = MLPShape(vocabularySize: vocabulary, tokensPerExample: 2, embeddingDimension: stage.embeddingDim,
                             width: stage.width, depth: stage.depth, classes: classes,
                             activation: stage.activation == .relu ? .relu : .gelu, bias: stage.bias)
        var plan = TrainingPlan(shape: shape)
        plan.initScale = stage.initScale
        switch stage.optimizer {
        case .adamw:
            plan.optimizer = .adamW(beta1: Float(stage.beta1), beta2: Float(stage.beta2), epsilon: Float(stage.epsilon))
        case .sgd:
            plan.optimizer = .sgd(momentum: Float(stage.momentum))
        }
        plan.learningRate = Float(stage.learningRate)
        plan.weightDecay = Float(stage.weightDecay)
        plan.warmupSteps = stage.warmupSteps
        plan.batchSize = stage.batchSize
        plan.loss = stage.loss == .crossEntropy ? .crossEntropy : .meanSquaredError
        plan.budget = trial.budget
        plan.evalEvery = trial.evalEvery
        plan.criteria = GrokCriteria(trainThreshold: trial.thresholds.train, testThreshold: trial.thresholds.test,
                                     sustain: trial.thresholds.sustain)
        plan.seed = trial.seed
        return plan
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
