import Foundation
import Protocol
import TrialSchema

/// `curves.csv`: every evaluation point of every trial as one long table, for pandas.
///
/// Columns: `trial` (id), `cell` (cell key), `label` (the cell's short label), one column per
/// grid axis (its dotted path), `seed`, `status` (`finished`, or `running` for a curve so far),
/// `outcome` (empty while running), `step`, `train_loss`, `train_acc`, `test_loss`, `test_acc`,
/// and `weight_norm`, `gradient_norm`, `gradient_entropy` (empty unless diagnostics were asked).
/// Non-finite values (a diverged loss) are written as `nan`, which pandas reads as NaN.
enum CurvesCSV {
    static let fileName = "curves.csv"

    static func render(state: JournalState, partialCurves: PartialCurves) -> String {
        let axes = state.sweep?.axisPaths ?? []
        let facts = TrialFacts.of(state.trials)
        let header =
            ["trial", "cell", "label"] + axes + [
                "seed", "status", "outcome", "step", "train_loss", "train_acc",
                "test_loss", "test_acc", "weight_norm", "gradient_norm", "gradient_entropy",
            ]
        var lines = [header.map(TrialsCSV.escape).joined(separator: ",")]
        for trial in state.trials {
            let result = state.results[trial.id]
            let curve: [CurvePoint]
            let status: String
            if let result {
                (curve, status) = (result.curve, "finished")
            } else if case .running? = state.state(of: trial.id) {
                (curve, status) = (partialCurves.read(trial.id), "running")
            } else {
                continue
            }
            let prefix =
                ([trial.id, trial.cellKey, facts[trial.id]?.label ?? ""]
                + axes.map { path in trial.cellLabel.first { $0.path == path }?.text ?? "" }
                + [String(trial.seed), status, result?.outcome.rawValue ?? ""]).map(TrialsCSV.escape).joined(separator: ",")
            for point in curve {
                let numbers =
                    [point.trainLoss, point.trainAccuracy, point.testLoss, point.testAccuracy]
                    + (point.diagnostics.map { [$0.weightNorm, $0.gradientNorm, $0.gradientEntropy] } ?? [])
                var fields = [String(point.step)] + numbers.map(number)
                if point.diagnostics == nil { fields += ["", "", ""] }
                lines.append(prefix + "," + fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func number(_ value: Double) -> String { value.isFinite ? JSONValue.format(value) : "nan" }
}
