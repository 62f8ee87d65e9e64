import Engine
import Foundation
import Protocol
import Synchronization
import TrialSchema

/// Runs one trial — from scratch, or continued from a saved `TrialState` — and hands out its
/// complete state as sealed `Data` while it trains: every `interval` seconds, whenever
/// `requestState()` was called (from any thread, e.g. on SIGTERM), and at the end of a run
/// censored by its budget (the state a raised budget continues from).
///
/// States are taken at step boundaries and only read the run, so a trial gives the same curve
/// whether or not it was checkpointed; a trial continued from a state gives, bit for bit, the
/// curve, t_mem and t_grok of the uninterrupted trial (same build and compute-thread count),
/// and a censored trial continued under a raised budget those of a direct run to that budget.
/// GrokTransfer's two stages are covered: a state taken in the weak stage continues the weak
/// run, one taken in the target stage carries the weak run's summary.
///
/// `requestStop(sendState:)` (any thread: a `cancel`, SIGTERM) ends the run at the next step
/// boundary of the target stage — handing out the state there first when asked — and `run`
/// throws `TrialStopped`. The weak stage of GrokTransfer (seconds long) runs to its end first.
final class TrialCheckpointing: Sendable {
    /// How a trial ended, and the state to continue it from when its budget ran out.
    struct Completion: Sendable {
        var result: TrialResult
        /// Set when the trial was censored: continuing it under a larger budget equals a direct
        /// run to that budget. Nil after success or divergence (nothing to continue).
        var finalState: Data?
    }

    let config: TrialConfig
    /// Seconds between periodic states; nil for none.
    let interval: Double?
    /// Receives each state and the target-stage step it continues from (0 in the weak stage).
    private let onState: @Sendable (_ state: Data, _ step: Int) -> Void
    /// Delays each stage's first periodic state by this fraction of `interval`, so trials that
    /// start together do not all send their states at once.
    let stagger: Double
    private let requested = Mutex(false)
    private let stop = Mutex(false)
    private let clock = ContinuousClock()
    private let lastState: Mutex<ContinuousClock.Instant>

    init(
        config: TrialConfig, every interval: Double? = nil, stagger: Double = 0,
        onState: @escaping @Sendable (_ state: Data, _ step: Int) -> Void = { _, _ in }
    ) {
        precondition(interval.map { $0 > 0 } ?? true, "a state interval must be positive")
        self.config = config
        self.interval = interval
        self.stagger = max(0, stagger)
        self.onState = onState
        lastState = Mutex(clock.now)
    }

    /// Asks for a state at the next step boundary (thread-safe).
    func requestState() { requested.withLock { $0 = true } }

    /// Asks the run to stop at the next step boundary of the target stage, after handing out
    /// its state there when `sendState` (thread-safe).
    func requestStop(sendState: Bool) {
        // The state first: a boundary that sees the stop also sees the request for the state.
        if sendState { requestState() }
        stop.withLock { $0 = true }
    }

    private var stopRequested: Bool { stop.withLock { $0 } }

    // MARK: Checking a saved state

    /// Opens `data` as a state of this trial: envelope checks (build, threads, checksum), then
    /// the trial key. The runner checks the rest (plan, data, shapes, budget) as it restores.
    func open(_ data: Data, anyThreadCount: Bool = false) throws -> TrialState {
        let state = try TrialState(sealed: data, anyThreadCount: anyThreadCount)
        guard state.trialKey == config.stateKey else {
            throw TrialStateMismatch(stateKey: state.trialKey, configKey: config.stateKey)
        }
        if try state.step() > config.budget {
            throw TrialStateError.pastBudget(step: try state.step(), budget: config.budget)
        }
        return state
    }

    // MARK: Running

    /// Runs the trial, or continues it from `saved` (see `open`). Throws for a config the
    /// engine cannot run, one too large for this machine's memory (checked before anything is
    /// allocated, on every path: the worker service and `grok-worker trial`) or a state that
    /// does not fit, and `TrialStopped` when asked to stop; training itself does not throw.
    func run(
        host: String, resumingFrom saved: TrialState? = nil,
        onEvaluation: (CurvePoint) -> Void = { _ in },
        onWeakEvaluation: (CurvePoint) -> Void = { _ in }
    ) throws -> Completion {
        try TrialExecution.checkMemory(config)
        let data = try EnginePlan.data(for: config)
        switch config.method {
        case .scratch:
            let plan = try EnginePlan.targetPlan(for: config, data: data)
            let runner: TrialRunner
            if case .target(.none, let payload)? = saved?.stage {
                runner = try TrialRunner(plan: plan, data: data, restoringPayload: payload)
            } else {
                try expectFresh(saved, stage: "training")
                runner = TrialRunner(plan: plan, data: data)
            }
            return finish(runner, weak: nil, outcome: try train(runner, weak: nil, onEvaluation: onEvaluation), host: host)
        case .grokTransfer(let weakStage, let transfer):
            let (target, weak) = try withoutActuallyEscaping(onWeakEvaluation) { onWeakEvaluation in
                try transferTarget(
                    weakStage: weakStage, transfer: transfer, data: data, saved: saved,
                    onWeakEvaluation: onWeakEvaluation)
            }
            return finish(target, weak: weak, outcome: try train(target, weak: weak, onEvaluation: onEvaluation), host: host)
        }
    }

