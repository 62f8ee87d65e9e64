import Foundation
import Testing
import TrialSchema

@testable import Engine

/// Grokfast filters against their definitions, NeuralGrok's amplifier against finite
/// differences, the bilevel step's bookkeeping, AGE, coupled-decay Adam, and amplified runs.
struct AmplifierTests {
    typealias Check = GradientCheckTests

    static func store(_ count: Int) -> ParameterStore {
        ParameterStore(layout: [("a", [count / 2]), ("b", [count - count / 2])])
    }

    /// Gradient sequence g_t[i] = sin(0.7 t + i) + 0.1 i.
    static func gradient(step t: Int, index i: Int) -> Float { Float(sin(0.7 * Double(t) + Double(i)) + 0.1 * Double(i)) }

    // MARK: Grokfast

    /// μ₁ = g₁, μ_t = α μ_{t−1} + (1 − α) g_t, output g_t + λ μ_t (ironjr/grokfast `gradfilter_ema`).
    @Test func emaFollowsItsDefinition() {
        let (count, alpha, lamb) = (6, Float(0.9), Float(2))
        let parameters = Self.store(count)
        let filter = GrokfastEMA(count: count, alpha: alpha, lamb: lamb)
        var mu = [Double](repeating: 0, count: count)
        for t in 0..<12 {
            for i in 0..<count { parameters.gradients[i] = Self.gradient(step: t, index: i) }
            filter.amplify(parameters)
            for i in 0..<count {
                let g = Double(Self.gradient(step: t, index: i))
                mu[i] = t == 0 ? g : Double(alpha) * mu[i] + Double(1 - alpha) * g
                #expect(abs(Double(parameters.gradients[i]) - (g + Double(lamb) * mu[i])) < 1e-5)
            }
        }
    }

    /// Output g_t + λ · mean(last w gradients); with warm-up, unchanged until w gradients were seen.
    @Test(arguments: [true, false])
    func movingAverageFollowsItsDefinition(warmup: Bool) {
        let (count, window, lamb) = (5, 4, Float(5))
        let parameters = Self.store(count)
        let filter = GrokfastMovingAverage(count: count, window: window, lamb: lamb, warmup: warmup)
        for t in 0..<11 {
            for i in 0..<count { parameters.gradients[i] = Self.gradient(step: t, index: i) }
            filter.amplify(parameters)
            let seen = min(t + 1, window)
            for i in 0..<count {
                let g = Double(Self.gradient(step: t, index: i))
                let mean = (t + 1 - seen...t).reduce(0.0) { $0 + Double(Self.gradient(step: $1, index: i)) } / Double(seen)
                let expected = warmup && seen < window ? g : g + Double(lamb) * mean
                #expect(abs(Double(parameters.gradients[i]) - expected) < 1e-5, "t \(t) i \(i)")
            }
        }
    }

    /// λ = 0 leaves the gradient alone; a constant gradient is amplified by exactly 1 + λ.
    @Test func filtersOnConstantGradients() {
        let parameters = Self.store(4)
        let filters: [GradientAmplifier] = [
            GrokfastEMA(count: 4, alpha: 0.98, lamb: 2),
            GrokfastMovingAverage(count: 4, window: 3, lamb: 2, warmup: false),
        ]
        for filter in filters {
            for _ in 0..<5 {
                for i in 0..<4 { parameters.gradients[i] = Float(i) - 1.5 }
                filter.amplify(parameters)
                #expect((0..<4).allSatisfy { abs(parameters.gradients[$0] - 3 * (Float($0) - 1.5)) < 1e-5 })
            }
        }
    }

    // MARK: NeuralGrok

    /// G_φ(g) has norm c in every tensor and keeps each entry's sign.
    @Test func neuralTransformRescalesEachTensor() {
        let parameters = Self.store(40)
        for i in 0..<40 { parameters.gradients[i] = Self.gradient(step: 3, index: i) * 1e-3 }
        let raw = parameters.gradients.array
        let amplifier = NeuralGrok(
            settings: NeuralGrokSettings(hidden: [8, 8], rescale: 0.5, clip: 0),
            parameterCount: 40, seed: 1)
        amplifier.amplify(parameters)
        for slice in parameters.slices {
            let values = (slice.offset..<(slice.offset + slice.count)).map { Double(parameters.gradients[$0]) }
            #expect(abs(values.reduce(0) { $0 + $1 * $1 }.squareRoot() - 0.5) < 1e-5)
            #expect(zip(values, raw[slice.offset...]).allSatisfy { $0 == 0 || ($0 > 0) == ($1 > 0) })
        }
    }

