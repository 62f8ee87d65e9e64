import Foundation
import Protocol

/// `trials.csv`: one row per trial of the run, for pandas and spreadsheets.
///
/// Columns: `trial` (id), `cell` (cell key), one column per grid axis (its dotted path), `seed`,
/// `state` (finished / failed / queued / running), `outcome` (grokked, censored, diverged,
/// failed; empty without a result), `t_mem`, `t_grok`, `delay` (steps; empty when undefined),
/// `steps`, `seconds`, `flops`, `steps_per_second`, `final_train_acc`, `final_test_acc`,
/// `blas_threads`, `host`, `build` (the worker binary's), `error`, `budget` (the trial's step budget: a censored trial's
/// t_grok is beyond it), `attempts` (worker attempts assigned), `recomputed_steps` (steps run
/// again because an attempt failed after its latest saved state).
enum TrialsCSV {
    static func render(state: JournalState) -> String {
        let axes = state.sweep?.axisPaths ?? []
        var lines = [
            (["trial", "cell"] + axes + [
                "seed", "state", "outcome", "t_mem", "t_grok", "delay", "steps", "seconds",
                "flops", "steps_per_second", "final_train_acc", "final_test_acc",
                "blas_threads", "host", "build", "error", "budget", "attempts",
                "recomputed_steps",
            ]).map(escape).joined(separator: ",")
        ]
        for trial in state.trials {
            let result = state.results[trial.id]
            let progress = state.progress[trial.id]
            let stateText: String =
                switch progress?.state {
                case .finished?: "finished"
                case .failed?: "failed"
                case .running?: "running"
                case .queued?, nil: "queued"
                }
            let labels = axes.map { path in trial.cellLabel.first { $0.path == path }?.text ?? "" }
            let last = result?.curve.last
            var fields = [trial.id, trial.cellKey] + labels + [String(trial.seed), stateText]
            fields += [
                result?.outcome.rawValue ?? "", text(result?.tMem), text(result?.tGrok), text(result?.delay),
                text(result?.steps), number(result?.seconds), number(result?.flops),
                number(result.map(\.stepsPerSecond)), number(last?.trainAccuracy), number(last?.testAccuracy),
                text(result?.blasThreads), result?.host ?? "", result?.build ?? "", result?.error ?? progress?.lastError ?? "",
                String(trial.config.budget), String(progress?.attempts ?? 0),
                String(progress?.recomputedSteps ?? 0),
            ]
            lines.append(fields.map(escape).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func write(state: JournalState, runDirectory: String) throws -> String {
        let path = (runDirectory as NSString).appendingPathComponent("trials.csv")
        try render(state: state).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func text(_ value: Int?) -> String { value.map(String.init) ?? "" }
    private static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "" }
        return JSONValue.format(value)
    }

    /// RFC 4180 quoting for fields with commas, quotes or newlines.
    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
