import Foundation

/// The heatmap of median time-to-grok over two axes of the grid, as inline SVG.
///
/// Owns the degradation rules: the sweep file's `report.heatmap` axes, else the first two grid
/// axes; one axis gives a single row, no axis a single square. When other axes also vary, a
/// square shows the best-ranked cell among those sharing its two values (the caption says so).
/// Colour is log-scaled between the fastest and slowest defined medians; a median beyond the
/// budget is grey and reads `>B (k/n)`; the baseline has a black frame.
struct HeatmapPlot {
    let report: SweepReport
    let xAxis: String?
    let yAxis: String?

    init(report: SweepReport) {
        self.report = report
        let chosen = (report.state.sweep?.heatmapAxes ?? []).filter { report.axisPaths.contains($0) }
        let axes = chosen.count == 2 ? chosen : Array(report.axisPaths.prefix(2))
        xAxis = axes.first
        yAxis = axes.count > 1 ? axes[1] : nil
    }

    // MARK: Grid

    /// An axis's values in sweep order; cells without the axis read `—`.
    func values(of axis: String?) -> [String] {
        guard let axis else { return [""] }
        var seen: [String] = []
        for entry in report.entriesInSweepOrder {
            let text = Self.valueText(entry, axis)
            if !seen.contains(text) { seen.append(text) }
        }
        return seen
    }

    private static func valueText(_ entry: SweepReport.Entry, _ axis: String?) -> String {
        guard let axis else { return "" }
        return BaselineMatching.value(of: entry.cell, at: axis)?.labelText ?? ReportFormat.missing
    }

    /// The best-ranked entry at (`x`, `y`) and how many cells share that square.
    func entry(x: String, y: String) -> (entry: SweepReport.Entry, sharing: Int)? {
        let matches = report.entries.filter { Self.valueText($0, xAxis) == x && Self.valueText($0, yAxis) == y }
        return matches.first.map { ($0, matches.count) }
    }

    /// True when some square stands for more than one cell.
    var collapsesOtherAxes: Bool {
        values(of: xAxis).contains { x in values(of: yAxis).contains { y in (entry(x: x, y: y)?.sharing ?? 0) > 1 } }
    }

    var caption: String {
        var text = "Median t_grok (steps; darker is faster, log colour scale). Grey: median beyond the budget."
        switch (xAxis, yAxis) {
        case (nil, _): text += " The sweep has no grid axes: one cell."
        case (let x?, nil): text += " One grid axis: \(x)."
        case (let x?, let y?): text += " Columns: \(x); rows: \(y)."
        }
        if collapsesOtherAxes { text += " Other axes vary too: each square shows the best cell sharing its two values." }
        return text
    }

    // MARK: Drawing

