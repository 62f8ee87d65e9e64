/// One column of the cell table: a header, one text per ranked cell, and how it may be dropped.
struct CellColumn: Sendable {
    var header: String
    var values: [String]
    var rightAligned = true
    /// When a terminal is too narrow, columns are dropped lowest number first; nil never.
    var dropPriority: Int?
}

/// The columns of the cell table, shared by the terminal table and `report.md` so both show the
/// same figures under the same names. `full` adds the columns only files have room for.
enum CellColumns {
    static func columns(for report: SweepReport, full: Bool) -> [CellColumn] {
        let entries = report.entries
        let cells = entries.map(\.cell)
        var columns = [
            CellColumn(header: "#", values: entries.indices.map { String($0 + 1) }),
            CellColumn(header: "cell", values: cells.map { full ? $0.labelText : $0.shortLabelText }, rightAligned: false),
            CellColumn(header: "n", values: cells.map { String($0.observed) + ($0.pending > 0 ? "+\($0.pending)" : "") }),
            CellColumn(header: "grokked", values: cells.map(\.grokkedText)),
            CellColumn(header: "t_grok", values: cells.map(ReportFormat.timeToGrok)),
            CellColumn(header: "IQR", values: cells.map(ReportFormat.interquartileRange), dropPriority: 3),
            CellColumn(header: "95% CI", values: cells.map(ReportFormat.confidence), dropPriority: 5),
            CellColumn(header: "t_mem", values: cells.map { ReportFormat.steps($0.medianMemorisation) }, dropPriority: 2),
            CellColumn(header: "delay", values: cells.map { ReportFormat.steps($0.medianDelay) }, dropPriority: 1),
            CellColumn(header: "sec", values: cells.map { ReportFormat.seconds($0.medianSeconds) }, dropPriority: 4),
        ]
        if full {
            columns.append(CellColumn(header: "steps/s", values: cells.map { ReportFormat.rate($0.medianStepsPerSecond) }))
        }
        if report.hasBaseline {
            columns.append(CellColumn(header: "speedup", values: entries.map { ReportFormat.speedup($0) }, dropPriority: 6))
            if full {
                columns.append(CellColumn(header: "speedup (s)", values: entries.map { ReportFormat.speedup($0, \.seconds) }))
                columns.append(CellColumn(header: "speedup (FLOPs)", values: entries.map { ReportFormat.speedup($0, \.flops) }))
            }
        }
        columns.append(
            CellColumn(
                header: "notes", values: entries.map(ReportFormat.notes), rightAligned: false,
                dropPriority: full ? nil : 0))
        return columns
    }

    /// The legend printed under every table: what each figure means.
    static func legend(for report: SweepReport) -> [String] {
        var lines = [
            "n: seeds observed (+ pending); grokked: seeds grokked / observed; t_grok: median steps to grok, "
                + "Kaplan-Meier when some seeds did not grok; >B (k/n): median beyond the budget B.",
            "IQR: quartiles of t_grok; 95% CI: bootstrap of the median over seeds; t_mem, delay, sec: medians.",
        ]
        if report.hasBaseline {
            lines.append(
                "speedup: geometric mean of paired per-seed t_grok ratios (baseline / cell) over seeds where "
                    + "both grokked, 95% bootstrap CI; ≥X / ≤X: only the cell / only the baseline grokked, a bound "
                    + "from the other's budget.")
        }
        return lines
    }
}
