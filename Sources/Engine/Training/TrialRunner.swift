import Foundation

/// One evaluation point of a training run.
public struct Evaluation: Sendable, Equatable {
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
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
/// Deterministic: the same plan, data and BLAS thread count give bit-identical curves.
public final class TrialRunner {
    public let plan: TrainingPlan
    public let data: DataSplit
    public private(set) var model: TrainableModel
    private var optimizer: Optimizer
    private let batchCapacity: Int
    private let batcher: Batcher

    /// Trains `model` if given (already initialised, e.g. with transferred weights; its
    /// capacity must be at least `workspaceCapacity(plan:data:)`), else a fresh MLP of
    /// `plan.shape` initialised from the plan's seed.
    public init(plan: TrainingPlan, data: DataSplit, model: TrainableModel? = nil) {
        self.plan = plan
        self.data = data
        let batch = plan.batchSize == 0 ? data.train.count : min(plan.batchSize, data.train.count)
        batchCapacity = batch
        if let model {
            precondition(model.capacity >= Self.workspaceCapacity(plan: plan, data: data), "model workspace too small")
            self.model = model
        } else {
            let fresh = MLP(shape: plan.shape, capacity: Self.workspaceCapacity(plan: plan, data: data))
            fresh.initialize(seed: plan.seed, scale: plan.initScale)
            self.model = fresh
        }
        switch plan.optimizer {
        case .adamW(let beta1, let beta2, let epsilon):
            optimizer = AdamW(parameters: self.model.parameters, beta1: beta1, beta2: beta2, epsilon: epsilon,
                              weightDecay: plan.weightDecay)
        case .sgd(let momentum):
            optimizer = SGD(parameters: self.model.parameters, momentum: momentum, weightDecay: plan.weightDecay)
        }
        batcher = Batcher(dataset: data.train, batchSize: batch, seed: plan.seed)
    }

    /// Rows a model's workspace needs: the batch, and evaluation chunks of a few thousand.
    public static func workspaceCapacity(plan: TrainingPlan, data: DataSplit) -> Int {
        let batch = plan.batchSize == 0 ? data.train.count : min(plan.batchSize, data.train.count)
        return max(batch, min(4096, max(data.train.count, data.test.count)))
    }

    /// Runs to completion, calling `onEvaluation` after every evaluation.
    public func run(onEvaluation: (Evaluation) -> Void = { _ in }) -> TrainingOutcome {
        let start = DispatchTime.now().uptimeNanoseconds
        var memorised = ThresholdTracker(threshold: plan.criteria.trainThreshold, sustain: plan.criteria.sustain)
        var grokked = ThresholdTracker(threshold: plan.criteria.testThreshold, sustain: plan.criteria.sustain)
        var curve: [Evaluation] = []
        var status = TrainingOutcome.Status.censored
        var step = 0
        var flopsPerExampleDense = 3 * model.denseForwardFlopsPerExample
        var denseFlops = 0.0, executedFlops = 0.0
        flopsPerExampleDense = flopsPerExampleDense.isFinite ? flopsPerExampleDense : 0

        func record(_ evaluation: Evaluation) {
            curve.append(evaluation)
            memorised.observe(step: evaluation.step, value: evaluation.trainAccuracy)
            grokked.observe(step: evaluation.step, value: evaluation.testAccuracy)
            onEvaluation(evaluation)
        }

        while true {
            let evaluating = step % plan.evalEvery == 0 || step == plan.budget
            if step == plan.budget {
                let train = evaluate(data.train), test = evaluate(data.test)
                record(Evaluation(step: step, trainLoss: train.loss, trainAccuracy: train.accuracy,
                                  testLoss: test.loss, testAccuracy: test.accuracy))
                if !train.loss.isFinite { status = .diverged }
                break
            }
            if step == plan.mergeInputFactorsAfter { mergeInputFactors() }
            let batch = batcher.next()
            let tally = trainingGradient(batch.inputs, labels: batch.labels)
            denseFlops += flopsPerExampleDense * Double(batch.count)
            executedFlops += model.executedFlopsPerStep(count: batch.count)
            if !tally.lossSum.isFinite {
                status = .diverged
                record(Evaluation(step: step, trainLoss: .nan, trainAccuracy: Double(tally.correct) / Double(batch.count),
                                  testLoss: .nan, testAccuracy: 0))
                break
            }
            if evaluating {
                // Full batch: the training forward already saw the whole training set with the
                // current parameters, so its loss and accuracy are the train metrics.
                let train = batch.count == data.train.count
                    ? (loss: tally.lossSum / Double(batch.count), accuracy: Double(tally.correct) / Double(batch.count))
                    : evaluate(data.train)
                let test = evaluate(data.test)
                record(Evaluation(step: step, trainLoss: train.loss, trainAccuracy: train.accuracy,
                                  testLoss: test.loss, testAccuracy: test.accuracy))
                if grokked.confirmedStep != nil, memorised.confirmedStep != nil {
                    status = .grokked
                    break
                }
            }
            optimizer.step(learningRate: plan.learningRate(at: step))
            step += 1
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return TrainingOutcome(status: status, tMem: memorised.confirmedStep, tGrok: grokked.confirmedStep,
                               steps: step, seconds: seconds, denseFlops: denseFlops, executedFlops: executedFlops,
                               curve: curve)
    }

    /// Swaps a factorised MLP for its merged twin; the optimiser keeps its state for every
    /// parameter that survives and starts the merged matrix from zero moments.
    private func mergeInputFactors() {
        guard let factorised = model as? MLP, factorised.shape.embeddingRank != nil else { return }
        let merged = factorised.mergingInputFactors()
        optimizer = optimizer.carryingState(to: merged.parameters)
        model = merged
    }

    // MARK: Steps

    /// One optimiser step on the next batch, outside the evaluation loop (for benchmarks).
    @discardableResult
    public func trainOneStep(learningRate: Float? = nil) -> LossTally {
        let batch = batcher.next()
        let tally = trainingGradient(batch.inputs, labels: batch.labels)
        optimizer.step(learningRate: learningRate ?? plan.learningRate)
        return tally
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
