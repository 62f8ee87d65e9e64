import Foundation
import Testing
import TrialSchema

@testable import Engine

/// Saved trial states: a runner stopped at step N, saved, restored into a fresh runner and run
/// on gives bit for bit the curve, t_mem, t_grok and parameters of the uninterrupted run — for
/// each model kind and amplifier, across GrokTransfer's merge, and under a raised budget; and
/// a damaged or foreign state is refused with the reason. Serialized: its runs then hold at
/// most one of the test pool's threads, leaving the other to suites waiting on it.
@Suite(.serialized)
struct CheckpointTests {
    enum Model: String, CaseIterable, CustomTestStringConvertible {
        /// `faithfulTransformer`: the Grokfast code's block, PyTorch's init and `a op b =`.
        case mlp, transformer, faithfulTransformer
        var testDescription: String { rawValue }
    }

    enum Amplifier: String, CaseIterable, CustomTestStringConvertible {
        case none, ema, movingAverage, neuralGrok
        var testDescription: String { rawValue }

        var plan: TrialSchema.Amplifier? {
            switch self {
            case .none: nil
            case .ema: .ema(EMASettings(alpha: 0.98, lamb: 2))
            case .movingAverage: .movingAverage(MovingAverageSettings(window: 5, lamb: 2, warmup: true))
            case .neuralGrok: .neuralGrok(NeuralGrokSettings(hidden: [8], outerEvery: 3, outerFraction: 0.05))
            }
        }
    }

    /// Modular addition mod 13 in minibatches of 16 (the batch order matters), diagnostics on.
    static func plan(_ model: Model, _ amplifier: Amplifier, budget: Int) -> (TrainingPlan, DataSplit) {
        let all = ModularArithmetic.dataset(operation: .add, modulus: 13, papersOperandRanges: model == .faithfulTransformer)
        let data = DataSplit(all: all, trainFraction: 0.5, seed: 3)
        var plan = TrainingPlan(model: .mlp(MLPShape(vocabularySize: 13, embeddingDimension: 8, width: 32, depth: 2, classes: 13)))
        switch model {
        case .mlp: break
        case .transformer:
            plan.model = .transformer(.modularArithmetic(modulus: 13, layers: 2, modelDimension: 16, heads: 2, mlpDimension: 32))
        case .faithfulTransformer:
            let sequence = TokenLayout.infix.sequence(for: .add, modulus: 13)
            plan.model = .transformer(
                TransformerShape(
                    vocabularySize: sequence.vocabulary, sequence: sequence.layout,
                    modelDimension: 16, heads: 2, mlpDimension: 32, layers: 2,
                    classes: sequence.vocabulary, activation: .gelu, layerNorm: true,
                    attentionBias: true, blockForm: .normalizedResidual))
            plan.transformerInitialization = .pytorch
        }
        plan.amplifier = amplifier.plan
        plan.diagnostics = true
        plan.learningRate = 1e-2
        plan.warmupSteps = 20
        plan.weightDecay = 0.1
        plan.batchSize = 16
        plan.budget = budget
        plan.evalEvery = 5
        // PyTorch's N(0, 1) embeddings memorise later: a lower bar keeps t_mem inside the budget.
        plan.criteria = Thresholds(train: model == .faithfulTransformer ? 0.15 : 0.3, test: 0.99, sustain: 2)
        plan.seed = 3
        return (plan, data)
    }

    // MARK: Comparisons

    /// Every number of a curve as its bits (NaN compares equal to itself).
    static func bits(_ curve: [CurvePoint]) -> [UInt64] {
        curve.flatMap { point -> [UInt64] in
            var values = [point.trainLoss, point.trainAccuracy, point.testLoss, point.testAccuracy].map(\.bitPattern)
            if let diagnostics = point.diagnostics {
                values += [diagnostics.weightNorm, diagnostics.gradientNorm, diagnostics.gradientEntropy].map(\.bitPattern)
            }
            return [UInt64(point.step)] + values
        }
    }

