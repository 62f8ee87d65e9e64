import Foundation
import TrialSchema

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
    public var curve: [CurvePoint]
}

/// What one training step did.
public struct StepReport: Sendable {
    /// Examples in the step's batch.
    public let examples: Int
    /// The batch's loss and correct predictions, before the update.
    public let tally: LossTally
    /// False when the loss diverged (nothing was updated) or the caller stopped before the update.
    public let updated: Bool
    /// Whether NeuralGrok's outer step ran after the update.
    public let outerStep: Bool

    public var diverged: Bool { !tally.lossSum.isFinite }
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
        if let model {
            precondition(model.capacity >= Self.workspaceCapacity(plan: plan, data: data), "model workspace too small")
            self.model = model
        } else {
            self.model = Self.freshModel(plan: plan, capacity: Self.workspaceCapacity(plan: plan, data: data))
        }
        let parameters = self.model.parameters
        switch plan.optimizer {
        case .adamW(let settings):
            optimizer = AdamW(
                parameters: parameters, beta1: Float(settings.beta1), beta2: Float(settings.beta2),
                epsilon: Float(settings.epsilon), weightDecay: plan.weightDecay)
        case .adam(let settings):
            optimizer = AdamW(
                parameters: parameters, beta1: Float(settings.beta1), beta2: Float(settings.beta2),
                epsilon: Float(settings.epsilon), weightDecay: plan.weightDecay, decoupled: false)
        case .sgd(let settings):
            optimizer = SGD(parameters: parameters, momentum: Float(settings.momentum), weightDecay: plan.weightDecay)
        }
        batcher = Batcher(dataset: data.train, batchSize: batch, seed: plan.seed)
        // NeuralGrok's outer step needs the amplifier itself, not only its filter.
        if case .neuralGrok(let settings) = plan.amplifier {
            let learned = NeuralGrok(settings: settings, parameterCount: parameters.count, seed: plan.seed)
            neuralGrok = learned
            amplifier = learned
        } else {
            neuralGrok = nil
            amplifier = plan.amplifier?.make(parameterCount: parameters.count, seed: plan.seed)
        }
    }

    /// A model of the plan's shape initialised as the plan says, for batches of up to `capacity`.
    public static func freshModel(plan: TrainingPlan, capacity: Int) -> TrainableModel {
        switch plan.model {
        case .mlp(let shape):
            return freshMLP(shape, plan: plan, capacity: capacity)
        case .transformer(let shape):
            let model = Transformer(shape: shape, capacity: capacity, path: plan.path)
            model.initialize(seed: plan.seed, scale: plan.initScale, scheme: plan.transformerInitialization)
            return model
        }
    }

    /// An MLP of `shape` initialised as the plan says (seed, scale), for batches of up to `capacity`.
    public static func freshMLP(_ shape: MLPShape, plan: TrainingPlan, capacity: Int) -> MLP {
        let model = MLP(shape: shape, capacity: capacity, path: plan.path)
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
    public func run(
        onEvaluation: (CurvePoint) -> Void = { _ in },
        onStepBoundary: (Int) -> Void = { _ in }
    ) -> TrainingOutcome {
        guard case .finished(let outcome) = run(until: { false }, onEvaluation: onEvaluation, onStepBoundary: onStepBoundary) else {
            preconditionFailure("a run that is never asked to stop finishes")
        }
        return outcome
    }

    /// How `run(until:)` ended: at its natural end, or at a step boundary because it was asked.
    public enum RunEnd {
        case finished(TrainingOutcome)
        /// Stopped before taking `step`; the runner stays at that boundary, so its state can be
        /// captured and the run continued later exactly as if it had never stopped.
        case stopped(step: Int)
    }

    /// `run`, which also asks `shouldStop` at every step boundary, right after `onStepBoundary`
    /// (so a state captured there is the state the run stops in).
    public func run(
        until shouldStop: () -> Bool, onEvaluation: (CurvePoint) -> Void = { _ in },
        onStepBoundary: (Int) -> Void = { _ in }
    ) -> RunEnd {
        precondition(atStepBoundary, "a run that stopped on success or divergence cannot continue")
        let start = DispatchTime.now().uptimeNanoseconds
        runStartNanoseconds = start
        defer { runStartNanoseconds = nil }
        var status = TrainingOutcome.Status.censored
        let denseFlopsPerExample = 3 * model.denseForwardFlopsPerExample
        let stepFlopsPerExample = denseFlopsPerExample.isFinite ? denseFlopsPerExample : 0
        // The outcome's progress: the runner's own, plus the final evaluation at the budget,
        // which the runner's progress never records (a continuation must not see it).
        var finished: RunProgress

        func record(_ point: CurvePoint) {
            progress.record(point)
            onEvaluation(point)
        }

        while true {
            let step = progress.step
            onStepBoundary(step)
            if shouldStop() {
                progress.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                return .stopped(step: step)
            }
            if step == plan.budget {
                let train = evaluate(data.train), test = evaluate(data.test)
                let point = CurvePoint(
                    step: step, trainLoss: train.loss, trainAccuracy: train.accuracy,
                    testLoss: test.loss, testAccuracy: test.accuracy)
                finished = progress
                finished.record(point)
                onEvaluation(point)
                if !train.loss.isFinite { status = .diverged }
                break
            }
            let evaluating = step % plan.evalEvery == 0
            let report = trainStep(step) { examples, tally in
                guard evaluating else { return true }
                // Full batch: the training forward already saw the whole training set with the
                // current parameters, so its loss and accuracy are the train metrics.
                let train =
                    examples == data.train.count
                    ? (loss: tally.lossSum / Double(examples), accuracy: Double(tally.correct) / Double(examples))
                    : evaluate(data.train)
                let test = evaluate(data.test)
                // The gradient buffer still holds this step's (amplified) gradient: evaluation
                // only runs forward passes.
                let diagnostics = plan.diagnostics ? GradientDiagnostics(of: model.parameters) : nil
                record(
                    CurvePoint(
                        step: step, trainLoss: train.loss, trainAccuracy: train.accuracy,
                        testLoss: test.loss, testAccuracy: test.accuracy, diagnostics: diagnostics))
                // Both confirmed: grokked, and the step's update is not taken.
                return progress.grokked.confirmedStep == nil || progress.memorised.confirmedStep == nil
            }
            progress.denseFlops += stepFlopsPerExample * Double(report.examples)
            if report.outerStep { progress.denseFlops += outerStepFlops(batch: report.examples) }
            if report.diverged {
                status = .diverged
                atStepBoundary = false
                record(
                    CurvePoint(
                        step: step, trainLoss: .nan,
                        trainAccuracy: Double(report.tally.correct) / Double(report.examples),
                        testLoss: .nan, testAccuracy: 0))
                finished = progress
                break
            }
            if !report.updated {
                status = .grokked
                atStepBoundary = false
                finished = progress
                break
            }
            progress.step = step + 1
        }
        // Kept in the runner's progress too, so a checkpoint taken after the run counts it.
        progress.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return .finished(
            TrainingOutcome(
                status: status, tMem: finished.memorised.confirmedStep,
                tGrok: finished.grokked.confirmedStep, steps: finished.step,
                seconds: progress.seconds, denseFlops: finished.denseFlops,
                curve: finished.curve))
    }

    // MARK: Steps

    /// Training step `step` — the one implementation trials and benchmarks share: the factor
    /// merge when due, the gradient of the next batch and the amplifier; then, unless the loss
    /// diverged or `beforeUpdate` returns false, the optimiser at the step's (warm-up) learning
    /// rate and NeuralGrok's outer step every T steps. `beforeUpdate` sees the parameters and
    /// the amplified gradient of this step, before the update: evaluation runs there.
    @discardableResult
    public func trainStep(
        _ step: Int, beforeUpdate: (_ examples: Int, _ tally: LossTally) -> Bool = { _, _ in true }
    )
        -> StepReport
    {
        if step == plan.mergeInputFactorsAfter { mergeInputFactors() }
        let batch = batcher.next()
        let tally = trainingGradient(batch.inputs, labels: batch.labels)
        guard tally.lossSum.isFinite else { return StepReport(examples: batch.count, tally: tally, updated: false, outerStep: false) }
        amplifier?.amplify(model.parameters)
        guard beforeUpdate(batch.count, tally) else {
            return StepReport(examples: batch.count, tally: tally, updated: false, outerStep: false)
        }
        let learningRate = plan.learningRate(at: step)
        optimizer.step(learningRate: learningRate)
        guard let neuralGrok, (step + 1) % neuralGrok.settings.outerEvery == 0 else {
            return StepReport(examples: batch.count, tally: tally, updated: true, outerStep: false)
        }
        updateAmplifier(neuralGrok, batch: batch, learningRate: learningRate)
        return StepReport(examples: batch.count, tally: tally, updated: true, outerStep: true)
    }

    /// Swaps a factorised MLP for its merged twin; the optimiser keeps its state for every
    /// parameter that survives and starts the merged matrix from zero moments.
    func mergeInputFactors() {
        guard let merged = model.mergingInputFactors() else { return }
        optimizer = optimizer.carryingState(to: merged.parameters)
        amplifier = amplifier?.carryingState(from: model.parameters, to: merged.parameters)
        model = merged
    }

    /// NeuralGrok's outer step on the batch just trained on and all of D_outer.
    private func updateAmplifier(_ neuralGrok: NeuralGrok, batch: Batcher.Batch, learningRate: Float) {
        guard let outerData else { return }
        neuralGrok.outerStep(
            parameters: model.parameters, learningRate: learningRate,
            innerGradient: {
                _ = trainingGradient(batch.inputs, labels: batch.labels)
            },
            outerGradient: {
                outerData.tokens.withUnsafeBufferPointer { tokens in
                    outerData.features.withUnsafeBufferPointer { features in
                        outerData.labels.withUnsafeBufferPointer { labels in
                            let inputs =
                                tokens.isEmpty
                                ? InputBatch(features: features.baseAddress!, count: outerData.count)
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

    private func applyLoss(
        logits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, count n: Int,
        gradient: Bool
    ) -> LossTally {
        let classes = model.classes
        switch plan.loss {
        case .crossEntropy:
            return Loss.softmaxCrossEntropy(
                logits: logits, labels: labels, count: n, classes: classes,
                dlogits: gradient ? logits : nil, scale: n)
        case .meanSquaredError:
            return Loss.meanSquaredError(
                logits: logits, labels: labels, count: n, classes: classes,
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
                        let batch =
                            tokens.isEmpty
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
