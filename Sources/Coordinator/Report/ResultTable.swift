import Foundation
import Protocol

/// The per-trial table printed at the end of a sweep: cell, seed, outcome and time-to-grok
/// figures, fitted to `width` columns (cell labels are cut first).
struct ResultTable {
    var state: JournalState
    var width = 100

    func render() -> String {
        let header = ["trial", "cell", "seed", "outcome", "t_mem", "t_grok", "delay", "sec"]
        var rows: [[String]] = []
        for trial in state.trials {
            let result = state.results[trial.id]
            let outcome = result?.outcome.rawValue ?? (state.state(of: trial.id) == .failed ? "failed" : "—")
            rows.append([String(trial.id.prefix(8)), trial.cellLabel.map { "\($0.path.split(separator: ".").last!)=\($0.text)" }
                            .joined(separator: " "),
                         String(trial.seed), outcome, text(result?.tMem), text(result?.tGrok), text(result?.delay),
                         result.map { String(format: "%.1f", $0.seconds) } ?? "—"])
        }
        var widths = header.indices.map { column in ([header[column]] + rows.map { $0[column] }).map(\.count).max()! }
        let total = { widths.reduce(0, +) + 2 * (widths.count - 1) }
        while total() > width, widths[1] > 8 { widths[1] -= 1 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { column, pair in
                let (cell, columnWidth) = pair
                let text = cell.count > columnWidth ? String(cell.prefix(columnWidth - 1)) + "…" : cell
                let padding = String(repeating: " ", count: columnWidth - text.count)
                return column >= 4 ? padding + text : text + padding
            }.joined(separator: "  ")
        }
        var lines = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(line)
        let outcomes = Dictionary(grouping: state.results.values, by: \.outcome).mapValues(\.count)
        let counts = TrialOutcome.allCases.compactMap { outcome in outcomes[outcome].map { "\($0) \(outcome.rawValue)" } }
        lines.append("\(state.trialIds.count) trials: " + (counts + (state.failed.isEmpty ? [] : ["\(state.failed.count) gave up"]))
            .joined(separator: ", "))
        return lines.joined(separator: "\n") + "\n"
    }

    private func text(_ value: Int?) -> String { value.map(String.init) ?? "—" }
}
