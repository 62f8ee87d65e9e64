import Engine

/// Renders an expanded sweep as the plain-text table `grok-coord expand` prints.
///
/// Owns the layout rules, every line at most `width` characters. When the axes fit as columns
/// (with their full paths, else with their last components when those stay unambiguous), one
/// row per trial: id, one column per axis, seed, a `*` for baseline cells. When they do not,
/// the table wraps the way the report's cell table does: each cell's label on lines of its own,
/// then its trials (seed and id), so no value is ever cut.
struct TrialTable {
    var plan: SweepPlan
    var width: Int = 100
    /// Each cell's cost (`SweepCost`), shown per trial row or under each cell's label.
    var cost: SweepCost?

    private static let gap = "  "

    /// Title line, table, and the cell/trial counts.
    func render() -> String {
        var lines = [title()]
        if !plan.description.isEmpty { lines += CellTable.wrap(plan.description, width: width) }
        lines += tableLines() ?? cellBlocks()
        lines.append(summary())
        if let cost { lines += CellTable.wrap(cost.totalText, width: width) }
        return lines.map { clip($0) }.joined(separator: "\n") + "\n"
    }

    func title() -> String {
        "sweep \(plan.name) (\(plan.file))"
    }

    func summary() -> String {
        let cells = plan.cellCount == 1 ? "1 cell" : "\(plan.cellCount) cells"
        let seeds = plan.seeds.count == 1 ? "1 seed" : "\(plan.seeds.count) seeds"
        let trials = plan.trials.count == 1 ? "1 trial" : "\(plan.trials.count) trials"
        return "\(cells) × \(seeds) = \(trials); fingerprint \(plan.fingerprint)"
    }

    // MARK: Columns

    private struct Column {
        var header: String
        var cells: [String]
        /// Fixed columns (id, seed, base) keep their header.
        var fixed: Bool
        var width: Int { ([header] + cells).map(\.count).max() ?? 0 }
    }

    private func columns() -> [Column] {
        var columns = [Column(header: "trial", cells: plan.trials.map(\.id), fixed: true)]
        for path in plan.axisPaths {
            let cells = plan.trials.map { trial in trial.cellLabel.first { $0.path == path }?.text ?? "–" }
            columns.append(Column(header: path, cells: cells, fixed: false))
        }
        if let cost {
            columns.append(
                Column(
                    header: "params", cells: plan.trials.map { cost.cells[$0.cellKey].map { TrialCost.count($0.parameters) } ?? "?" },
                    fixed: true))
            columns.append(
                Column(
                    header: "memory", cells: plan.trials.map { cost.cells[$0.cellKey].map { TrialCost.bytes($0.bytes) } ?? "?" },
                    fixed: true))
            columns.append(
                Column(
                    header: "per step", cells: plan.trials.map { cost.cells[$0.cellKey].map { TrialCost.flops($0.flopsPerStep) } ?? "?" },
                    fixed: true))
        }
        columns.append(Column(header: "seed", cells: plan.trials.map { String($0.seed) }, fixed: true))
        if !plan.baselineCellKeys.isEmpty {
            let baseline = Set(plan.baselineCellKeys)
            columns.append(
                Column(
                    header: "base", cells: plan.trials.map { baseline.contains($0.cellKey) ? "*" : "" },
                    fixed: true))
        }
        return columns
    }

    /// One row per trial, or nil when the columns do not fit even with short headers.
    private func tableLines() -> [String]? {
        var columns = columns()
        if totalWidth(columns.map(\.width)) > width { shrinkHeaders(&columns) }
        let widths = columns.map(\.width)
        guard totalWidth(widths) <= width else { return nil }
        var lines = [row(columns.map(\.header), widths: widths)]
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: Self.gap))
        for index in plan.trials.indices {
            lines.append(row(columns.map { $0.cells[index] }, widths: widths))
        }
        return lines
    }

    /// Each cell's label (short paths, wrapped) on lines of its own, then its trials as
    /// `seed N  ID`, several to a line.
    private func cellBlocks() -> [String] {
        let names = CellLabels.shortNames(plan.axisPaths)
        let baseline = Set(plan.baselineCellKeys)
        var order: [String] = []
        var trialsByCell: [String: [ExpandedTrial]] = [:]
        for trial in plan.trials {
            if trialsByCell[trial.cellKey] == nil { order.append(trial.cellKey) }
            trialsByCell[trial.cellKey, default: []].append(trial)
        }
        let numberWidth = String(order.count).count
        let indent = String(repeating: " ", count: numberWidth + 2)
        var lines: [String] = []
        for (index, key) in order.enumerated() {
            let trials = trialsByCell[key] ?? []
            let label = trials.first?.cellLabel.map { "\(names[$0.path] ?? $0.path)=\($0.text)" }.joined(separator: " ") ?? ""
            let number = String(index + 1)
            let lead = String(repeating: " ", count: numberWidth - number.count) + number + "  "
            let wrapped = CellTable.wrap(
                (label.isEmpty ? "(single cell)" : label) + (baseline.contains(key) ? "  [baseline]" : ""),
                width: width - lead.count)
            lines.append(lead + (wrapped.first ?? ""))
            lines += wrapped.dropFirst().map { indent + $0 }
            if let figures = cost?.cells[key] {
                lines.append(
                    indent + "params \(TrialCost.count(figures.parameters))  memory \(TrialCost.bytes(figures.bytes))  "
                        + "\(TrialCost.flops(figures.flopsPerStep))/step")
            }
            let entries = trials.map { "seed \($0.seed) \($0.id)" }
            var line = ""
            for entry in entries {
                if !line.isEmpty, indent.count + line.count + 3 + entry.count > width {
                    lines.append(indent + line)
                    line = ""
                }
                line += (line.isEmpty ? "" : "   ") + entry
            }
            if !line.isEmpty { lines.append(indent + line) }
        }
        return lines
    }

    private func totalWidth(_ widths: [Int]) -> Int {
        widths.reduce(0, +) + Self.gap.count * max(0, widths.count - 1)
    }

    /// `target.weightDecay` → `weightDecay` when that stays unambiguous.
    private func shrinkHeaders(_ columns: inout [Column]) {
        let shortNames = columns.map { $0.fixed ? $0.header : String($0.header.split(separator: ".").last ?? "") }
        guard Set(shortNames).count == shortNames.count else { return }
        for index in columns.indices { columns[index].header = shortNames[index] }
    }

    // MARK: Text

    private func row(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (cell, columnWidth) in zip(cells, widths) {
            parts.append(cell + String(repeating: " ", count: columnWidth - cell.count))
        }
        return String(parts.joined(separator: Self.gap).reversed().drop { $0 == " " }.reversed())
    }

    /// Last resort for lines no column rule can fit (many axes, long title).
    private func clip(_ line: String) -> String {
        line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }
}
