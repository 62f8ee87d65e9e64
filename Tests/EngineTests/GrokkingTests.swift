import Engine
import Testing

/// Real training that really groks: a small modular-addition MLP memorises within a couple of
/// hundred steps and generalises only after a long delay (the canonical p = 97 experiment
/// behaves the same way over ~2 000 steps; see benchmarks/canonical_grokking.sh).
struct GrokkingTests {
    @Test func smallModularAdditionGroksAfterADelay() {
        let all = ModularArithmetic.dataset(operation: .add, modulus: 47)
        var plan = TrainingPlan(shape: MLPShape(vocabularySize: 47, embeddingDimension: 32, width: 128, depth: 1, classes: 47))
        plan.learningRate = 3e-3
        plan.weightDecay = 1
        plan.budget = 5000
        plan.seed = 0
        let outcome = TrialRunner(plan: plan, data: DataSplit(all: all, trainFraction: 0.5, seed: 0)).run()
        #expect(outcome.status == .grokked)
        let tMem = try! #require(outcome.tMem), tGrok = try! #require(outcome.tGrok)
        #expect(tMem < 300)
        #expect(tGrok - tMem > 1000, "memorised at \(tMem), grokked at \(tGrok)")
        // Stop on success: the run ends once t_grok is confirmed, not at the budget.
        #expect(outcome.steps < plan.budget)
        #expect(outcome.curve.last!.testAccuracy >= 0.99)
    }
}