    /// GrokTransfer's target runner: restored in the target stage, or built after the weak
    /// stage (itself continued from a weak-stage state, or trained, or taken from the cache).
    private func transferTarget(
        weakStage: WeakStage, transfer: Transfer, data: DataSplit, saved: TrialState?,
        onWeakEvaluation: @escaping (CurvePoint) -> Void
    ) throws -> (TrialRunner, TrialState.WeakStage) {
        if case .target(let weak?, let payload)? = saved?.stage {
            let targetPlan = try GrokTransfer.targetPlan(for: config, transfer: transfer, data: data, rank: weak.targetRank)
            let shell = TrialRunner.freshModel(plan: targetPlan, capacity: TrialRunner.workspaceCapacity(plan: targetPlan, data: data))
            return (try TrialRunner(plan: targetPlan, data: data, model: shell, restoringPayload: payload), weak)
        }
        var resumedWeak: TrialRunner?
        if case .weak(let payload)? = saved?.stage {
            let weakPlan = EnginePlan.weakPlan(for: config, weak: weakStage, data: data)
            resumedWeak = try TrialRunner(plan: weakPlan, data: data, restoringPayload: payload)
        } else {
            try expectFresh(saved, stage: "target")
        }
        let weak = GrokTransfer.weakModel(for: config, weak: weakStage, data: data) { weakPlan in
            let runner =
                resumedWeak
                ?? {
                    guard case .mlp(let shape) = weakPlan.model else { preconditionFailure("weak models are MLPs") }
                    return TrialRunner(
                        plan: weakPlan, data: data,
                        model: TrialRunner.freshMLP(
                            shape, plan: weakPlan,
                            capacity: TrialRunner.workspaceCapacity(plan: weakPlan, data: data)))
                }()
            return (runner, self.train(runner, stage: { .weak(runner: $0.statePayload()) }, onEvaluation: onWeakEvaluation))
        }
        let target = try GrokTransfer.target(for: config, transfer: transfer, data: data, weak: weak.model)
        let targetRank: Int? =
            switch target.plan.model {
            case .mlp(let shape): shape.embeddingRank
            case .transformer(let shape): shape.embeddingRank
            }
        let record = TrialState.WeakStage(summary: weak.summary, targetRank: targetRank)
        return (TrialRunner(plan: target.plan, data: data, model: target.model), record)
    }

    private func expectFresh(_ saved: TrialState?, stage: String) throws {
        guard let saved else { return }
        throw TrialStateError.shapeMismatch(
            what: "trial stage", expected: "a state of a \(config.method.caseName) trial",
            found: "a \(saved.stage.name)-stage state")
    }

    // MARK: States

    /// The target stage's run (or the only one), with states taken as due.
    private func train(
        _ runner: TrialRunner, weak: TrialState.WeakStage?,
        onEvaluation: (CurvePoint) -> Void
    ) throws -> TrainingOutcome {
        startStage()
        let end = runner.run(
            until: { stopRequested }, onEvaluation: onEvaluation,
            onStepBoundary: { step in
                saveIfDue(.target(weak: weak, runner: runner.statePayload()), step: step)
            })
        switch end {
        case .finished(let outcome): return outcome
        case .stopped(let step): throw TrialStopped(step: step)
        }
    }

    /// GrokTransfer's weak stage: runs to its end (it takes seconds), with states as due.
    private func train(
        _ runner: TrialRunner, stage: (TrialRunner) -> TrialState.Stage,
        onEvaluation: (CurvePoint) -> Void
    ) -> TrainingOutcome {
        startStage()
        return runner.run(onEvaluation: onEvaluation, onStepBoundary: { _ in saveIfDue(stage(runner), step: 0) })
    }

    /// The interval counts training time: a stage's first state comes `interval` (plus the
    /// stagger) after it starts.
    private func startStage() {
        let delay = (interval ?? 0) * stagger
        lastState.withLock { $0 = clock.now + .milliseconds(Int(delay * 1000)) }
    }

    private func saveIfDue(_ stage: @autoclosure () -> TrialState.Stage, step: Int) {
        guard stateDue() else { return }
        onState(TrialState(trialKey: config.stateKey, budget: config.budget, stage: stage()).sealed(), step)
    }

    /// Whether a state is due now (requested, or the interval has passed); resets both.
    private func stateDue() -> Bool {
        let now = clock.now
        let asked = requested.withLock { value in
            defer { value = false }
            return value
        }
        let timely = interval.map { seconds in lastState.withLock { now - $0 >= .seconds(seconds) } } ?? false
        guard asked || timely else { return false }
        lastState.withLock { $0 = now }
        return true
    }

    private func finish(
        _ runner: TrialRunner, weak: TrialState.WeakStage?, outcome: TrainingOutcome,
        host: String
    ) -> Completion {
        var result = TrialExecution.result(id: config.id, outcome: outcome, host: host)
        if let weak {
            result.seconds += weak.summary.seconds
            result.flops += weak.summary.flops
            result.weak = weak.summary
        }
        var finalState: Data?
        if outcome.status == .censored, runner.canCaptureState {
            let stage = TrialState.Stage.target(weak: weak, runner: runner.statePayload())
            finalState = TrialState(trialKey: config.stateKey, budget: config.budget, stage: stage).sealed()
        }
        return Completion(result: result, finalState: finalState)
    }
}

/// The run stopped on request (`requestStop`) before taking `step`.
struct TrialStopped: Error, CustomStringConvertible {
    let step: Int
    var description: String { "stopped on request before step \(step)" }
}