    static func parameterBits(_ runner: TrialRunner) -> [UInt32] { runner.model.parameters.values.array.map(\.bitPattern) }

    static func expectSame(
        _ resumed: TrainingOutcome, _ resumedRunner: TrialRunner, as direct: TrainingOutcome,
        _ directRunner: TrialRunner, _ label: String
    ) {
        #expect(resumed.status == direct.status, "\(label): status")
        #expect(resumed.steps == direct.steps, "\(label): steps")
        #expect(resumed.tMem == direct.tMem && resumed.tGrok == direct.tGrok, "\(label): t_mem/t_grok")
        #expect(bits(resumed.curve) == bits(direct.curve), "\(label): curve")
        #expect(resumed.denseFlops.bitPattern == direct.denseFlops.bitPattern, "\(label): FLOPs")
        #expect(parameterBits(resumedRunner) == parameterBits(directRunner), "\(label): final parameters")
    }

    /// Runs `runner`, capturing its state at the boundary before `step`.
    static func run(_ runner: TrialRunner, capturingAt step: Int) -> (TrainingOutcome, Data) {
        var state: Data?
        let outcome = runner.run(onStepBoundary: { if $0 == step { state = runner.captureState() } })
        return (outcome, state!)
    }

    // MARK: Save, restore, continue

    /// N = 37 steps (mid-epoch, mid NeuralGrok period, MA queue full), then M = 53 more.
    @Test(arguments: Model.allCases, Amplifier.allCases)
    func restoredRunContinuesBitForBit(model: Model, amplifier: Amplifier) throws {
        let (plan, data) = Self.plan(model, amplifier, budget: 90)
        let direct = TrialRunner(plan: plan, data: data)
        let directOutcome = direct.run()
        #expect(directOutcome.status == .censored && directOutcome.tMem != nil, "the run should memorise within the budget")

        let interrupted = TrialRunner(plan: plan, data: data)
        let (capturedOutcome, state) = Self.run(interrupted, capturingAt: 37)
        Self.expectSame(capturedOutcome, interrupted, as: directOutcome, direct, "capturing perturbed the run")

        let resumed = try TrialRunner(plan: plan, data: data, restoring: state)
        #expect(resumed.nextStep == 37)
        Self.expectSame(resumed.run(), resumed, as: directOutcome, direct, "\(model) \(amplifier)")
    }

    /// A run to budget B, then the same state under budget B′ > B, equals a direct run to B′;
    /// and the censored run's own outcome (with its final evaluation at B) is unchanged.
    @Test(arguments: [(Model.mlp, Amplifier.movingAverage), (.transformer, .neuralGrok), (.mlp, .none)])
    func censoredRunContinuesToALargerBudget(model: Model, amplifier: Amplifier) throws {
        let (longPlan, data) = Self.plan(model, amplifier, budget: 120)
        let direct = TrialRunner(plan: longPlan, data: data)
        let directOutcome = direct.run()

        var (shortPlan, _) = Self.plan(model, amplifier, budget: 50)
        shortPlan.budget = 50
        let short = TrialRunner(plan: shortPlan, data: data)
        let shortOutcome = short.run()
        #expect(shortOutcome.status == .censored && shortOutcome.curve.last?.step == 50)
        #expect(short.canCaptureState)
        let state = short.captureState()

        // Restoring under the same budget reproduces the censored outcome.
        let again = try TrialRunner(plan: shortPlan, data: data, restoring: state)
        Self.expectSame(again.run(), again, as: shortOutcome, short, "same budget")

        let continued = try TrialRunner(plan: longPlan, data: data, restoring: state)
        Self.expectSame(continued.run(), continued, as: directOutcome, direct, "raised budget")
    }