    func render() -> String {
        let columns = values(of: xAxis)
        let rows = values(of: yAxis)
        let medians = report.entries.compactMap(\.cell.timeToGrok.median).filter { $0 > 0 }
        let lowest = log(medians.min() ?? 1)
        let highest = log(medians.max() ?? 1)
        let cellWidth = max(78, min(150, 960 / Double(max(columns.count, 1))))
        let cellHeight = 56.0
        let longestRow = rows.map(\.count).max() ?? 0
        let left = 24 + min(Double(longestRow) * 7.5, 200) + (yAxis == nil ? 0 : 24)
        let top = 20.0
        let width = max(left + cellWidth * Double(columns.count) + 20, left + 480)
        let height = top + cellHeight * Double(rows.count) + 110
        var parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"\(Int(width))\" "
                     + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"]
        for (rowIndex, y) in rows.enumerated() {
            let rowTop = top + cellHeight * Double(rowIndex)
            parts.append(SVGSupport.text(SVGSupport.shorten(y, to: 26), x: left - 8, y: rowTop + cellHeight / 2 + 4,
                                         anchor: "end", size: 12))
            for (columnIndex, x) in columns.enumerated() {
                let cellLeft = left + cellWidth * Double(columnIndex)
                parts.append(square(entry(x: x, y: y)?.entry, left: cellLeft, top: rowTop, width: cellWidth,
                                    height: cellHeight, lowest: lowest, highest: highest))
            }
        }
        let gridBottom = top + cellHeight * Double(rows.count)
        for (columnIndex, x) in columns.enumerated() {
            parts.append(SVGSupport.text(SVGSupport.shorten(x, to: Int(cellWidth / 7)), x: left + cellWidth * (Double(columnIndex) + 0.5),
                                         y: gridBottom + 16, anchor: "middle", size: 12))
        }
        if let xAxis {
            parts.append(SVGSupport.text(xAxis, x: left + cellWidth * Double(columns.count) / 2, y: gridBottom + 36,
                                         anchor: "middle", size: 13, weight: "bold"))
        }
        if let yAxis {
            let middle = top + cellHeight * Double(rows.count) / 2
            parts.append(SVGSupport.text(yAxis, x: 16, y: middle, anchor: "middle", size: 13, weight: "bold",
                                         extra: "transform=\"rotate(-90 16 \(SVGSupport.coordinate(middle)))\""))
        }
        parts.append(colorLegend(left: left, top: gridBottom + 52, lowest: lowest, highest: highest))
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private func square(_ entry: SweepReport.Entry?, left: Double, top: Double, width: Double, height: Double,
                        lowest: Double, highest: Double) -> String {
        let rect = { (fill: String, stroke: String, strokeWidth: Double) in
            "<rect x=\"\(SVGSupport.coordinate(left + 1))\" y=\"\(SVGSupport.coordinate(top + 1))\" "
                + "width=\"\(SVGSupport.coordinate(width - 2))\" height=\"\(SVGSupport.coordinate(height - 2))\" "
                + "fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(strokeWidth)\"/>"
        }
        guard let entry, entry.cell.observed > 0 else {
            return rect("#ffffff", "#cccccc", 1)
                + SVGSupport.text(entry == nil ? "" : "not run", x: left + width / 2, y: top + height / 2 + 4,
                                  anchor: "middle", size: 11, fill: "#888")
        }
        let cell = entry.cell
        let stroke = entry.isBaseline ? "#000000" : "#ffffff"
        let strokeWidth = entry.isBaseline ? 3.0 : 1.0
        var fill = "#c8c8c8"
        var darkText = true
        if let median = cell.timeToGrok.median, median > 0 {
            let position = highest > lowest ? (log(median) - lowest) / (highest - lowest) : 0.35
            (fill, darkText) = SVGSupport.rampColor(position)
        }
        let ink = darkText ? "#111" : "#fff"
        var second = "\(cell.grokked)/\(cell.observed) grokked"
        if entry.isBaseline { second += " · baseline" }
        if cell.pending > 0 { second += " · +\(cell.pending)" }
        return rect(fill, stroke, strokeWidth)
            + SVGSupport.text(ReportFormat.timeToGrok(cell), x: left + width / 2, y: top + height / 2 - 2,
                              anchor: "middle", size: 14, weight: "bold", fill: ink)
            + SVGSupport.text(SVGSupport.shorten(second, to: Int(width / 6)), x: left + width / 2, y: top + height / 2 + 15,
                              anchor: "middle", size: 10, fill: ink)
    }

    private func colorLegend(left: Double, top: Double, lowest: Double, highest: Double) -> String {
        var parts: [String] = []
        let barWidth = 240.0
        let slices = 24
        for slice in 0..<slices {
            let color = SVGSupport.rampColor(Double(slice) / Double(slices - 1)).fill
            parts.append("<rect x=\"\(SVGSupport.coordinate(left + barWidth * Double(slice) / Double(slices)))\" "
                         + "y=\"\(SVGSupport.coordinate(top))\" width=\"\(SVGSupport.coordinate(barWidth / Double(slices) + 0.5))\" "
                         + "height=\"12\" fill=\"\(color)\"/>")
        }
        parts.append(SVGSupport.text(ReportFormat.steps(exp(lowest)), x: left, y: top + 28, size: 11))
        parts.append(SVGSupport.text(ReportFormat.steps(exp(highest)), x: left + barWidth, y: top + 28, anchor: "end", size: 11))
        parts.append(SVGSupport.text("median t_grok (steps)", x: left + barWidth / 2, y: top + 28, anchor: "middle", size: 11))
        parts.append("<rect x=\"\(SVGSupport.coordinate(left + barWidth + 24))\" y=\"\(SVGSupport.coordinate(top))\" "
                     + "width=\"18\" height=\"12\" fill=\"#c8c8c8\"/>")
        parts.append(SVGSupport.text("beyond budget", x: left + barWidth + 48, y: top + 10, size: 11))
        parts.append("<rect x=\"\(SVGSupport.coordinate(left + barWidth + 150))\" y=\"\(SVGSupport.coordinate(top))\" "
                     + "width=\"18\" height=\"12\" fill=\"none\" stroke=\"#000\" stroke-width=\"3\"/>")
        parts.append(SVGSupport.text("baseline", x: left + barWidth + 176, y: top + 10, size: 11))
        return parts.joined(separator: "\n")
    }
}
