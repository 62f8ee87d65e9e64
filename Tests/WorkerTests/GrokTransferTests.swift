import Engine
import Protocol
import Testing
import TrialSchema

@testable import Worker

/// GrokTransfer's hand-over from the weak model to the target, parameter slice by parameter
/// slice: the transferred slice holds the weak model's representation, every other slice is the
/// target's own initialisation from the trial seed.
struct GrokTransferTests {
    static func config(task: String, mode: String) throws -> TrialConfig {
        try TrialConfig(
            json: JSONValue.parse(
                #"""
                {"task": \#(task), "method": "groktransfer", "seed": 4, "evalEvery": 5,
                 "weak": {"embeddingDim": 3, "width": 6, "budget": 20, "stopAtTestAccuracy": null},
                 "transfer": {"mode": "\#(mode)"}, "target": {"embeddingDim": 3, "width": 6, "depth": 2}}
                """#))
    }

    /// (task, mode, the target's transferred slice or nil, the target's factor rank)
    @Test(
        arguments: [
            (#"{"kind": "modular", "modulus": 11}"#, "factorized", "embedding.A", 3),
            (#"{"kind": "modular", "modulus": 11}"#, "randomA", nil, 3),
            (#"{"kind": "modular", "modulus": 11}"#, "copy", "embedding", nil),
            (#"{"kind": "parity", "bits": 8, "order": 2, "trainCount": 40, "testCount": 20}"#, "factorized", "hidden.0.A", 6),
            (#"{"kind": "parity", "bits": 8, "order": 2, "trainCount": 40, "testCount": 20}"#, "randomA", nil, 6),
            (#"{"kind": "parity", "bits": 8, "order": 2, "trainCount": 40, "testCount": 20}"#, "copy", "hidden.0.weight", nil),
        ] as [(String, String, String?, Int?)])
    func targetTakesTheWeakRepresentationSliceBySlice(task: String, mode: String, transferred: String?, rank: Int?) throws {
        let config = try Self.config(task: task, mode: mode)
        guard case .grokTransfer(let weak, let transfer) = config.method else {
            Issue.record("not GrokTransfer")
            return
        }
        let data = try EnginePlan.data(for: config)

        // The weak model as the worker trains it, and by hand from its plan.
        let weakRun = GrokTransfer.weakModel(for: config, weak: weak, data: data)
        let weakPlan = EnginePlan.weakPlan(for: config, weak: weak, data: data)
        let trainedByHand = TrialRunner(plan: weakPlan, data: data)
        _ = trainedByHand.run()
        let weakStore = trainedByHand.model.parameters
        let weakName = config.task.readsTokens ? "embedding" : "hidden.0.weight"
        let weakSlice = weakStore.slice(weakName)
        #expect(weakRun.model.representation == Array(UnsafeBufferPointer(start: weakStore.value(weakSlice), count: weakSlice.count)))
        #expect(weakRun.model.rank == (config.task.readsTokens ? weak.model.embeddingDimensions : weak.model.width))
        #expect(weakRun.summary.steps == 20 && weakRun.summary.key == GrokTransfer.cacheKey(for: config, weak: weak))

        let target = try GrokTransfer.target(for: config, transfer: transfer, data: data, weak: weakRun.model)
        guard case .mlp(let shape) = target.plan.model else {
            Issue.record("target is not an MLP")
            return
        }
        #expect(shape.embeddingRank == rank && (target.model as? MLP)?.shape == shape)
        #expect(target.plan.mergeInputFactorsAfter == transfer.mergeAfter)

        // The same target without the transfer: a fresh MLP of the shape from the trial seed.
        let fresh = MLP(shape: shape, capacity: target.model.capacity)
        fresh.initialize(seed: config.seed, scale: 1)
        let store = target.model.parameters
        #expect(store.slices.map(\.name) == fresh.parameters.slices.map(\.name))
        for slice in store.slices {
            let values = Array(UnsafeBufferPointer(start: store.value(slice), count: slice.count))
            let own = fresh.parameters.slice(slice.name)
            let initial = Array(UnsafeBufferPointer(start: fresh.parameters.value(own), count: own.count))
            if slice.name == transferred {
                #expect(values == weakRun.model.representation, "\(slice.name) holds the weak model's representation")
                #expect(values != initial)
            } else {
                #expect(values == initial, "\(slice.name) keeps the target's own initialisation")
            }
        }
    }

    /// A transformer target: its token table factorised E = A·B (or copied), the weak MLP's
    /// embedding in A's first p rows, the `=` and operator rows and every other slice the
    /// target's own initialisation from the trial seed.
    @Test(arguments: [("factorized", 4), ("randomA", 4), ("copy", 8)])
    func transformerTargetTakesTheWeakEmbedding(mode: String, weakDimension: Int) throws {
        let config = try TrialConfig(
            json: JSONValue.parse(
                #"""
                {"task": {"kind": "modular", "operation": "multiply", "modulus": 11, "layout": "infix"},
                 "method": "groktransfer", "seed": 2, "evalEvery": 5,
                 "weak": {"embeddingDim": \#(weakDimension), "width": 16, "budget": 20, "stopAtTestAccuracy": null},
                 "transfer": {"mode": "\#(mode)"},
                 "target": {"architecture": "transformer", "depth": 2, "embeddingDim": 8, "heads": 2, "width": 16,
                            "activation": "gelu", "layerNorm": true, "attentionBias": true,
                            "block": "normalizedResidual", "initialization": "pytorch"}}
                """#))
        guard case .grokTransfer(let weak, let transfer) = config.method else {
            Issue.record("not GrokTransfer")
            return
        }
        let data = try EnginePlan.data(for: config)
        let weakRun = GrokTransfer.weakModel(for: config, weak: weak, data: data)
        let target = try GrokTransfer.target(for: config, transfer: transfer, data: data, weak: weakRun.model)
        guard case .transformer(let shape) = target.plan.model, let model = target.model as? Transformer else {
            Issue.record("target is not a transformer")
            return
        }
        #expect(shape.embeddingRank == (mode == "copy" ? nil : weakDimension) && shape.vocabularySize == 13)
        let fresh = Transformer(shape: shape, capacity: 1)
        fresh.initialize(seed: config.seed, scheme: .pytorch)
        let transferred = mode == "factorized" ? "embedding.A" : (mode == "copy" ? "embedding.token" : nil)
        let weakCount = weakRun.model.representation.count
        #expect(weakCount == 11 * weakDimension)
        for slice in model.parameters.slices {
            let values = Array(UnsafeBufferPointer(start: model.parameters.value(slice), count: slice.count))
            let own = fresh.parameters.slice(slice.name)
            let initial = Array(UnsafeBufferPointer(start: fresh.parameters.value(own), count: own.count))
            if slice.name == transferred {
                #expect(Array(values[..<weakCount]) == weakRun.model.representation)
                #expect(Array(values[weakCount...]) == Array(initial[weakCount...]), "the `=` and operator rows stay fresh")
            } else {
                #expect(values == initial, "\(slice.name) keeps the target's own initialisation")
            }
        }
    }

    /// A transformer GrokTransfer trial end to end, merged after 10 steps, twice: the same
    /// curve, and the weak run in its cost.
    @Test func transformerTransferTrialRepeatsItself() throws {
        let config = try TrialConfig(
            json: JSONValue.parse(
                #"""
                {"task": {"kind": "modular", "operation": "add", "modulus": 11}, "method": "groktransfer",
                 "seed": 3, "evalEvery": 5, "budget": 30,
                 "weak": {"embeddingDim": 4, "width": 16, "budget": 20, "stopAtTestAccuracy": 0.3},
                 "transfer": {"mode": "factorized", "mergeAfter": 10},
                 "target": {"architecture": "transformer", "depth": 2, "embeddingDim": 8, "heads": 2, "width": 16,
                            "optimizer": "adam", "weightDecay": 0.001, "batchSize": 16}}
                """#))
        let first = TrialExecution.run(config, host: "test"), second = TrialExecution.run(config, host: "test")
        #expect(first.outcome != .failed && first.error == nil)
        #expect(first.curve == second.curve && first.steps == second.steps)
        let weak = try #require(first.weak)
        #expect(first.flops > weak.flops && weak.steps > 0)
    }

    @Test func identicalWeakModelsAreTrainedOncePerWorker() throws {
        let config = try Self.config(task: #"{"kind": "modular", "modulus": 7}"#, mode: "factorized")
        guard case .grokTransfer(let weak, _) = config.method else {
            Issue.record("not GrokTransfer")
            return
        }
        let data = try EnginePlan.data(for: config)
        let first = GrokTransfer.weakModel(for: config, weak: weak, data: data)
        let second = GrokTransfer.weakModel(for: config, weak: weak, data: data)
        #expect(second.summary.reused && second.model.representation == first.model.representation)
        var otherSeed = config
        otherSeed.seed = 5
        #expect(GrokTransfer.cacheKey(for: otherSeed, weak: weak) != first.summary.key)
    }

    /// A whole trial: the result charges the weak run's cost and reports it.
    @Test func trialResultIncludesTheWeakRun() throws {
        var config = try Self.config(task: #"{"kind": "modular", "modulus": 7}"#, mode: "factorized")
        config.budget = 10
        let result = TrialExecution.run(config, host: "test")
        let weak = try #require(result.weak)
        #expect(result.outcome != .failed && result.error == nil)
        #expect(result.steps == 10 && weak.steps == 20)
        #expect(result.flops > weak.flops && result.seconds >= weak.seconds)
        #expect(result.trialId == config.id)
    }
}