    /// A run that groks and stops (XOR clusters, feature inputs): restored before t_grok is
    /// confirmed, it confirms the same t_grok at the same step and stops there.
    @Test func restoredRunGroksAtTheSameStep() throws {
        let data = VectorTasks.xorCluster(dimension: 10, noise: 0.05, trainCount: 200, testCount: 200, seed: 3)
        var plan = Self.plan(.mlp, .ema, budget: 400).0
        plan.mlp = MLPShape(input: .features(width: 10), width: 32, depth: 2, classes: 2)
        plan.criteria = Thresholds(train: 0.9, test: 0.9, sustain: 3)
        let direct = TrialRunner(plan: plan, data: data)
        let directOutcome = direct.run()
        let tGrok = try #require(directOutcome.tGrok, "the run should reach 90 % test accuracy")
        #expect(directOutcome.status == .grokked && !direct.canCaptureState)
        // Inside the sustained stretch: the detector's partial run must survive the restore.
        let (_, state) = Self.run(TrialRunner(plan: plan, data: data), capturingAt: tGrok + 2)
        let resumed = try TrialRunner(plan: plan, data: data, restoring: state)
        Self.expectSame(resumed.run(), resumed, as: directOutcome, direct, "grokked run")
    }

    /// GrokTransfer's merge of A·B: states from before and after the merge step both continue exactly.
    @Test(arguments: [12, 20, 21, 33])
    func factorisedRunContinuesAcrossTheMerge(captureStep: Int) throws {
        var (plan, data) = Self.plan(.mlp, .ema, budget: 60)
        plan.mlp.embeddingRank = 3
        plan.mergeInputFactorsAfter = 20
        let direct = TrialRunner(plan: plan, data: data)
        let directOutcome = direct.run()
        #expect((direct.model as? MLP)?.shape.embeddingRank == nil)
        let (_, state) = Self.run(TrialRunner(plan: plan, data: data), capturingAt: captureStep)
        let resumed = try TrialRunner(plan: plan, data: data, restoring: state)
        Self.expectSame(resumed.run(), resumed, as: directOutcome, direct, "capture at \(captureStep)")
    }

    /// SGD with momentum and full batches restore too.
    @Test func sgdFullBatchRunContinues() throws {
        var (plan, data) = Self.plan(.mlp, .none, budget: 40)
        plan.optimizer = .sgd(SGDSettings(momentum: 0.9))
        plan.batchSize = 0
        let direct = TrialRunner(plan: plan, data: data)
        let directOutcome = direct.run()
        let (_, state) = Self.run(TrialRunner(plan: plan, data: data), capturingAt: 17)
        let resumed = try TrialRunner(plan: plan, data: data, restoring: state)
        Self.expectSame(resumed.run(), resumed, as: directOutcome, direct, "SGD full batch")
    }
}

// MARK: - Refusals

extension CheckpointTests {
    static func savedState(step: Int = 10) -> (TrainingPlan, DataSplit, Data) {
        let (plan, data) = Self.plan(.mlp, .ema, budget: 30)
        let (_, state) = Self.run(TrialRunner(plan: plan, data: data), capturingAt: step)
        return (plan, data, state)
    }

    static func refusal(_ plan: TrainingPlan, _ data: DataSplit, _ state: Data, model: TrainableModel? = nil) -> TrialStateError? {
        do {
            _ = try TrialRunner(plan: plan, data: data, model: model, restoring: state)
            return nil
        } catch let error as TrialStateError {
            return error
        } catch {
            return .malformed("unexpected error \(error)")
        }
    }

    /// One flipped bit anywhere after the version fields is a checksum mismatch.
    @Test(arguments: [0.3, 0.5, 0.99])
    func corruptedByteIsAChecksumMismatch(position: Double) {
        let (plan, data, state) = Self.savedState()
        var corrupted = state
        let index = 16 + Int(Double(state.count - 17) * position)
        corrupted[index] ^= 0x10
        guard case .checksumMismatch? = Self.refusal(plan, data, corrupted) else {
            Issue.record("byte \(index) of \(state.count): \(String(describing: Self.refusal(plan, data, corrupted)))")
            return
        }
    }

