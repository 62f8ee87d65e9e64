import Foundation

/// A trial runner's complete state at a step boundary, and a runner rebuilt from it.
///
/// Payload layout of a runner state (content tag "RUNR"; parts as in `ComponentState`):
///
///     step          Int64      the next step to take (= optimiser steps taken)
///     plan          UInt64     fingerprint of the plan without its budget
///     data          UInt64     fingerprint of the training, held-out and test examples
///     model kind    UInt8      0 MLP, 1 transformer
///     parameters               the model's layout and values (after a GrokTransfer merge
///                              when the step is past it)
///     progress                 curve, t_mem/t_grok detectors, FLOPs, seconds
///     optimiser, batcher, amplifier
///
/// What is not stored is derived: the learning-rate schedule's position is the step, the
/// NeuralGrok held-out split is a function of the seed (the data fingerprint confirms it),
/// gradients and workspaces are recomputed before they are read, and whether the input
/// factors were merged follows from the step and the plan.
///
/// The promise: a runner restored from a state captured at step s and run on gives bit for bit
/// the curve, t_mem, t_grok and final parameters of the original run continued from s (same
/// build and compute-thread count), and under a larger budget those of a direct longer run.
extension TrialRunner {
    static let stateContent = "RUNR"

    // MARK: Capture

    /// Whether `captureState()` may be called: before and during `run` (at a step boundary,
    /// i.e. inside `onStepBoundary`) and after a run that ended at its budget; not after one
    /// that stopped on success or divergence (those stop mid-step and cannot continue).
    public var canCaptureState: Bool { atStepBoundary }

    /// The step a continued run would take next.
    public var nextStep: Int { progress.step }

    /// The complete state, sealed (magic, version, build, threads, checksum).
    public func captureState() -> Data {
        TrialStateCoder.seal(statePayload(), content: Self.stateContent)
    }

    /// The complete state without an envelope, for callers that seal several parts together.
    public func statePayload() -> [UInt8] {
        precondition(atStepBoundary, "a trial state can only be captured at a step boundary")
        var writer = StateWriter()
        writer.write(progress.step)
        writer.write(planFingerprint)
        writer.write(dataFingerprint)
        writer.write(UInt8(model is Transformer ? 1 : 0))
        model.parameters.encode(into: &writer)
        var progress = progress
        if let runStartNanoseconds {
            progress.seconds += Double(DispatchTime.now().uptimeNanoseconds - runStartNanoseconds) / 1e9
        }
        progress.encode(into: &writer)
        OptimizerState.encode(optimizer, into: &writer)
        batcher.encode(into: &writer)
        AmplifierState.encode(amplifier, into: &writer)
        return writer.bytes
    }

    // MARK: Restore

    /// A runner continuing from a sealed state of a runner with the same plan — the budget may
    /// differ (at least the state's step) — data and model shape. `model` is as for
    /// `init(plan:data:model:)` (e.g. a GrokTransfer target; its values are overwritten).
    public convenience init(
        plan: TrainingPlan, data: DataSplit, model: TrainableModel? = nil, restoring state: Data,
        anyThreadCount: Bool = false
    ) throws {
        let payload = try TrialStateCoder.open(state, content: Self.stateContent, anyThreadCount: anyThreadCount)
        try self.init(plan: plan, data: data, model: model, restoringPayload: payload)
    }

    /// As `init(plan:data:model:restoring:)` from an unsealed payload (`statePayload()`).
    public convenience init(
        plan: TrainingPlan, data: DataSplit, model: TrainableModel? = nil,
        restoringPayload payload: [UInt8]
    ) throws {
        self.init(plan: plan, data: data, model: model)
        var reader = StateReader(payload)
        try restore(from: &reader)
        guard reader.isAtEnd else { throw TrialStateError.malformed("\(reader.remaining) bytes after the runner state") }
    }

    /// The step a runner payload stands at, without restoring it.
    public static func step(ofPayload payload: [UInt8]) throws -> Int {
        var reader = StateReader(payload)
        return try reader.readInt()
    }

    private func restore(from reader: inout StateReader) throws {
        let step = try reader.readInt()
        guard step >= 0 else { throw TrialStateError.malformed("step \(step)") }
        guard try reader.read(UInt64.self) == planFingerprint else {
            throw TrialStateError.otherPlan("model, optimiser, amplifier, schedule, evaluation or seed differ")
        }
        guard try reader.read(UInt64.self) == dataFingerprint else {
            throw TrialStateError.otherPlan("the training, held-out or test examples differ")
        }
        guard step <= plan.budget else { throw TrialStateError.pastBudget(step: step, budget: plan.budget) }
        let kind = try reader.read(UInt8.self), ownKind: UInt8 = model is Transformer ? 1 : 0
        guard kind == ownKind else {
            throw TrialStateError.shapeMismatch(
                what: "model", expected: ownKind == 1 ? "a transformer" : "an MLP",
                found: kind == 1 ? "a transformer" : "an MLP")
        }
        // The run merged its input factors at the start of step `merge`.
        if let merge = plan.mergeInputFactorsAfter, step > merge { mergeInputFactors() }
        try model.parameters.restore(from: &reader, what: "model")
        var restored = RunProgress(criteria: plan.criteria)
        try restored.restore(from: &reader)
        restored.step = step
        progress = restored
        try OptimizerState.restore(optimizer, from: &reader, what: "optimiser")
        try batcher.restore(from: &reader, examples: data.train.count)
        try AmplifierState.restore(amplifier, from: &reader)
        atStepBoundary = true
    }

    // MARK: Fingerprints

    /// The plan as it shapes the run, its budget excluded (a state continues under any budget
    /// at least its step). Within one build the description of equal plans is equal.
    var planFingerprint: UInt64 {
        var unbudgeted = plan
        unbudgeted.budget = 0
        return FNV64.hash(Array(String(reflecting: unbudgeted).utf8))
    }

    /// The examples trained on, held out and tested on, in order.
    var dataFingerprint: UInt64 {
        var hash = FNV64()
        for dataset in [data.train, outerData, data.test] {
            guard let dataset else {
                hash.add(UInt64.max)
                continue
            }
            hash.add(UInt64(dataset.count))
            for token in dataset.tokens { hash.add(UInt64(UInt32(bitPattern: token))) }
            for feature in dataset.features { hash.add(UInt64(feature.bitPattern)) }
            for label in dataset.labels { hash.add(UInt64(UInt32(bitPattern: label))) }
        }
        return hash.value
    }
}

/// FNV-1a, 64 bit, over bytes or 64-bit words: fingerprints, not security.
struct FNV64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ word: UInt64) { value = (value ^ word) &* 0x0000_0100_0000_01B3 }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash = FNV64()
        for byte in bytes { hash.add(UInt64(byte)) }
        return hash.value
    }
}
