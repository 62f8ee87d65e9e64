import Foundation
import Protocol

/// `cells.csv`: one row per grid cell, ranked best first, for pandas and spreadsheets.
///
/// Columns: `rank`, `cell` (cell key), `label` (every labelled axis, `path=value …`), one column
/// per grid axis (its dotted path; a cell that does not vary an axis shows its config value), `is_baseline`,
/// `baseline_cell` (the matched baseline's key), `seeds` (planned), `n` (observed: grokked +
/// censored + diverged), `grokked`, `censored`, `diverged`, `failed`, `pending`, `budget`,
/// `estimator` (sample | kaplan-meier), `t_grok_median`, `t_grok_q1`, `t_grok_q3`,
/// `t_grok_ci_low`, `t_grok_ci_high` (steps; `inf` = beyond the budget, empty = no data),
/// `t_mem_median`, `delay_median`, `seconds_median`, `steps_per_second_median`, then for the
/// paired speedup over the baseline (baseline / cell, geometric mean over seeds where both
/// grokked): `speedup`, `speedup_ci_low`, `speedup_ci_high`, and when no seed pair is exact the
/// bounds `speedup_at_least` (only the cell grokked) and `speedup_at_most` (only the baseline
/// grokked); the same five with `speedup_seconds` and `speedup_flops`; then the pair counts
/// `pairs_exact` (both grokked), `pairs_lower_bound`, `pairs_upper_bound`, `pairs_neither`.
enum CellsCSV {
    static func render(report: SweepReport) -> String {
        var header = ["rank", "cell", "label"] + report.axisPaths
        header += [
            "is_baseline", "baseline_cell", "seeds", "n", "grokked", "censored", "diverged", "failed", "pending",
            "budget", "estimator", "t_grok_median", "t_grok_q1", "t_grok_q3", "t_grok_ci_low", "t_grok_ci_high",
            "t_mem_median", "delay_median", "seconds_median", "steps_per_second_median",
        ]
        for prefix in ["speedup", "speedup_seconds", "speedup_flops"] {
            header += [prefix, prefix + "_ci_low", prefix + "_ci_high", prefix + "_at_least", prefix + "_at_most"]
        }
        header += ["pairs_exact", "pairs_lower_bound", "pairs_upper_bound", "pairs_neither"]
        var lines = [header.map(TrialsCSV.escape).joined(separator: ",")]
        for (rank, entry) in report.entries.enumerated() {
            lines.append(row(entry, rank: rank + 1, axes: report.axisPaths).map(TrialsCSV.escape).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func row(_ entry: SweepReport.Entry, rank: Int, axes: [String]) -> [String] {
        let cell = entry.cell
        let time = cell.timeToGrok
        let observed = cell.observed > 0
        var fields = [String(rank), cell.key, cell.fullLabelText]
        fields += axes.map { BaselineMatching.value(of: cell, at: $0)?.labelText ?? "" }
        fields += [
            entry.isBaseline ? "true" : "false", entry.baselineKey ?? "", String(cell.trials.count),
            String(cell.observed), String(cell.grokked), String(cell.censored), String(cell.diverged),
            String(cell.failed), String(cell.pending), String(cell.budget), observed ? time.estimator.rawValue : "",
        ]
        fields += [time.median, time.lowerQuartile, time.upperQuartile].map { observed ? step($0 ?? .infinity) : "" }
        fields += [time.confidence?.lower, time.confidence?.upper].map { $0.map(step) ?? "" }
        fields += [cell.medianMemorisation, cell.medianDelay, cell.medianSeconds, cell.medianStepsPerSecond].map(number)
        let speedup = entry.speedup
        for measure in [speedup?.steps, speedup?.seconds, speedup?.flops] {
            let estimate = measure?.estimate
            fields += [
                number(estimate?.geometricMean), number(estimate?.confidence?.lower), number(estimate?.confidence?.upper),
                number(measure?.atLeast), number(measure?.atMost),
            ]
        }
        fields += [speedup?.exact, speedup?.lowerBound, speedup?.upperBound, speedup?.neither].map { $0.map(String.init) ?? "" }
        return fields
    }

    // MARK: Numbers

    /// Steps: `inf` beyond the budget (pandas reads it as a float infinity).
    private static func step(_ value: Double) -> String { value.isFinite ? JSONValue.format(value) : "inf" }

    private static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "" }
        return JSONValue.format((value * 1e6).rounded() / 1e6)
    }

    static func write(report: SweepReport, runDirectory: String) throws -> String {
        let path = (runDirectory as NSString).appendingPathComponent("cells.csv")
        try render(report: report).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
