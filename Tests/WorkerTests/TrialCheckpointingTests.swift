import Engine
import Foundation
import Protocol
import Synchronization
import Testing
import TrialSchema

@testable import Worker

/// Whole trials saved and continued in-process: GrokTransfer interrupted in its weak stage and
/// in its target stage (before and after the merge), censored trials continued under a raised
/// budget, and states refused for another trial, a lowered budget, another build or corruption.
struct TrialCheckpointingTests {
    static func config(_ text: String) throws -> TrialConfig { try TrialConfig(text: text, file: "test.json") }

    /// Weak stage ≤ 150 steps (stops at 30 % test accuracy), target 200 steps merging at 60:
    /// an MLP, or a 2-layer transformer whose token table is factorised.
    static func transferConfig(seed: Int, budget: Int = 200, transformer: Bool = false) throws -> TrialConfig {
        let target =
            transformer
            ? #""architecture": "transformer", "depth": 2, "embeddingDim": 16, "heads": 2, "width": 32, "layerNorm": true,"#
            : #""embeddingDim": 16, "width": 64,"#
        return try config(
            """
            { "task": { "kind": "modular", "operation": "add", "modulus": 23, "trainFraction": 0.5 },
              "method": "groktransfer",
              "weak": { "embeddingDim": 4, "width": 32, "budget": 150, "stopAtTestAccuracy": 0.3, "batchSize": 64 },
              "transfer": { "mode": "factorized", "mergeAfter": 60 },
              "target": { \(target) "batchSize": 64, "weightDecay": 0.3 },
              "amplifier": { "kind": "ema", "alpha": 0.9 },
              "budget": \(budget), "evalEvery": 10, "diagnostics": true, "seed": \(seed) }
            """)
    }

    static func scratchConfig(budget: Int, learningRate: Double = 0.003) throws -> TrialConfig {
        try config(
            """
            { "task": { "kind": "modular", "operation": "multiply", "modulus": 19, "trainFraction": 0.5 },
              "target": { "embeddingDim": 16, "width": 64, "batchSize": 32, "learningRate": \(learningRate) },
              "amplifier": { "kind": "neuralgrok", "hidden": [8], "outerEvery": 3 },
              "budget": \(budget), "evalEvery": 10, "seed": 2 }
            """)
    }

    // MARK: Comparisons

    static func curveBits(_ result: TrialResult) -> [UInt64] {
        result.curve.flatMap { point -> [UInt64] in
            var values = [UInt64(point.step)]
            values += [point.trainLoss, point.trainAccuracy, point.testLoss, point.testAccuracy].map(\.bitPattern)
            if let diagnostics = point.diagnostics {
                values += [diagnostics.weightNorm, diagnostics.gradientNorm, diagnostics.gradientEntropy].map(\.bitPattern)
            }
            return values
        }
    }

