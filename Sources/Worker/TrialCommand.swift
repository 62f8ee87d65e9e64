import ArgumentParser
import Engine
import Foundation
import Protocol
import TrialSchema

/// `grok-worker trial CONFIG.json`: runs one trial locally — the way to debug one config.
struct TrialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trial",
        abstract: "Run one trial from a config file and print its curve summary.",
        discussion: """
            With --save-state the trial's complete state (model, optimiser, amplifier, data order, \
            curve) is written every --state-every seconds and, when the budget runs out, at the end. \
            --resume continues such a state bit for bit: the same config (with the same or a larger \
            budget), build and --threads as when it was saved.
            """
    )

    @Argument(help: "Trial config JSON (missing keys take the canonical defaults).")
    var config: String

    @Option(help: "Write the eval curve as JSON lines to this file.")
    var curve: String?

    @Option(help: "Write the full result (summary and curve) as JSON to this file.")
    var result: String?

    @Option(help: "Compute threads: matrix products and the engine's loops.")
    var threads: Int = 1

    @Flag(help: "Print only the summary.")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "Save the trial's complete state to this file (atomically replaced) every --state-every seconds, and at the end of a run censored by its budget.",
            valueName: "path"))
    var saveState: String?

    @Option(help: ArgumentHelp("Seconds between saved states (default 60).", valueName: "seconds"))
    var stateEvery: Double?

    @Option(
        help: ArgumentHelp(
            "Continue from a state saved by --save-state: same config (the budget may be larger), same build and --threads.",
            valueName: "state"))
    var resume: String?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let stateEvery {
            guard saveState != nil else { throw ValidationError("--state-every needs --save-state") }
            guard stateEvery > 0, stateEvery.isFinite else { throw ValidationError("--state-every must be a positive number of seconds") }
        }
    }

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
            UserMistake.fail("cannot read \(config): \(error.localizedDescription)")
        }
        let trial: TrialConfig
        do { trial = try TrialConfig(text: text, file: config) } catch let error as ConfigError {
            UserMistake.fail(error.description)
        }
        BLAS.threads = threads
        let progress = ProgressPrinter(budget: trial.budget, enabled: !quiet)
        let outcome = try runTrial(trial) { progress.show($0) }
        progress.finish()
        if let curve { try writeCurve(outcome.curve, to: curve) }
        if let result { try (outcome.json.canonicalText + "\n").write(toFile: result, atomically: true, encoding: .utf8) }
        print(Summary.text(of: outcome, config: trial))
        if outcome.outcome == .failed { throw ExitCode(2) }
    }

    /// Runs the trial with the state options: resumes from `--resume` (refusing a state of
    /// another trial, build or thread count with a one-line reason) and saves to `--save-state`.
    private func runTrial(_ trial: TrialConfig, onEvaluation: (CurvePoint) -> Void) throws -> TrialResult {
        let target = saveState
        let checkpointing = TrialCheckpointing(config: trial, every: target == nil ? nil : stateEvery ?? 60) { state, _ in
            guard let target else { return }
            do { try StateFile.write(state, to: target) } catch {
                FileHandle.standardError.write(
                    Data("warning: cannot save the trial state to \(target): \(error.localizedDescription)\n".utf8))
            }
        }
        var saved: TrialState?
        if let resume {
            do {
                saved = try checkpointing.open(try Data(contentsOf: URL(fileURLWithPath: resume)))
            } catch {
                UserMistake.fail("cannot resume from \(resume): \(error)")
            }
            if !quiet, let saved {
                note("resuming trial \(trial.id) at step \((try? saved.step()) ?? 0) (\(saved.stage.name) stage) from \(resume)")
            }
        }
        let completion: TrialCheckpointing.Completion
        do {
            completion = try checkpointing.run(host: TrialExecution.hostName, resumingFrom: saved, onEvaluation: onEvaluation)
        } catch let error where resume != nil && (error is TrialStateError || error is TrialStateMismatch) {
            // The runner's own checks (plan, data split, shapes) found the state does not fit.
            UserMistake.fail("cannot resume from \(resume!): \(error)")
        } catch {
            return TrialExecution.failure(trial, host: TrialExecution.hostName, error: error)
        }
        guard let target else { return completion.result }
        if let state = completion.finalState {
            try StateFile.write(state, to: target)
            if !quiet {
                note("final state at step \(completion.result.steps) saved to \(target) (continue it under a larger budget with --resume)")
            }
        } else if !quiet {
            note(
                "the trial \(completion.result.outcome.rawValue): no final state to continue (\(target) keeps the last periodic one, if any)"
            )
        }
        return completion.result
    }

    private func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    private func writeCurve(_ points: [CurvePoint], to path: String) throws {
        let lines = points.map { point -> String in
            var members: [String: JSONValue] = [
                "step": .number(Double(point.step)),
                "trainLoss": .finite(point.trainLoss),
                "trainAccuracy": .finite(point.trainAccuracy),
                "testLoss": .finite(point.testLoss),
                "testAccuracy": .finite(point.testAccuracy),
            ]
            if let diagnostics = point.diagnostics {
                members["weightNorm"] = .finite(diagnostics.weightNorm)
                members["gradientNorm"] = .finite(diagnostics.gradientNorm)
                members["gradientEntropy"] = .finite(diagnostics.gradientEntropy)
            }
            return JSONValue.object(members).canonicalText
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// Rewrites one status line on stderr at most a few times per second.
final class ProgressPrinter {
    private let budget: Int
    private let enabled: Bool
    private var lastPrint = Date.distantPast

    init(budget: Int, enabled: Bool) {
        self.budget = budget
        self.enabled = enabled
    }

    func show(_ point: CurvePoint) {
        guard enabled, Date().timeIntervalSince(lastPrint) > 0.25 else { return }
        lastPrint = Date()
        let line = String(
            format: "step %6d/%d  train loss %.4f acc %5.1f%%  test loss %.4f acc %5.1f%%",
            point.step, budget, point.trainLoss, 100 * point.trainAccuracy,
            point.testLoss, 100 * point.testAccuracy)
        FileHandle.standardError.write(Data(("\r" + line).utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The end-of-trial summary block.
enum Summary {
    static func text(of result: TrialResult, config: TrialConfig) -> String {
        func step(_ value: Int?) -> String { value.map(String.init) ?? "—" }
        let last = result.curve.last
        var lines = [
            "trial    \(result.trialId)  seed \(config.seed)",
            "outcome  \(result.outcome.rawValue)",
            "t_mem    \(step(result.tMem))   (train acc ≥ \(config.thresholds.train) for \(config.thresholds.sustain) evals)",
            "t_grok   \(step(result.tGrok))   (test acc ≥ \(config.thresholds.test) for \(config.thresholds.sustain) evals)",
            "delay    \(step(result.delay))",
            // No `%@` here: Foundation on Linux crashes formatting a Swift String with it.
            String(
                format: "steps    %d in %.2f s (%.1f steps/s, %.1f ms/step, ", result.steps,
                result.seconds, result.stepsPerSecond, result.steps > 0 ? 1000 * result.seconds / Double(result.steps) : 0)
                + "\(result.blasThreads) compute thread\(result.blasThreads == 1 ? "" : "s"))",
            String(format: "flops    %.3g (dense-equivalent)", result.flops),
        ]
        if let last {
            lines.append(
                String(
                    format: "final    train acc %.4f  test acc %.4f  (step %d)",
                    last.trainAccuracy, last.testAccuracy, last.step))
        }
        if let error = result.error { lines.append("error    \(error)") }
        return lines.joined(separator: "\n")
    }
}

/// Trial-state files of `grok-worker trial`.
enum StateFile {
    /// Replaces `path` atomically (write beside it, then rename).
    static func write(_ state: Data, to path: String) throws {
        try state.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
