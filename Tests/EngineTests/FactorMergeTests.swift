import Engine
import Testing

/// GrokTransfer's merge option: E = A·B replaced by one full matrix mid-run.
struct FactorMergeTests {
    @Test(arguments: [false, true])
    func mergedModelComputesTheSameFunction(features: Bool) throws {
        let shape =
            features
            ? MLPShape(input: .features(width: 9), width: 12, depth: 2, classes: 3, embeddingRank: 2)
            : MLPShape(vocabularySize: 7, embeddingDimension: 5, width: 12, depth: 2, classes: 7, embeddingRank: 2)
        let model = MLP(shape: shape, capacity: 8)
        model.initialize(seed: 3, scale: 1)
        let merged = try #require(model.mergingInputFactors() as? MLP)
        #expect(merged.shape.embeddingRank == nil)
        #expect(!merged.parameters.slices.contains { $0.name.hasSuffix(".A") || $0.name.hasSuffix(".B") })
        var generator = SeededGenerator(seed: 1, stream: "inputs")
        let count = 8
        let tokens = (0..<(2 * count)).map { _ in Int32(generator.next() % 7) }
        let vectors = (0..<(9 * count)).map { _ in Float(generator.normal()) }
        func logits(_ mlp: MLP) -> [Float] {
            let pointer =
                features
                ? vectors.withUnsafeBufferPointer { mlp.forward(InputBatch(features: $0.baseAddress!, count: count)) }
                : tokens.withUnsafeBufferPointer { mlp.forward(InputBatch(tokens: $0.baseAddress!, count: count)) }
            return Array(UnsafeBufferPointer(start: pointer, count: count * mlp.classes))
        }
        let before = logits(model), after = logits(merged)
        for (a, b) in zip(before, after) { #expect(abs(a - b) <= 1e-5 * max(1, abs(a))) }
    }

    @Test func runnerMergesAtTheGivenStepAndKeepsTraining() {
        let all = ModularArithmetic.dataset(operation: .add, modulus: 23)
        let data = DataSplit(all: all, trainFraction: 0.5, seed: 0)
        var plan = TrainingPlan(
            shape: MLPShape(
                vocabularySize: 23, embeddingDimension: 16, width: 64, depth: 1,
                classes: 23, embeddingRank: 4))
        plan.budget = 40
        plan.evalEvery = 10
        plan.mergeInputFactorsAfter = 20
        let runner = TrialRunner(plan: plan, data: data)
        let outcome = runner.run()
        #expect(outcome.steps == 40 && outcome.curve.allSatisfy { $0.trainLoss.isFinite })
        #expect((runner.model as? MLP)?.shape.embeddingRank == nil)
        // Training continues smoothly across the merge: no jump in training loss.
        let atMerge = outcome.curve.first { $0.step == 20 }!.trainLoss
        let after = outcome.curve.first { $0.step == 30 }!.trainLoss
        #expect(after < atMerge)
        // Deterministic with the merge too.
        #expect(TrialRunner(plan: plan, data: data).run().curve == outcome.curve)
    }
}
