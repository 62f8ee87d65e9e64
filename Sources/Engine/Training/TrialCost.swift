import Foundation
import TrialSchema

/// What a trial will cost before anything is allocated: its parameter count, an estimate of
/// its peak memory, and its FLOPs per training step — so a typo'd size (`width: 65536`) is
/// refused with a figure instead of aborting a worker mid-allocation.
///
/// Memory counts, in 32-bit floats: each parameter with its gradient and Adam's two moments
/// (plus Grokfast's EMA buffer, its MA window, or NeuralGrok's amplifier with its own
/// optimiser), and the activations the forward and backward passes keep for the largest batch
/// the runner works on (`TrialRunner.workspaceCapacity`). It is an estimate, within a small
/// factor; its purpose is the order of magnitude.
public struct TrialCost: Sendable, Equatable {
    public var parameters: Int
    public var bytes: Int
    public var flopsPerStep: Double

    public init(parameters: Int, bytes: Int, flopsPerStep: Double) {
        self.parameters = parameters
        self.bytes = bytes
        self.flopsPerStep = flopsPerStep
    }

    /// The target stage of `config` (a GrokTransfer weak model is always much smaller).
    public static func of(_ config: TrialConfig) throws -> TrialCost {
        let data = try EnginePlan.data(for: config)
        return of(try EnginePlan.targetPlan(for: config, data: data), data: data)
    }

    public static func of(_ plan: TrainingPlan, data: DataSplit) -> TrialCost {
        let batch = plan.batchSize == 0 ? data.train.count : min(plan.batchSize, data.train.count)
        let capacity = TrialRunner.workspaceCapacity(plan: plan, data: data)
        let parameters = parameterCount(plan.model)
        let copies: Double =
            switch plan.amplifier {
            case nil: 4
            case .ema?: 5
            case .movingAverage(let settings)?: 5 + Double(settings.window)
            case .neuralGrok?: 7
            }
        let floats = Double(parameters) * copies + Double(capacity) * activationsPerExample(plan.model)
        return TrialCost(
            parameters: parameters, bytes: Int(min(floats * 4, Double(Int.max / 2))),
            flopsPerStep: 3 * plan.model.forwardFlopsPerExample * Double(batch))
    }

    static func parameterCount(_ model: ModelShape) -> Int {
        switch model {
        case .mlp(let shape):
            let biases = shape.bias ? 1 : 0
            var count = 0
            if case .tokens(let vocabulary, _) = shape.input {
                let d = shape.embeddingDimension
                count += shape.embeddingRank.map { vocabulary * $0 + $0 * d } ?? vocabulary * d
            }
            count += shape.firstLayerInputs * shape.width + biases * shape.width
            count += (shape.depth - 1) * (shape.width * shape.width + biases * shape.width)
            return count + shape.width * shape.classes + biases * shape.classes
        case .transformer(let shape):
            let (d, m) = (shape.modelDimension, shape.mlpDimension)
            let attentionBiases = shape.attentionBias ? 4 * d : 0
            let norms = shape.layerNorm ? 4 * d : 0
            let layer = 4 * d * d + attentionBiases + 2 * d * m + m + d + norms
            let tokens = shape.embeddingRank.map { shape.vocabularySize * $0 + $0 * d } ?? shape.vocabularySize * d
            return tokens + shape.sequenceLength * d + shape.layers * layer + d * shape.classes
                + (shape.layerNorm ? 2 * d : 0)
        }
    }

    /// Floats of activations and their gradients kept per example.
    static func activationsPerExample(_ model: ModelShape) -> Double {
        switch model {
        case .mlp(let shape):
            return 2 * Double(shape.firstLayerInputs + 2 * shape.width * shape.depth + 2 * shape.classes)
        case .transformer(let shape):
            let (t, d, m) = (Double(shape.sequenceLength), Double(shape.modelDimension), Double(shape.mlpDimension))
            let perLayer = t * (12 * d + 2 * m) + Double(shape.heads) * t * t * 2
            return 2 * (Double(shape.layers) * perLayer + t * d + 2 * Double(shape.classes))
        }
    }
}

extension TrialCost {
    /// `1.2 M`, `840 k`: parameter counts as people read them.
    public static func count(_ value: Int) -> String {
        let number = Double(value)
        if number >= 1e9 { return String(format: "%.1f G", number / 1e9) }
        if number >= 1e6 { return String(format: "%.1f M", number / 1e6) }
        if number >= 1e3 { return String(format: "%.0f k", number / 1e3) }
        return "\(value)"
    }

    /// `3.4 GB`, `12 MB`.
    public static func bytes(_ value: Int) -> String {
        let number = Double(value)
        if number >= 1e9 { return String(format: "%.1f GB", number / 1e9) }
        if number >= 1e6 { return String(format: "%.0f MB", number / 1e6) }
        return String(format: "%.0f kB", number / 1e3)
    }

    /// `4.1 GFLOP`, `310 MFLOP`.
    public static func flops(_ value: Double) -> String {
        if value >= 1e15 { return String(format: "%.1f PFLOP", value / 1e15) }
        if value >= 1e12 { return String(format: "%.1f TFLOP", value / 1e12) }
        if value >= 1e9 { return String(format: "%.1f GFLOP", value / 1e9) }
        return String(format: "%.0f MFLOP", value / 1e6)
    }

    /// Physical memory of this machine.
    public static var physicalMemory: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }
}