    /// ∂/∂φ of Σ uᵢ G_φ(g)ᵢ (softmax, per-tensor norm and the per-entry MLP) by finite differences.
    @Test(arguments: [[6, 5], [7], [3, 4, 5]])
    func neuralTransformGradientMatchesFiniteDifferences(hidden: [Int]) {
        let count = 30
        let parameters = Self.store(count)
        let g = Check.random([count], seed: 41, range: 1), u = Check.random([count], seed: 42, range: 1)
        let amplifier = NeuralGrok(
            settings: NeuralGrokSettings(hidden: hidden, rescale: 0.7, clip: 0),
            parameterCount: count, seed: 43)
        let phi = amplifier.amplifierParameters
        // Large enough weights that the scores differ across entries.
        for index in 0..<phi.count { phi.values[index] *= 3 }
        func objective() -> Double {
            parameters.gradients.copy(from: g)
            amplifier.amplify(parameters)
            return Check.dot(parameters.gradients.data, u)
        }
        phi.zeroGradients()
        amplifier.accumulateTransformGradient(parameters: parameters, gradient: g, upstream: u)
        let analytic = phi.gradients.array
        let numeric = Check.numericGradient(of: phi.values, step: 1e-3, objective: objective)
        Check.expectClose(analytic, numeric, tolerance: 2e-2)
        #expect(analytic.contains { abs($0) > 1e-4 })
    }

    /// The outer step looks ahead, updates φ from D_outer's loss, and leaves θ where it was.
    @Test func outerStepRestoresWeightsAndMovesTheAmplifier() {
        let parameters = Self.store(10)
        for i in 0..<10 { parameters.values[i] = Float(i) * 0.1 }
        let before = parameters.values.array
        let amplifier = NeuralGrok(
            settings: NeuralGrokSettings(hidden: [4], outerLearningRate: 1e-2),
            parameterCount: 10, seed: 2)
        let phiBefore = amplifier.amplifierParameters.values.array
        var lookAhead: [Float] = []
        // L_outer(θ) = ½‖θ − 1‖²; the inner gradient is a fixed pattern.
        let loss = amplifier.outerStep(
            parameters: parameters, learningRate: 0.5,
            innerGradient: {
                for i in 0..<10 { parameters.gradients[i] = Self.gradient(step: 1, index: i) }
            },
            outerGradient: {
                lookAhead = parameters.values.array
                for i in 0..<10 { parameters.gradients[i] = parameters.values[i] - 1 }
                return lookAhead.reduce(0.0) { $0 + 0.5 * Double(($1 - 1) * ($1 - 1)) }
            })
        #expect(parameters.values.array == before)
        #expect(lookAhead != before && loss.isFinite)
        #expect(amplifier.amplifierParameters.values.array != phiBefore)
        #expect(amplifier.outerSteps == 1)
    }

    // MARK: Measures and optimiser

    @Test func complexityMeasuresOfAKnownStore() {
        let parameters = ParameterStore(layout: [("x", [3])])
        for (i, (w, g)) in [(Float(3), Float(0.5)), (4, -0.25), (0, 0)].enumerated() {
            parameters.values[i] = w
            parameters.gradients[i] = g
        }
        let measures = GradientDiagnostics(of: parameters)
        #expect(abs(measures.weightNorm - 5) < 1e-12)
        #expect(abs(measures.gradientNorm - (0.3125).squareRoot()) < 1e-7)
        #expect(abs(measures.gradientEntropy - (-0.5 * log(0.5) - 0.25 * log(0.25))) < 1e-7)
    }

    /// Coupled decay: the first Adam step moves θ by −lr·sign(g + λθ); AdamW's by −lr·sign(g) − lr·λ·θ.
    @Test func adamCouplesWeightDecayIntoTheGradient() {
        func step(decoupled: Bool) -> Float {
            let store = ParameterStore(layout: [("x", [1])])
            store.values[0] = 1
            store.gradients[0] = -0.5
            AdamW(parameters: store, weightDecay: 2, decoupled: decoupled).step(learningRate: 0.1)
            return store.values[0]
        }
        #expect(abs(step(decoupled: false) - 0.9) < 1e-5)  // g + λθ = 1.5 > 0
        #expect(abs(step(decoupled: true) - (1 * (1 - 0.2) + 0.1)) < 1e-5)
    }

    // MARK: Runs

    static func smallPlan(amplifier: Amplifier?, transformer: Bool = false) -> (TrainingPlan, DataSplit) {
        let data = DataSplit(all: ModularArithmetic.dataset(operation: .add, modulus: 11), trainFraction: 0.5, seed: 0)
        var plan = TrainingPlan(shape: MLPShape(vocabularySize: 11, embeddingDimension: 8, width: 16, depth: 1, classes: 11))
        if transformer {
            plan.model = .transformer(.modularArithmetic(modulus: 11, layers: 1, modelDimension: 16, heads: 2, mlpDimension: 32))
        }
        plan.amplifier = amplifier
        plan.diagnostics = true
        plan.budget = 30
        plan.evalEvery = 10
        plan.batchSize = 16
        plan.optimizer = .adam(AdamSettings(beta1: 0.9, beta2: 0.98, epsilon: 1e-8))
        plan.weightDecay = 0.01
        return (plan, data)
    }

