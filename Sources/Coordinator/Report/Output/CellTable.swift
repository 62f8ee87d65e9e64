/// The cell table printed by `grok-coord` at the end of a sweep and by `grok-coord report`:
/// best cells first, every line at most `width` characters.
///
/// Owns fitting a wide grid into a terminal. Labels show only the axes that tell cells apart
/// (`CellLabels`), with short path names. When they fit, each cell is one row, after dropping
/// the least important columns if needed (notes, then delay, then t_mem). When they do not, the
/// table wraps: each cell's label gets a line of its own above its figures, so no label is cut,
/// and further columns are dropped (IQR, sec, CI, speedup, in that order) only if the figures
/// still do not fit. A compact per-trial listing follows when the run is small enough to read.
struct CellTable {
    var report: SweepReport
    var width = 100
    /// At most this many trials get the per-trial listing.
    var trialListingLimit = 12

    private static let labelColumn = 1
    /// Columns a one-row-per-cell layout may drop before the table wraps instead.
    private static let droppableBeforeWrapping = 2

    func render() -> String {
        var lines = Self.wrap("\(report.name): \(report.statusText)", width: width)
        let columns = CellColumns.columns(for: report, full: false)
        lines += oneRowPerCell(columns) ?? wrappedRows(columns)
        lines += CellColumns.legend(for: report).flatMap { Self.wrap($0, width: width) }
        if report.trialCount <= trialListingLimit { lines += [""] + TrialListing(report: report, width: width).lines() }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Rows of whole labels, or nil when that cannot fit without dropping important columns.
    private func oneRowPerCell(_ all: [CellColumn]) -> [String]? {
        guard let columns = Self.fit(all, width: width, maximumPriority: Self.droppableBeforeWrapping) else { return nil }
        let widths = columns.map(Self.naturalWidth)
        var lines = [row(columns.map(\.header), columns: columns, widths: widths), rule(widths)]
        for index in report.entries.indices {
            lines.append(row(columns.map { $0.values[index] }, columns: columns, widths: widths))
        }
        return lines
    }

    /// Each cell as its rank and label on one line (wrapped if need be), its figures on the next.
    private func wrappedRows(_ all: [CellColumn]) -> [String] {
        var figures = all
        let labels = figures.remove(at: Self.labelColumn)
        let columns = Self.fit(figures, width: width, maximumPriority: .max) ?? figures
        let widths = columns.map(Self.naturalWidth)
        let rankWidth = widths[0]
        var lines = [row(columns.map(\.header), columns: columns, widths: widths), rule(widths)]
        for index in report.entries.indices {
            let rank = columns[0].values[index]
            let lead = String(repeating: " ", count: rankWidth - rank.count) + rank + "  "
            let wrapped = Self.wrap(labels.values[index], width: width - lead.count)
            lines.append(lead + (wrapped.first ?? ""))
            lines += wrapped.dropFirst().map { String(repeating: " ", count: lead.count) + $0 }
            var cells = columns.map { $0.values[index] }
            cells[0] = ""
            lines.append(row(cells, columns: columns, widths: widths))
        }
        return lines
    }

    /// Drops droppable columns (lowest priority first, up to `maximumPriority`) until the natural
    /// widths fit; nil when they cannot.
    private static func fit(_ all: [CellColumn], width: Int, maximumPriority: Int) -> [CellColumn]? {
        var columns = all
        while total(columns.map(naturalWidth)) > width {
            let candidates = columns.indices.filter { columns[$0].dropPriority.map { $0 <= maximumPriority } ?? false }
            guard let drop = candidates.min(by: { columns[$0].dropPriority! < columns[$1].dropPriority! }) else {
                return nil
            }
            columns.remove(at: drop)
        }
        return columns
    }

    private static func total(_ widths: [Int]) -> Int { widths.reduce(0, +) + 2 * max(widths.count - 1, 0) }

    private func rule(_ widths: [Int]) -> String {
        widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    }

    // MARK: Layout

    private static func naturalWidth(_ column: CellColumn) -> Int {
        ([column.header] + column.values).map(\.count).max() ?? 0
    }

    private func row(_ cells: [String], columns: [CellColumn], widths: [Int]) -> String {
        var fields: [String] = []
        for (index, cell) in cells.enumerated() {
            let columnWidth = widths[index]
            let text = cell.count > columnWidth ? String(cell.prefix(max(columnWidth - 1, 0))) + "…" : cell
            let padding = String(repeating: " ", count: max(columnWidth - text.count, 0))
            fields.append(columns[index].rightAligned ? padding + text : text + padding)
        }
        var line = fields.joined(separator: "  ")
        while line.last == " " { line.removeLast() }
        return line
    }

    /// Greedy word wrap for the legend.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = "  " + word
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        if !current.isEmpty { lines.append(current) }
        // A single word longer than the line (a long JSON value) is cut rather than overflow.
        return lines.map { $0.count > width ? String($0.prefix(max(width - 1, 1))) + "…" : $0 }
    }
}