    @Test func foreignBytesTruncationAndNewerVersionsAreRefused() {
        let (plan, data, state) = Self.savedState()
        #expect(Self.refusal(plan, data, Data("{\"trial\": 1}".utf8)) == .badMagic)
        var newer = state
        newer[8] = 2
        #expect(Self.refusal(plan, data, newer) == .unsupportedVersion(found: 2, supported: 1))
        guard case .malformed? = Self.refusal(plan, data, state.prefix(state.count - 100)) else {
            Issue.record("a truncated state should be malformed")
            return
        }
    }

    @Test func otherBuildAndThreadCountAreRefused() throws {
        let (plan, data, state) = Self.savedState()
        let payload = try TrialStateCoder.open(state, content: "RUNR")
        let foreign = TrialStateCoder.seal(payload, content: "RUNR", build: "0.0.9+exe.0123456789abcdef")
        #expect(Self.refusal(plan, data, foreign) == .otherBuild(state: "0.0.9+exe.0123456789abcdef", running: EngineInfo.build))
        let threads = TrialStateCoder.seal(payload, content: "RUNR", threads: 7)
        #expect(Self.refusal(plan, data, threads) == .otherThreadCount(state: 7, running: ComputeTeam.current.size))
        #expect(try TrialRunner(plan: plan, data: data, restoring: threads, anyThreadCount: true).nextStep == 10)
        let other = TrialStateCoder.seal(payload, content: "TRIL")
        #expect(Self.refusal(plan, data, other) == .wrongContent(expected: "RUNR", found: "TRIL"))
        #expect(Self.refusal(plan, data, state) == nil)
    }

    @Test func otherPlanShapeAndSmallerBudgetAreRefused() {
        let (plan, data, state) = Self.savedState(step: 20)
        var wider = plan
        wider.mlp.width = 33
        guard case .otherPlan? = Self.refusal(wider, data, state) else {
            Issue.record("another width")
            return
        }
        let otherSplit = DataSplit(all: ModularArithmetic.dataset(operation: .add, modulus: 13), trainFraction: 0.5, seed: 4)
        guard case .otherPlan? = Self.refusal(plan, otherSplit, state) else {
            Issue.record("another split")
            return
        }
        var shorter = plan
        shorter.budget = 19
        #expect(Self.refusal(shorter, data, state) == .pastBudget(step: 20, budget: 19))
        // Same plan, a model of another shape passed in (a GrokTransfer target of another rank).
        var factorised = plan.mlp
        factorised.embeddingRank = 4
        let model = MLP(shape: factorised, capacity: TrialRunner.workspaceCapacity(plan: plan, data: data))
        guard case .shapeMismatch(let what, _, _)? = Self.refusal(plan, data, state, model: model) else {
            Issue.record("a factorised model should not take an unfactorised state")
            return
        }
        #expect(what.contains("model"))
    }

    @Test func messagesSayWhatWasWrong() {
        #expect(
            TrialStateError.checksumMismatch(stored: 1, computed: 0xABCDEF).description
                == "trial state checksum mismatch (stored 0x00000001, computed 0x00abcdef): the state is corrupted")
        #expect(TrialStateError.otherBuild(state: "a", running: "b").description.contains("another build (a)"))
        #expect(TrialStateError.pastBudget(step: 5, budget: 4).description.contains("step 5"))
    }

    /// zlib's check value, and the header read back.
    @Test func envelopeChecksumAndHeader() throws {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        let sealed = TrialStateCoder.seal([1, 2, 3], content: "TEST", threads: 3, build: "b")
        let header = try TrialStateCoder.header(of: sealed)
        #expect(header == TrialStateCoder.Header(version: 1, content: "TEST", threads: 3, build: "b"))
        #expect(sealed.count == 8 + 4 + 4 + 4 + 2 + 1 + 8 + 3 + 4)
        #expect(try TrialStateCoder.open(sealed, content: "TEST", threads: 3, build: "b") == [1, 2, 3])
    }
}

extension TrainingPlan {
    /// The plan's MLP shape, for tests that vary it (a plan of another model kind traps).
    var mlp: MLPShape {
        get {
            guard case .mlp(let shape) = model else { preconditionFailure("not an MLP plan") }
            return shape
        }
        set { model = .mlp(newValue) }
    }
}
