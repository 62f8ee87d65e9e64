/// Renders an expanded sweep as the plain-text table `grok-coord expand` prints.
///
/// Owns the layout rules: one row per trial (id, one column per axis, seed, a `*` for baseline
/// cells), every line at most `width` characters. When the natural table is too wide, headers
/// shrink to their last path component and then the widest value columns are cut with "…",
/// because a dry run is read in a terminal.
struct TrialTable {
    var plan: SweepPlan
    var width: Int = 100

    private static let gap = "  "
    private static let minimumColumn = 5

    /// Title line, table, and the cell/trial counts.
    func render() -> String {
        var lines = [title()]
        if !plan.description.isEmpty { lines.append(plan.description) }
        lines += tableLines()
        lines.append(summary())
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
        /// Fixed columns (id, seed) are never cut.
        var fixed: Bool
        var width: Int { ([header] + cells).map(\.count).max() ?? 0 }
    }

    private func columns() -> [Column] {
        var columns = [Column(header: "trial", cells: plan.trials.map(\.id), fixed: true)]
        for path in plan.axisPaths {
            let cells = plan.trials.map { trial in trial.cellLabel.first { $0.path == path }?.text ?? "–" }
            columns.append(Column(header: path, cells: cells, fixed: false))
        }
        columns.append(Column(header: "seed", cells: plan.trials.map { String($0.seed) }, fixed: true))
        if !plan.baselineCellKeys.isEmpty {
            let baseline = Set(plan.baselineCellKeys)
            columns.append(Column(header: "base", cells: plan.trials.map { baseline.contains($0.cellKey) ? "*" : "" },
                                  fixed: true))
        }
        return columns
    }

    private func tableLines() -> [String] {
        var columns = columns()
        shrinkHeaders(&columns)
        var widths = columns.map(\.width)
        cutWidest(&widths, columns: columns)
        let rowCount = plan.trials.count
        var lines = [row(columns.map(\.header), widths: widths)]
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: Self.gap))
        for index in 0..<rowCount {
            lines.append(row(columns.map { $0.cells[index] }, widths: widths))
        }
        return lines
    }

    private func totalWidth(_ widths: [Int]) -> Int {
        widths.reduce(0, +) + Self.gap.count * max(0, widths.count - 1)
    }

    /// `target.weightDecay` → `weightDecay` when that stays unambiguous.
    private func shrinkHeaders(_ columns: inout [Column]) {
        guard totalWidth(columns.map(\.width)) > width else { return }
        let shortNames = columns.map { $0.fixed ? $0.header : String($0.header.split(separator: ".").last ?? "") }
        guard Set(shortNames).count == shortNames.count else { return }
        for index in columns.indices { columns[index].header = shortNames[index] }
    }

    private func cutWidest(_ widths: inout [Int], columns: [Column]) {
        while totalWidth(widths) > width {
            let candidates = widths.indices.filter { !columns[$0].fixed && widths[$0] > Self.minimumColumn }
            guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { return }
            widths[widest] -= 1
        }
    }

    // MARK: Text

    private func row(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (cell, columnWidth) in zip(cells, widths) {
            let text = cell.count > columnWidth ? String(cell.prefix(columnWidth - 1)) + "…" : cell
            parts.append(text + String(repeating: " ", count: columnWidth - text.count))
        }
        return String(parts.joined(separator: Self.gap).reversed().drop { $0 == " " }.reversed())
    }

    /// Last resort for lines no column rule can fit (many axes, long title).
    private func clip(_ line: String) -> String {
        line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }
}
