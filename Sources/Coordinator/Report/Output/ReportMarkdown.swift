import Foundation
import Protocol

/// `report.md`: the run's status, the full cell table (best first; censored cells marked), the
/// baseline, the statistical definitions, and the trials that failed.
enum ReportMarkdown {
    static func render(report: SweepReport) -> String {
        var lines = ["# Sweep report: \(report.name)", ""]
        if let description = report.state.sweep?.description, !description.isEmpty { lines += [description, ""] }
        let status = report.isPartial ? "**PARTIAL** — " + report.progressText : report.statusText
        lines += ["Status: \(status).", "", "Outcomes: \(outcomeCounts(report.state)).", ""]
        if let recovery = recovery(report.state) { lines += [recovery, ""] }
        lines += ["## Cells, best first", ""]
        lines += table(CellColumns.columns(for: report, full: true))
        lines += [""] + CellColumns.legend(for: report).map { "- " + $0 } + [""]
        if report.hasBaseline { lines += baselineSection(report) }
        lines += definitions
        lines += failures(report)
        return lines.joined(separator: "\n") + "\n"
    }

    static func write(report: SweepReport, runDirectory: String) throws -> String {
        let path = (runDirectory as NSString).appendingPathComponent("report.md")
        try render(report: report).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Sections

    static func outcomeCounts(_ state: JournalState) -> String {
        let counts = Dictionary(grouping: state.results.values, by: \.outcome).mapValues(\.count)
        var parts = TrialOutcome.allCases.compactMap { outcome in counts[outcome].map { "\($0) \(outcome.rawValue)" } }
        if !state.failed.isEmpty { parts.append("\(state.failed.count) gave up") }
        if !state.inFlight.isEmpty { parts.append("\(state.inFlight.count) running") }
        if !state.queued.isEmpty { parts.append("\(state.queued.count) queued") }
        return "\(state.trials.count) trials: " + (parts.isEmpty ? "none run yet" : parts.joined(separator: ", "))
    }

    /// How much failures cost: trials that ran again and the steps they recomputed beyond
    /// their latest saved state (nil when no trial ran twice).
    static func recovery(_ state: JournalState) -> String? {
        let rerun = state.trials.compactMap { state.progress[$0.id] }.filter { $0.attempts > 1 }
        guard !rerun.isEmpty else { return nil }
        let recomputed = rerun.map(\.recomputedSteps)
        let trials = rerun.count == 1 ? "1 trial" : "\(rerun.count) trials"
        return "Recovery: \(trials) ran more than once; \(recomputed.reduce(0, +)) steps were recomputed after failures "
            + "(at most \(recomputed.max() ?? 0) for one trial; per trial in trials.csv, `recomputed_steps`)."
    }

    private static func baselineSection(_ report: SweepReport) -> [String] {
        let label = report.state.sweep?.baselineLabel.map { "`\($0.path)=\($0.text)`" }.joined(separator: ", ") ?? ""
        let count = report.entries.filter(\.isBaseline).count
        return [
            "## Baseline", "",
            "The sweep declares the baseline \(label) (\(count) baseline cell\(count == 1 ? "" : "s")); how other "
                + "cells are matched to one is under Definitions.", "",
        ]
    }

    private static var definitions: [String] {
        ["## Definitions", ""] + ReportDefinitions.all.map { "- *\($0.term)*: \($0.text)" } + [""]
    }

    private static func failures(_ report: SweepReport) -> [String] {
        let state = report.state
        var lines: [String] = []
        for trial in state.trials {
            let error =
                state.results[trial.id].flatMap { $0.outcome == .failed ? ($0.error ?? "failed") : nil }
                ?? (state.state(of: trial.id) == .failed ? state.progress[trial.id]?.lastError ?? "gave up" : nil)
            guard let error else { continue }
            lines.append(
                "| \(trial.id.prefix(12)) | \(escape(report.entry(for: trial.cellKey)?.cell.labelText ?? trial.cellDescription)) | \(trial.seed) | \(escape(error)) |"
            )
        }
        guard !lines.isEmpty else { return [] }
        return ["## Failed trials", "", "| trial | cell | seed | error |", "|---|---|---:|---|"] + lines + [""]
    }

    // MARK: Tables

    static func table(_ columns: [CellColumn]) -> [String] {
        let header = "| " + columns.map { escape($0.header) }.joined(separator: " | ") + " |"
        let rule = "|" + columns.map { $0.rightAligned ? "---:|" : "---|" }.joined()
        let count = columns.first?.values.count ?? 0
        let rows = (0..<count).map { row in "| " + columns.map { escape($0.values[row]) }.joined(separator: " | ") + " |" }
        return [header, rule] + rows
    }

    /// A pipe would end the cell; a newline would end the table.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
