import Protocol

/// The compact per-trial listing under the cell table, for runs small enough to read it:
/// one line per trial in sweep order (cell, seed, outcome, t_mem, t_grok, seconds), and the
/// error of each failed trial.
struct TrialListing {
    var report: SweepReport
    var width = 100

    private var state: JournalState { report.state }

    func lines() -> [String] {
        var rows = [["trial", "cell", "seed", "outcome", "t_mem", "t_grok", "sec"]]
        for trial in state.trials {
            let result = state.results[trial.id]
            rows.append([
                String(trial.id.prefix(8)), label(trial), String(trial.seed), outcome(trial),
                result?.tMem.map(String.init) ?? ReportFormat.missing,
                result?.tGrok.map(String.init) ?? ReportFormat.missing,
                ReportFormat.seconds(result?.seconds),
            ])
        }
        var widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let others = widths.reduce(0, +) - widths[1] + 2 * (widths.count - 1)
        widths[1] = max(8, min(widths[1], width - others))
        var lines = rows.map { row in
            row.enumerated().map { column, text in
                let cut = text.count > widths[column] ? String(text.prefix(widths[column] - 1)) + "…" : text
                let padding = String(repeating: " ", count: widths[column] - cut.count)
                return column >= 4 ? padding + cut : cut + padding
            }.joined(separator: "  ")
        }
        for trial in state.trials {
            guard let error = state.results[trial.id]?.error ?? failedError(trial) else { continue }
            lines.append("failed \(trial.id.prefix(8)) seed \(trial.seed): \(error)")
        }
        return lines
    }

    // MARK: Fields

    private func outcome(_ trial: ExpandedTrial) -> String {
        if let result = state.results[trial.id] { return result.outcome.rawValue }
        switch state.state(of: trial.id) {
        case .failed?: return "gave up"
        case .running?: return "running"
        default: return "queued"
        }
    }

    private func failedError(_ trial: ExpandedTrial) -> String? {
        state.state(of: trial.id) == .failed ? state.progress[trial.id]?.lastError : nil
    }

    private func label(_ trial: ExpandedTrial) -> String {
        report.entry(for: trial.cellKey)?.cell.shortLabelText ?? trial.cellDescription
    }
}
