import Foundation

/// One evaluation point of a training run.
public struct Evaluation: Sendable, Equatable {
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
    /// Weight norm, gradient norm and AGE, when the plan asks for diagnostics.
    public var measures: ComplexityMeasures? = nil
}

/// How a run ended and what it cost.
public struct TrainingOutcome: Sendable {
    public enum Status: String, Sendable { case grokked, censored, diverged }
    public var status: Status
    public var tMem: Int?
    public var tGrok: Int?
    /// Optimiser steps taken.
    public var steps: Int
    public var seconds: Double
    /// FLOPs a dense (embed-then-multiply) implementation would spend on the training steps.
    public var denseFlops: Double
    /// FLOPs this engine actually spent on them.
    public var executedFlops: Double
    public var curve: [Evaluation]
}

/// Trains a model under a plan: evaluates every `evalEvery` steps, tracks `t_mem` and `t_grok`,
/// stops once both are confirmed, on divergence (NaN/inf loss), or at the budget.
///
/// Each step: gradient of the batch loss, the plan's amplifier (if any) rewrites it, the
/// optimiser steps; NeuralGrok then updates its amplifier every T steps on a held-out part of
/// the training set (which the model never trains on; train metrics are over the rest).
///
/// Deterministic: the same plan, data and compute-thread count give bit-identical curves.
public final class TrialRunner {
    public let plan: TrainingPlan
    /// The data as trained and evaluated: with NeuralGrok, `train` is D_inner.
    public let data: DataSplit
    /// NeuralGrok's D_outer, held out of the training set.
    public let outerData: Dataset?
    public private(set) var model: TrainableModel
    var optimizer: Optimizer
    private let batchCapacity: Int
    let batcher: Batcher
    var amplifier: GradientAmplifier?
    let neuralGrok: NeuralGrok?
    /// The run so far, at the last step boundary `run` passed (see `TrialRunner+State`).
    var progress: RunProgress
    /// Whether the runner stands at a step boundary it can continue from: false once a run
    /// stopped on success or divergence (mid-step), true while running and after the budget.
    var atStepBoundary = true
    /// When the current `run` began, for the wall time a checkpoint records.
    var runStartNanoseconds: UInt64?

    /// Trains `model` if given (already initialised, e.g. with transferred weights; its
    /// capacity must be at least `workspaceCapacity(plan:data:)`), else a fresh model of the
    /// plan's shape (transformer or MLP) initialised from the plan's seed.
    public init(plan: TrainingPlan, data: DataSplit, model: TrainableModel? = nil) {
        self.plan = plan
        progress = RunProgress(criteria: plan.criteria)
        if case .neuralGrok(let settings) = plan.amplifier {
            let (inner, outer) = Self.holdOut(data.train, fraction: settings.outerFraction, seed: plan.seed)
            self.data = DataSplit(train: inner, test: data.test)
            outerData = outer
        } else {
            self.data = data
            outerData = nil
        }
        let data = self.data
        let batch = plan.batchSize == 0 ? data.train.count : min(plan.batchSize, data.train.count)
        batchCapacity = batch
        if let model {
            precondition(model.capacity >= Self.workspaceCapacity(plan: plan, data: data), "model workspace too small")
            self.model = model
        } else {
            self.model = Self.freshModel(plan: plan, capacity: Self.workspaceCapacity(plan: plan, data: data))
        }
        let parameters = self.model.parameters
        switch plan.optimizer {
        case .adamW(let beta1, let beta2, let epsilon):
            optimizer = AdamW(parameters: parameters, beta1: beta1, beta2: beta2, epsilon: epsilon,
                              weightDecay: plan.weightDecay)
        case .adam(let beta1, let beta2, let epsilon):
            optimizer = AdamW(parameters: parameters, beta1: beta1, beta2: beta2, epsilon: epsilon,
                              weightDecay: plan.weightDecay, decoupled: false)
        case .sgd(let momentum):
            optimizer = SGD(parameters: parameters, momentum: momentum, weightDecay: plan.weightDecay)
        }
        batcher = Batcher(dataset: data.train, batchSize: batch, seed: plan.seed)
        if case .neuralGrok(let settings) = plan.amplifier {
            let learned = NeuralGrok(settings: settings, parameterCount: parameters.count, seed: plan.seed)
            neuralGrok = learned
            amplifier = learned
        } else {
            neuralGrok = nil
            amplifier = plan.amplifier?.makeFilter(parameterCount: parameters.count)
        }
    }

    private static func freshModel(plan: TrainingPlan, capacity: Int) -> TrainableModel {
        if let shape = plan.transformer {
            let model = Transformer(shape: shape, capacity: capacity)
            model.initialize(seed: plan.seed, scale: plan.initScale)
            return model
        }
        let model = MLP(shape: plan.shape, capacity: capacity)
        model.initialize(seed: plan.seed, scale: plan.initScale)
        return model
    }

