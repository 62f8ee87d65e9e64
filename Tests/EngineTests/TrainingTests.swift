import Engine
import Foundation
import Testing
import TrialSchema

/// Tasks, split, optimiser, threshold tracking and run determinism.
struct TrainingTests {
    @Test(arguments: ModularOperation.allCases.filter { $0.operandCount == 2 })
    func modularOperationDefinitions(_ operation: ModularOperation) {
        let p = 7
        let data = ModularArithmetic.dataset(operation: operation, modulus: p)
        #expect(data.count == (operation == .divide ? p * (p - 1) : p * p))
        for example in 0..<data.count {
            let a = Int(data.tokens[2 * example]), b = Int(data.tokens[2 * example + 1]), c = Int(data.labels[example])
            switch operation {
            case .add: #expect(c == (a + b) % p)
            case .subtract: #expect((c + b) % p == a)
            case .multiply: #expect(c == (a * b) % p)
            case .divide: #expect(b != 0 && (c * b) % p == a)
            case .polynomial: #expect(c == (a * a + a * b + b * b) % p)
            case .squareMinus: #expect((c + b) % p == a * a % p)
            case .dotMinus: Issue.record("five operands")
            }
        }
    }

    @Test func splitIsSeededDisjointAndSized() {
        let all = ModularArithmetic.dataset(operation: .add, modulus: 97)
        let split = DataSplit(all: all, trainFraction: 0.5, seed: 4)
        #expect(split.train.count == 4704 && split.test.count == 4705)
        func pairs(_ d: Dataset) -> Set<Int> { Set((0..<d.count).map { Int(d.tokens[2 * $0]) * 97 + Int(d.tokens[2 * $0 + 1]) }) }
        #expect(pairs(split.train).isDisjoint(with: pairs(split.test)))
        #expect(pairs(split.train).count == 4704)
        let again = DataSplit(all: all, trainFraction: 0.5, seed: 4), other = DataSplit(all: all, trainFraction: 0.5, seed: 5)
        #expect(again.train.tokens == split.train.tokens)
        #expect(other.train.tokens != split.train.tokens)
    }

    @Test func thresholdTrackerNeedsSustainedRun() {
        var tracker = ThresholdTracker(threshold: 0.9, sustain: 3)
        for (step, value) in [(0, 0.5), (10, 0.95), (20, 0.97), (30, 0.4), (40, 0.91), (50, 0.99), (60, 0.92), (70, 0.1)] {
            tracker.observe(step: step, value: value)
        }
        #expect(tracker.confirmedStep == 40)
        var never = ThresholdTracker(threshold: 0.9, sustain: 2)
        never.observe(step: 0, value: 0.95)
        never.observe(step: 1, value: 0.5)
        #expect(never.confirmedStep == nil)
    }

    /// One AdamW step by hand: θ = 1, g = 0.5, lr 0.1, wd 0.01, β (0.9, 0.98), ε 1e-8.
    @Test func adamWStepMatchesHandComputation() {
        let store = ParameterStore(layout: [("x", [1])])
        store.values[0] = 1
        store.gradients[0] = 0.5
        let optimizer = AdamW(parameters: store, beta1: 0.9, beta2: 0.98, epsilon: 1e-8, weightDecay: 0.01)
        optimizer.step(learningRate: 0.1)
        // m̂ = 0.5, v̂ = 0.25 → update 0.1 · 0.5 / 0.5 = 0.1; decay 1 · (1 − 0.001)
        #expect(abs(store.values[0] - (0.999 - 0.1)) < 1e-6)
        store.gradients[0] = -0.5
        optimizer.step(learningRate: 0.1)
        let m = 0.9 * 0.05 + 0.1 * -0.5, v = 0.98 * 0.005 + 0.02 * 0.25
        let expected = (0.999 - 0.1) * 0.999 - 0.1 * (m / (1 - 0.81)) / ((v / (1 - 0.9604)).squareRoot() + 1e-8)
        #expect(abs(Double(store.values[0]) - expected) < 1e-6)
    }

    static func smallPlan(seed: Int, batchSize: Int = 0) -> (TrainingPlan, DataSplit) {
        let all = ModularArithmetic.dataset(operation: .add, modulus: 23)
        var plan = TrainingPlan(shape: MLPShape(vocabularySize: 23, embeddingDimension: 16, width: 64, depth: 1, classes: 23))
        plan.budget = 60
        plan.evalEvery = 5
        plan.batchSize = batchSize
        plan.seed = seed
        return (plan, DataSplit(all: all, trainFraction: 0.5, seed: seed))
    }

    @Test(arguments: [0, 64])
    func sameSeedGivesBitIdenticalCurves(batchSize: Int) {
        let (plan, data) = Self.smallPlan(seed: 1, batchSize: batchSize)
        let first = TrialRunner(plan: plan, data: data).run()
        let second = TrialRunner(plan: plan, data: data).run()
        #expect(first.curve.count == 13)
        #expect(first.curve == second.curve)
        let (otherPlan, otherData) = Self.smallPlan(seed: 2, batchSize: batchSize)
        #expect(TrialRunner(plan: otherPlan, data: otherData).run().curve != first.curve)
    }

    @Test func hugeLearningRateDiverges() {
        var (plan, data) = Self.smallPlan(seed: 0)
        plan.optimizer = .sgd(SGDSettings())
        plan.learningRate = 1e30
        plan.weightDecay = 0
        let outcome = TrialRunner(plan: plan, data: data).run()
        #expect(outcome.status == .diverged)
        #expect(outcome.steps < plan.budget)
    }
}