    /// Every amplifier on both models: finite curves with measures, bit-identical on a rerun,
    /// and (except λ = 0) different from the unamplified run.
    @Test(arguments: [false, true])
    func amplifiedRunsAreDeterministic(transformer: Bool) {
        let amplifiers: [Amplifier?] = [
            nil, .ema(EMASettings(alpha: 0.98, lamb: 2)), .movingAverage(MovingAverageSettings(window: 5, lamb: 5, warmup: true)),
            .neuralGrok(NeuralGrokSettings(hidden: [8], outerEvery: 2)),
        ]
        var finals: [[Double]] = []
        for amplifier in amplifiers {
            let (plan, data) = Self.smallPlan(amplifier: amplifier, transformer: transformer)
            let first = TrialRunner(plan: plan, data: data).run(), second = TrialRunner(plan: plan, data: data).run()
            #expect(first.curve == second.curve)
            #expect(first.curve.dropLast().allSatisfy { $0.diagnostics?.gradientEntropy.isFinite == true })
            finals.append(first.curve.map(\.trainLoss))
        }
        #expect(Set(finals.map { $0.description }).count == amplifiers.count)
    }

    /// NeuralGrok trains on D_inner only and holds out ⌈2 %⌉ of the training set.
    @Test func neuralGrokHoldsOutPartOfTheTrainingSet() {
        let (plan, data) = Self.smallPlan(amplifier: .neuralGrok(NeuralGrokSettings(outerFraction: 0.1)))
        let runner = TrialRunner(plan: plan, data: data)
        #expect(runner.outerData?.count == 6 && runner.data.train.count == data.train.count - 6)
        #expect(runner.data.test.count == data.test.count)
    }
}

extension AmplifierTests {
    /// After GrokTransfer's merge the filters keep their state for parameters that survive (by
    /// name) and start new ones from zero: a zero gradient then comes out as λ·α·μ.
    @Test func filterStateFollowsParametersByName() {
        let old = ParameterStore(layout: [("a", [2]), ("b", [2])])
        let new = ParameterStore(layout: [("b", [2]), ("c", [3])])
        let filters: [GradientAmplifier] = [
            GrokfastEMA(count: 4, alpha: 0.5, lamb: 1),
            GrokfastMovingAverage(count: 4, window: 2, lamb: 1, warmup: false),
        ]
        for filter in filters {
            for i in 0..<4 { old.gradients[i] = Float(i + 1) }
            filter.amplify(old)
            let moved = filter.carryingState(from: old, to: new)
            new.zeroGradients()
            moved.amplify(new)
            let expected: [Float] = filter is GrokfastEMA ? [1.5, 2, 0, 0, 0] : [1.5, 2, 0, 0, 0]
            #expect(new.gradients.array == expected, "\(type(of: filter))")
        }
    }
}

/// NeuralGrok's one-hidden-layer amplifier in its piecewise-linear form against the dense
/// layer-by-layer network: scores and φ-gradients over many gradient entries.
struct PiecewiseAmplifierTests {
    @Test(arguments: [7, 1_152])
    func piecewiseFormEqualsTheDenseNetwork(units: Int) {
        let count = 20_000
        let fast = NeuralAmplifierNetwork(hidden: [units], rescale: 1)
        let dense = NeuralAmplifierNetwork(hidden: [units], rescale: 1, dense: true)
        fast.initialize(seed: 61)
        dense.initialize(seed: 61)
        // Gradient entries of a real scale and sign, some exactly zero, as a model's are.
        let inputs = GradientCheckTests.random([count], seed: 62, range: 2)
        for index in stride(from: 0, to: count, by: 97) { inputs[index] = 0 }
        let upstream = GradientCheckTests.random([count], seed: 63, range: 1)
        var fastScores = [Float](repeating: 0, count: count), denseScores = fastScores
        fast.scores(of: inputs.data, count: count, into: &fastScores)
        dense.scores(of: inputs.data, count: count, into: &denseScores)
        let scale = denseScores.map(abs).max()!
        #expect(zip(fastScores, denseScores).allSatisfy { abs($0 - $1) <= 1e-5 * max(scale, 1) })
        fast.parameters.zeroGradients()
        dense.parameters.zeroGradients()
        fast.backwardScores(inputs: inputs.data, dscores: upstream.data, count: count)
        dense.backwardScores(inputs: inputs.data, dscores: upstream.data, count: count)
        GradientCheckTests.expectClose(fast.parameters.gradients.array, dense.parameters.gradients.array, tolerance: 1e-3)
        #expect(fast.parameters.gradients.array.contains { abs($0) > 1e-2 })
    }
}