    /// Splits a training set into (inner, outer) with the seed's own stream; outer gets
    /// ⌈fraction · n⌉ examples (at least one), inner the rest.
    static func holdOut(_ train: Dataset, fraction: Double, seed: Int) -> (inner: Dataset, outer: Dataset) {
        var generator = SeededGenerator(seed: seed, stream: "outer")
        let order = generator.permutation(train.count)
        let outerCount = min(max(Int((fraction * Double(train.count)).rounded(.up)), 1), train.count - 1)
        return (train.subset(Array(order[outerCount...])), train.subset(Array(order[..<outerCount])))
    }

    /// Rows a model's workspace needs: the batch, and evaluation chunks of a few thousand.
    public static func workspaceCapacity(plan: TrainingPlan, data: DataSplit) -> Int {
        let batch = plan.batchSize == 0 ? data.train.count : min(plan.batchSize, data.train.count)
        return max(batch, min(4096, max(data.train.count, data.test.count)))
    }

    /// Dense FLOPs of one NeuralGrok outer step: a training pass over the batch and one over D_outer.
    private func outerStepFlops(batch: Int) -> Double {
        guard let outerData else { return 0 }
        return 3 * model.denseForwardFlopsPerExample * Double(batch + outerData.count)
    }

    /// Runs to completion, calling `onEvaluation` after every evaluation and `onStepBoundary`
    /// with the step about to be taken before each step (and before the final evaluation at the
    /// budget): there the runner's complete state can be captured (`captureState()`) without
    /// changing what follows. A restored runner continues from its saved step.
    public func run(onEvaluation: (Evaluation) -> Void = { _ in },
                    onStepBoundary: (Int) -> Void = { _ in }) -> TrainingOutcome {
        precondition(atStepBoundary, "a run that stopped on success or divergence cannot continue")
        let start = DispatchTime.now().uptimeNanoseconds
        runStartNanoseconds = start
        defer { runStartNanoseconds = nil }
        var status = TrainingOutcome.Status.censored
        var flopsPerExampleDense = 3 * model.denseForwardFlopsPerExample
        flopsPerExampleDense = flopsPerExampleDense.isFinite ? flopsPerExampleDense : 0
        // The outcome's progress: the runner's own, plus the final evaluation at the budget,
        // which the runner's progress never records (a continuation must not see it).
        var finished: RunProgress

        func record(_ evaluation: Evaluation) {
            progress.record(evaluation)
            onEvaluation(evaluation)
        }

        while true {
            let step = progress.step
            onStepBoundary(step)
            let evaluating = step % plan.evalEvery == 0 || step == plan.budget
            if step == plan.budget {
                let train = evaluate(data.train), test = evaluate(data.test)
                let evaluation = Evaluation(step: step, trainLoss: train.loss, trainAccuracy: train.accuracy,
                                            testLoss: test.loss, testAccuracy: test.accuracy)
                finished = progress
                finished.record(evaluation)
                onEvaluation(evaluation)
                if !train.loss.isFinite { status = .diverged }
                break
            }
            if step == plan.mergeInputFactorsAfter { mergeInputFactors() }
            let batch = batcher.next()
            let tally = trainingGradient(batch.inputs, labels: batch.labels)
            progress.denseFlops += flopsPerExampleDense * Double(batch.count)
            progress.executedFlops += model.executedFlopsPerStep(count: batch.count)
            if tally.lossSum.isFinite { amplifier?.amplify(model.parameters) }
            if !tally.lossSum.isFinite {
                status = .diverged
                atStepBoundary = false
                record(Evaluation(step: step, trainLoss: .nan, trainAccuracy: Double(tally.correct) / Double(batch.count),
                                  testLoss: .nan, testAccuracy: 0))
                finished = progress
                break
            }
            if evaluating {
                // Full batch: the training forward already saw the whole training set with the
                // current parameters, so its loss and accuracy are the train metrics.
                let train = batch.count == data.train.count
                    ? (loss: tally.lossSum / Double(batch.count), accuracy: Double(tally.correct) / Double(batch.count))
                    : evaluate(data.train)
                let test = evaluate(data.test)
                // The gradient buffer still holds this step's (amplified) gradient: evaluation
                // only runs forward passes.
                let measures = plan.diagnostics ? ComplexityMeasures(of: model.parameters) : nil
                record(Evaluation(step: step, trainLoss: train.loss, trainAccuracy: train.accuracy,
                                  testLoss: test.loss, testAccuracy: test.accuracy, measures: measures))
                if progress.grokked.confirmedStep != nil, progress.memorised.confirmedStep != nil {
                    status = .grokked
                    atStepBoundary = false
                    finished = progress
                    break
                }
            }
            optimizer.step(learningRate: plan.learningRate(at: step))
            if let neuralGrok, (step + 1) % neuralGrok.settings.outerEvery == 0 {
                updateAmplifier(neuralGrok, batch: batch, learningRate: plan.learningRate(at: step))
                let outerFlops = outerStepFlops(batch: batch.count)
                progress.denseFlops += outerFlops
                progress.executedFlops += outerFlops
            }
            progress.step = step + 1
        }
        // Kept in the runner's progress too, so a checkpoint taken after the run counts it.
        progress.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return TrainingOutcome(status: status, tMem: finished.memorised.confirmedStep,
                               tGrok: finished.grokked.confirmedStep, steps: finished.step, seconds: progress.seconds,
                               denseFlops: finished.denseFlops, executedFlops: finished.executedFlops,
                               curve: finished.curve)
    }

