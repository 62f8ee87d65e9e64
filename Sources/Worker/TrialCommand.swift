import ArgumentParser
import Engine
import Foundation
import Protocol
import TrialSchema

/// `grok-worker trial CONFIG.json`: runs one trial locally — the way to debug one config.
struct TrialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trial",
        abstract: "Run one trial from a config file and print its curve summary."
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

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
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
        let outcome = TrialExecution.run(trial, host: TrialExecution.hostName) { progress.show($0) }
        progress.finish()
        if let curve { try writeCurve(outcome.curve, to: curve) }
        if let result { try (outcome.json.canonicalText + "\n").write(toFile: result, atomically: true, encoding: .utf8) }
        print(Summary.text(of: outcome, config: trial))
        if outcome.outcome == .failed { throw ExitCode(2) }
    }

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
        let line = String(format: "step %6d/%d  train loss %.4f acc %5.1f%%  test loss %.4f acc %5.1f%%",
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
            String(format: "steps    %d in %.2f s (%.1f steps/s, %.1f ms/step, ", result.steps,
                   result.seconds, result.stepsPerSecond, result.steps > 0 ? 1000 * result.seconds / Double(result.steps) : 0)
                + "\(result.blasThreads) compute thread\(result.blasThreads == 1 ? "" : "s"))",
            String(format: "flops    %.3g (dense-equivalent)", result.flops),
        ]
        if let last {
            lines.append(String(format: "final    train acc %.4f  test acc %.4f  (step %d)",
                                last.trainAccuracy, last.testAccuracy, last.step))
        }
        if let error = result.error { lines.append("error    \(error)") }
        return lines.joined(separator: "\n")
    }
}