    static func expectSame(_ resumed: TrialResult, as direct: TrialResult, _ label: String) {
        #expect(resumed.outcome == direct.outcome, "\(label): outcome")
        #expect(resumed.steps == direct.steps, "\(label): steps")
        #expect(resumed.tMem == direct.tMem && resumed.tGrok == direct.tGrok, "\(label): t_mem/t_grok")
        #expect(curveBits(resumed) == curveBits(direct), "\(label): curve")
        #expect(resumed.flops.bitPattern == direct.flops.bitPattern, "\(label): FLOPs")
        #expect(
            resumed.weak?.key == direct.weak?.key && resumed.weak?.steps == direct.weak?.steps
                && resumed.weak?.finalTestAccuracy.bitPattern == direct.weak?.finalTestAccuracy.bitPattern,
            "\(label): weak run")
    }

    /// Runs a trial on a thread of its own: a few seconds of training then hold none of the
    /// test pool's threads, which other suites' tests are waiting for.
    static func run(
        _ checkpointing: TrialCheckpointing, resumingFrom state: TrialState? = nil
    ) async throws
        -> TrialCheckpointing.Completion
    {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try checkpointing.run(host: "test", resumingFrom: state) }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `config` taking a state at every step boundary and keeps those whose (stage, step)
    /// are wanted.
    static func states(of config: TrialConfig, wanted: Set<String>) async throws -> (TrialResult, [String: TrialState]) {
        let kept = Mutex<[String: TrialState]>([:])
        let checkpointing = TrialCheckpointing(config: config, every: 1e-9) { sealed, _ in
            guard let state = try? TrialState(sealed: sealed), let step = try? state.step() else { return }
            let label = "\(state.stage.name) \(step)"
            if wanted.contains(label) { kept.withLock { $0[label] = state } }
        }
        let result = try await run(checkpointing).result
        return (result, kept.withLock { $0 })
    }

    // MARK: GrokTransfer

    @Test(arguments: [false, true])
    func transferTrialContinuesFromEitherStage(transformer: Bool) async throws {
        let config = try Self.transferConfig(seed: 11, transformer: transformer)
        let direct = try await Self.run(TrialCheckpointing(config: config)).result
        let weakSteps = try #require(direct.weak?.steps)
        #expect(weakSteps >= 40, "the weak stage should run a while (it ran \(weakSteps) steps)")
        let wanted: Set = ["weak 0", "weak 33", "target 0", "target 45", "target 60", "target 97"]
        WeakModelCache.shared.removeValue(for: try #require(direct.weak?.key))
        let (checkpointed, states) = try await Self.states(of: config, wanted: wanted)
        Self.expectSame(checkpointed, as: direct, "taking states perturbed the trial")
        #expect(Set(states.keys) == wanted)
        for (label, state) in states.sorted(by: { $0.key < $1.key }) {
            // A resumed weak stage must train on, not find the weak model in this process's cache.
            WeakModelCache.shared.removeValue(for: direct.weak!.key)
            // The first state the resumed trial takes is where it resumed: nothing was recomputed.
            let first = Mutex<String?>(nil)
            let checkpointing = TrialCheckpointing(config: config) { sealed, _ in
                guard let state = try? TrialState(sealed: sealed), let step = try? state.step() else { return }
                first.withLock { if $0 == nil { $0 = "\(state.stage.name) \(step)" } }
            }
            checkpointing.requestState()
            let resumed = try await Self.run(checkpointing, resumingFrom: state).result
            Self.expectSame(resumed, as: direct, "resumed at \(label)")
            #expect(first.withLock { $0 } == label)
        }
    }

    /// A censored trial's final state under a raised budget equals a direct run to that budget,
    /// for a scratch trial (NeuralGrok) and a GrokTransfer trial past its merge.
    @Test func censoredTrialsContinueUnderARaisedBudget() async throws {
        for (short, long) in [
            (try Self.scratchConfig(budget: 100), try Self.scratchConfig(budget: 170)),
            (try Self.transferConfig(seed: 12, budget: 90), try Self.transferConfig(seed: 12, budget: 150)),
        ] {
            let direct = try await Self.run(TrialCheckpointing(config: long)).result
            let first = try await Self.run(TrialCheckpointing(config: short))
            #expect(first.result.outcome == .censored && first.result.steps == short.budget)
            let final = try #require(first.finalState)
            let raised = TrialCheckpointing(config: long)
            let state = try raised.open(final)
            #expect(try state.step() == short.budget && state.budget == short.budget)
            Self.expectSame(try await Self.run(raised, resumingFrom: state).result, as: direct, "\(long.method) raised")
        }
    }

    @Test func onlyCensoredTrialsLeaveAFinalState() async throws {
        // Memorises and "groks" (10 % test accuracy) quickly.
        var quick = try Self.scratchConfig(budget: 400, learningRate: 0.01)
        quick.thresholds.train = 0.5
        quick.thresholds.test = 0.1
        quick.thresholds.sustain = 1
        let completion = try await Self.run(TrialCheckpointing(config: quick))
        #expect(completion.result.outcome == .grokked && completion.finalState == nil)
    }

    // MARK: Refusals

    @Test func statesOfOtherTrialsBudgetsAndBuildsAreRefused() async throws {
        let config = try Self.scratchConfig(budget: 60)
        let final = try #require(try await Self.run(TrialCheckpointing(config: config)).finalState)

        let other = try Self.scratchConfig(budget: 60, learningRate: 0.002)
        #expect(throws: TrialStateMismatch.self) { try TrialCheckpointing(config: other).open(final) }
        #expect(throws: TrialStateError.pastBudget(step: 60, budget: 50)) {
            try TrialCheckpointing(config: try Self.scratchConfig(budget: 50)).open(final)
        }
        var corrupted = final
        corrupted[corrupted.count / 2] ^= 1
        #expect {
            try TrialCheckpointing(config: config).open(corrupted)
        } throws: { error in
            if case .checksumMismatch = error as? TrialStateError { return true }
            return false
        }
        let payload = try TrialStateCoder.open(final, content: TrialState.content)
        let foreign = TrialStateCoder.seal(payload, content: TrialState.content, build: "0.1.0+exe.ffffffffffffffff")
        #expect(throws: TrialStateError.otherBuild(state: "0.1.0+exe.ffffffffffffffff", running: EngineInfo.build)) {
            try TrialCheckpointing(config: config).open(foreign)
        }
        // A transfer trial's state does not restore as a scratch trial's (different key first of all).
        let transfer = try #require(
            try await Self.run(TrialCheckpointing(config: try Self.transferConfig(seed: 13, budget: 30))).finalState)
        #expect(throws: TrialStateMismatch.self) { try TrialCheckpointing(config: config).open(transfer) }
    }

    @Test func stateKeyIgnoresOnlyTheBudget() async throws {
        #expect(try Self.scratchConfig(budget: 100).stateKey == Self.scratchConfig(budget: 5000).stateKey)
        #expect(try Self.scratchConfig(budget: 100).id != Self.scratchConfig(budget: 5000).id)
        #expect(try Self.scratchConfig(budget: 100).stateKey != Self.scratchConfig(budget: 100, learningRate: 0.002).stateKey)
    }
}