    /// Swaps a factorised MLP for its merged twin; the optimiser keeps its state for every
    /// parameter that survives and starts the merged matrix from zero moments.
    func mergeInputFactors() {
        guard let factorised = model as? MLP, factorised.shape.embeddingRank != nil else { return }
        let merged = factorised.mergingInputFactors()
        optimizer = optimizer.carryingState(to: merged.parameters)
        amplifier = amplifier?.carryingState(from: factorised.parameters, to: merged.parameters)
        model = merged
    }

    // MARK: Steps

    /// One optimiser step on the next batch, outside the evaluation loop (for benchmarks):
    /// the same work as a step of `run`, amplifier and NeuralGrok outer steps included.
    @discardableResult
    public func trainOneStep(learningRate: Float? = nil) -> LossTally {
        let batch = batcher.next()
        let tally = trainingGradient(batch.inputs, labels: batch.labels)
        amplifier?.amplify(model.parameters)
        optimizer.step(learningRate: learningRate ?? plan.learningRate)
        benchmarkSteps += 1
        if let neuralGrok, benchmarkSteps % neuralGrok.settings.outerEvery == 0 {
            updateAmplifier(neuralGrok, batch: batch, learningRate: learningRate ?? plan.learningRate)
        }
        return tally
    }

    private var benchmarkSteps = 0

    /// NeuralGrok's outer step on the batch just trained on and all of D_outer.
    private func updateAmplifier(_ neuralGrok: NeuralGrok, batch: Batcher.Batch, learningRate: Float) {
        guard let outerData else { return }
        neuralGrok.outerStep(parameters: model.parameters, learningRate: learningRate, innerGradient: {
            _ = trainingGradient(batch.inputs, labels: batch.labels)
        }, outerGradient: {
            outerData.tokens.withUnsafeBufferPointer { tokens in
                outerData.features.withUnsafeBufferPointer { features in
                    outerData.labels.withUnsafeBufferPointer { labels in
                        let inputs = tokens.isEmpty ? InputBatch(features: features.baseAddress!, count: outerData.count)
                            : InputBatch(tokens: tokens.baseAddress!, count: outerData.count)
                        return trainingGradient(inputs, labels: labels.baseAddress!).lossSum / Double(outerData.count)
                    }
                }
            }
        })
    }

    /// Zeroes gradients, runs forward, loss and backward; returns the batch's loss tally.
    private func trainingGradient(_ inputs: InputBatch, labels: UnsafePointer<Int32>) -> LossTally {
        let n = inputs.count
        model.parameters.zeroGradients()
        let logits = model.forward(inputs)
        let tally = applyLoss(logits: logits, labels: labels, count: n, gradient: true)
        if tally.lossSum.isFinite { model.backward(dlogits: logits, count: n) }
        return tally
    }

    private func applyLoss(logits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, count n: Int,
                           gradient: Bool) -> LossTally {
        let classes = model.classes
        switch plan.loss {
        case .crossEntropy:
            return Loss.softmaxCrossEntropy(logits: logits, labels: labels, count: n, classes: classes,
                                            dlogits: gradient ? logits : nil, scale: n)
        case .meanSquaredError:
            return Loss.meanSquaredError(logits: logits, labels: labels, count: n, classes: classes,
                                         dlogits: gradient ? logits : nil, scale: n)
        }
    }

    /// Mean loss and accuracy over a whole dataset, in workspace-sized chunks.
    public func evaluate(_ dataset: Dataset) -> (loss: Double, accuracy: Double) {
        var total = LossTally()
        let width = dataset.rowWidth
        dataset.tokens.withUnsafeBufferPointer { tokens in
            dataset.features.withUnsafeBufferPointer { features in
            dataset.labels.withUnsafeBufferPointer { labels in
                var offset = 0
                while offset < dataset.count {
                    let n = min(model.capacity, dataset.count - offset)
                    let batch = tokens.isEmpty
                        ? InputBatch(features: features.baseAddress! + offset * width, count: n)
                        : InputBatch(tokens: tokens.baseAddress! + offset * width, count: n)
                    let logits = model.forward(batch)
                    let tally = applyLoss(logits: logits, labels: labels.baseAddress! + offset, count: n, gradient: false)
                    total.lossSum += tally.lossSum
                    total.correct += tally.correct
                    offset += n
                }
            }
            }
        }
        return (total.lossSum / Double(dataset.count), Double(total.correct) / Double(dataset.count))
    }
}
