import TrialSchema

/// Translates a trial config into the engine's data and training plans: one exhaustive switch
/// per choice of the schema, no defaults for cases that cannot occur.
public enum EnginePlan {
    /// A config the engine cannot run even though it decoded (e.g. division mod a composite).
    public struct Unsupported: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        public var description: String { "\(path): \(reason)" }
    }

    // MARK: Data

    /// The task's examples split by the trial seed; every stage of a trial trains on this split.
    public static func data(for config: TrialConfig) throws -> DataSplit {
        switch config.task {
        case .modular(let task):
            if task.operation == .divide, !isPrime(task.modulus) {
                throw Unsupported(path: "$.task.modulus", reason: "division needs a prime modulus, got \(task.modulus)")
            }
            let ranges = task.layout.usesPapersOperandRanges
            let equations = task.operation.equationCount(modulus: task.modulus, papersOperandRanges: ranges)
            guard equations <= ModularArithmetic.equationLimit else {
                throw Unsupported(
                    path: "$.task.modulus",
                    reason: "\(task.operation.rawValue) mod \(task.modulus) has \(equations) equations, "
                        + "more than the \(ModularArithmetic.equationLimit) a worker holds")
            }
            let all = ModularArithmetic.dataset(operation: task.operation, modulus: task.modulus, papersOperandRanges: ranges)
            return DataSplit(all: all, trainFraction: task.trainFraction, seed: config.seed)
        case .parity(let task):
            return VectorTasks.parity(
                bits: task.bits, order: task.order, trainCount: task.trainCount,
                testCount: task.testCount, seed: config.seed)
        case .xorCluster(let task):
            return VectorTasks.xorCluster(
                dimension: task.dimension, noise: task.noise, trainCount: task.trainCount,
                testCount: task.testCount, seed: config.seed)
        case .digits(let task):
            return DataSplit(all: VectorTasks.digits(), trainCount: task.trainCount, seed: config.seed)
        }
    }

    // MARK: Plans

    /// The target stage's plan, with the trial's amplifier and diagnostics.
    public static func targetPlan(for config: TrialConfig, data: DataSplit) throws -> TrainingPlan {
        let model = try modelShape(for: config.target.architecture, task: config.task, data: data)
        var plan = trainingPlan(
            model: model, training: config.target.training, budget: config.budget,
            evalEvery: config.evalEvery, criteria: config.thresholds, seed: config.seed)
        if case .transformer(let settings) = config.target.architecture {
            plan.transformerInitialization = settings.initialization
        }
        plan.amplifier = config.amplifier
        plan.diagnostics = config.diagnostics
        return plan
    }

    /// GrokTransfer's weak stage: its own budget, stopping at the first evaluation whose test
    /// accuracy reaches `stopAtTestAccuracy` (never, when that is nil). It trains plainly: the
    /// amplifier is the target's.
    public static func weakPlan(for config: TrialConfig, weak: WeakStage, data: DataSplit) -> TrainingPlan {
        let criteria = Thresholds(train: 0, test: weak.stopAtTestAccuracy ?? 2, sustain: 1)
        return trainingPlan(
            model: .mlp(mlpShape(for: weak.model, data: data)), training: weak.training,
            budget: weak.budget, evalEvery: config.evalEvery, criteria: criteria, seed: config.seed)
    }

    public static func trainingPlan(
        model: ModelShape, training: TrainingSettings, budget: Int, evalEvery: Int,
        criteria: Thresholds, seed: Int
    ) -> TrainingPlan {
        var plan = TrainingPlan(model: model)
        plan.initScale = training.initScale
        plan.optimizer = training.optimizer
        plan.learningRate = Float(training.learningRate)
        plan.weightDecay = Float(training.weightDecay)
        plan.warmupSteps = training.warmupSteps
        plan.batchSize = training.batchSize
        plan.loss = training.loss
        plan.budget = budget
        plan.evalEvery = evalEvery
        plan.criteria = criteria
        plan.seed = seed
        return plan
    }

    // MARK: Models

    public static func modelShape(for architecture: Architecture, task: TrialTask, data: DataSplit) throws -> ModelShape {
        switch architecture {
        case .mlp(let settings):
            return .mlp(mlpShape(for: settings, data: data))
        case .transformer(let settings):
            guard case .modular(let modular) = task else {
                throw Unsupported(path: "$.target.architecture", reason: "a transformer reads token sequences")
            }
            return .transformer(transformerShape(for: settings, task: modular, classes: data.train.classes))
        }
    }

    public static func mlpShape(for settings: MLPSettings, data: DataSplit) -> MLPShape {
        let input: MLPShape.Input =
            switch data.train.inputs {
            case .tokens(let perExample, let vocabulary): .tokens(vocabulary: vocabulary, perExample: perExample)
            case .features(let width): .features(width: width)
            }
        return MLPShape(
            input: input, embeddingDimension: settings.embeddingDimensions, width: settings.width,
            depth: settings.depth, classes: data.train.classes, activation: settings.activation, bias: settings.bias)
    }

    /// The transformer over the task's sequence: its operands, `=` (id p) and, in the papers'
    /// layouts, the formula's operators (ids p + 1, …) read into logits over every token.
    public static func transformerShape(for settings: TransformerSettings, task: ModularTask, classes: Int) -> TransformerShape {
        let layout = task.layout
        let sequence = layout.sequence(for: task.operation, modulus: task.modulus)
        return TransformerShape(
            vocabularySize: sequence.vocabulary, sequence: sequence.layout,
            modelDimension: settings.modelDimensions, heads: settings.heads,
            mlpDimension: settings.mlpDimensions, layers: settings.layers,
            classes: layout == .plain ? classes : sequence.vocabulary, activation: settings.activation,
            layerNorm: settings.layerNorm, attentionBias: settings.attentionBias, blockForm: settings.block)
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
