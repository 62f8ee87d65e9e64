import Foundation

/// The heatmap of median time-to-grok over two axes of the grid, as inline SVG: one panel per
/// combination of the other varying axes (`HeatmapGrid`), all on one colour scale.
///
/// Owns the drawing: colour is log-scaled between the fastest and slowest defined medians of the
/// whole sweep; a median beyond the budget is grey and reads `>B (k/n)`; a baseline cell has a
/// black frame; a square no cell occupies stays white. Above each panel, its title and the
/// baseline its cells are compared with, with that baseline's median.
struct HeatmapPlot {
    let report: SweepReport
    let grid: HeatmapGrid

    init(report: SweepReport) {
        self.report = report
        grid = HeatmapGrid(report: report)
    }

    var xAxis: String? { grid.xAxis }
    var yAxis: String? { grid.yAxis }

    var caption: String {
        var text =
            "Median t_grok (steps; darker is faster, log colour scale). Grey: median beyond the budget; "
            + "black frame: a baseline cell."
        switch (xAxis, yAxis) {
        case (nil, _): text += " The sweep has no grid axes: one cell."
        case (let x?, nil): text += " One grid axis: \(x)."
        case (let x?, let y?): text += " Columns: \(x); rows: \(y)."
        }
        if grid.panels.count > 1 { text += " One panel per combination of the other axes that vary." }
        if grid.collapses { text += " Other axes vary too: each square shows the best cell sharing its two values." }
        if !grid.leftOut.isEmpty {
            let names = grid.leftOut.prefix(3).map(\.cell.shortLabelText).joined(separator: "; ")
            text +=
                " Not drawn (no value on these axes): \(names)" + (grid.leftOut.count > 3 ? " and \(grid.leftOut.count - 3) more." : ".")
        }
        return text
    }

    // MARK: Layout

    private struct Layout {
        var cellWidth: Double
        var cellHeight = 50.0
        var rowLabelWidth: Double
        var header: Double
        var panelWidth: Double
        var panelHeight: Double
        var perRow: Int
    }

    private func layout() -> Layout {
        let columns = Double(max(grid.xValues.count, 1))
        let cellWidth = max(50, min(130, 1000 / columns))
        let longestRow = Double(grid.yValues.map(\.count).max() ?? 0)
        let rowLabelWidth = (yAxis == nil ? 12 : 34) + min(longestRow * 7.5, 160)
        let header = grid.panels.contains { !$0.title.isEmpty || baselineLine($0) != nil } ? 40.0 : 8
        let panelWidth = max(rowLabelWidth + cellWidth * columns + 24, 300)
        let panelHeight = header + 50 * Double(max(grid.yValues.count, 1)) + 48
        let perRow = max(1, min(grid.panels.count, Int(1320 / panelWidth)))
        return Layout(
            cellWidth: cellWidth, rowLabelWidth: rowLabelWidth, header: header, panelWidth: panelWidth,
            panelHeight: panelHeight, perRow: perRow)
    }

    // MARK: Drawing

    func render() -> String {
        let geometry = layout()
        let medians = report.entries.compactMap(\.cell.timeToGrok.median).filter { $0 > 0 }
        let scale = (lowest: log(medians.min() ?? 1), highest: log(medians.max() ?? 1))
        let panelRows = (grid.panels.count + geometry.perRow - 1) / geometry.perRow
        let width = max(geometry.panelWidth * Double(geometry.perRow), 560)
        let height = geometry.panelHeight * Double(panelRows) + 56
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"\(Int(width))\" "
                + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"
        ]
        for (index, panel) in grid.panels.enumerated() {
            let left = geometry.panelWidth * Double(index % geometry.perRow)
            let top = geometry.panelHeight * Double(index / geometry.perRow)
            parts.append(draw(panel, left: left, top: top, geometry: geometry, scale: scale))
        }
        parts.append(colorLegend(left: 20, top: geometry.panelHeight * Double(panelRows) + 10, scale: scale))
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private func draw(
        _ panel: HeatmapGrid.Panel, left: Double, top: Double, geometry: Layout,
        scale: (lowest: Double, highest: Double)
    ) -> String {
        var parts: [String] = []
        let gridLeft = left + geometry.rowLabelWidth
        let gridTop = top + geometry.header
        if !panel.title.isEmpty {
            parts.append(
                SVGSupport.text(
                    SVGSupport.shorten(panel.title, to: Int(geometry.panelWidth / 7.5)), x: left + 8,
                    y: top + 16, size: 13, weight: "bold"))
        }
        if let text = baselineLine(panel) {
            parts.append(
                SVGSupport.text(
                    SVGSupport.shorten(text, to: Int(geometry.panelWidth / 6.2)), x: left + 8,
                    y: top + 32, size: 11, fill: "#444"))
        }
        for (rowIndex, y) in grid.yValues.enumerated() {
            let rowTop = gridTop + geometry.cellHeight * Double(rowIndex)
            parts.append(
                SVGSupport.text(
                    SVGSupport.shorten(y, to: 22), x: gridLeft - 6, y: rowTop + geometry.cellHeight / 2 + 4,
                    anchor: "end", size: 12))
            for (columnIndex, x) in grid.xValues.enumerated() {
                let entry = grid.entry(in: panel, x: x, y: y, ranking: report.entries)
                parts.append(
                    square(
                        entry, left: gridLeft + geometry.cellWidth * Double(columnIndex), top: rowTop,
                        width: geometry.cellWidth, height: geometry.cellHeight, scale: scale))
            }
        }
        let gridBottom = gridTop + geometry.cellHeight * Double(grid.yValues.count)
        let gridWidth = geometry.cellWidth * Double(grid.xValues.count)
        for (columnIndex, x) in grid.xValues.enumerated() {
            parts.append(
                SVGSupport.text(
                    SVGSupport.shorten(x, to: Int(geometry.cellWidth / 7)),
                    x: gridLeft + geometry.cellWidth * (Double(columnIndex) + 0.5),
                    y: gridBottom + 16, anchor: "middle", size: 12))
        }
        if let xAxis {
            parts.append(
                SVGSupport.text(
                    xAxis, x: gridLeft + gridWidth / 2, y: gridBottom + 34, anchor: "middle", size: 12,
                    weight: "bold"))
        }
        if let yAxis {
            let middle = gridBottom - geometry.cellHeight * Double(grid.yValues.count) / 2
            parts.append(
                SVGSupport.text(
                    yAxis, x: left + 14, y: middle, anchor: "middle", size: 12, weight: "bold",
                    extra: "transform=\"rotate(-90 \(SVGSupport.coordinate(left + 14)) \(SVGSupport.coordinate(middle)))\""))
        }
        return parts.joined(separator: "\n")
    }

    /// `baseline method=scratch: 2958` for a panel whose cells' baseline is not drawn in it
    /// (a drawn baseline carries a frame instead).
    private func baselineLine(_ panel: HeatmapGrid.Panel) -> String? {
        let drawn = Set(panel.entries.map(\.cell.key))
        guard let baseline = panel.baselines.first, !panel.baselines.contains(where: { drawn.contains($0.cell.key) })
        else { return nil }
        let more = panel.baselines.count > 1 ? " (+\(panel.baselines.count - 1) more)" : ""
        return "baseline \(baseline.cell.shortLabelText): \(ReportFormat.timeToGrok(baseline.cell))\(more)"
    }

    private func square(
        _ entry: SweepReport.Entry?, left: Double, top: Double, width: Double, height: Double,
        scale: (lowest: Double, highest: Double)
    ) -> String {
        let rect = { (fill: String, stroke: String, strokeWidth: Double) in
            "<rect x=\"\(SVGSupport.coordinate(left + 1))\" y=\"\(SVGSupport.coordinate(top + 1))\" "
                + "width=\"\(SVGSupport.coordinate(width - 2))\" height=\"\(SVGSupport.coordinate(height - 2))\" "
                + "fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(strokeWidth)\"/>"
        }
        guard let entry else { return rect("#ffffff", "#e4e4e4", 1) }
        guard entry.cell.observed > 0 else {
            return rect("#ffffff", "#bbbbbb", 1)
                + SVGSupport.text(
                    "not run yet", x: left + width / 2, y: top + height / 2 + 4, anchor: "middle", size: 11,
                    fill: "#888")
        }
        let cell = entry.cell
        var fill = "#c8c8c8"
        var darkText = true
        if let median = cell.timeToGrok.median, median > 0 {
            let position = scale.highest > scale.lowest ? (log(median) - scale.lowest) / (scale.highest - scale.lowest) : 0.35
            (fill, darkText) = SVGSupport.rampColor(position)
        }
        let ink = darkText ? "#111" : "#fff"
        // Narrow squares (wide grids) keep the figures and drop the words.
        let narrow = width < 80
        var second = "\(cell.grokked)/\(cell.observed)" + (narrow ? "" : " grokked")
        if cell.pending > 0 { second += " +\(cell.pending)" }
        let first = narrow && cell.isCensored ? ">\(cell.budget)" : ReportFormat.timeToGrok(cell)
        return rect(fill, entry.isBaseline ? "#000000" : "#ffffff", entry.isBaseline ? 3 : 1)
            + SVGSupport.text(
                SVGSupport.shorten(first, to: Int(width / 7.5)), x: left + width / 2,
                y: top + height / 2 - 1, anchor: "middle", size: 13, weight: "bold", fill: ink)
            + SVGSupport.text(
                SVGSupport.shorten(second, to: Int(width / 5.5)), x: left + width / 2, y: top + height / 2 + 14,
                anchor: "middle", size: 10, fill: ink)
    }

    private func colorLegend(left: Double, top: Double, scale: (lowest: Double, highest: Double)) -> String {
        var parts: [String] = []
        let barWidth = 240.0
        let slices = 24
        for slice in 0..<slices {
            let color = SVGSupport.rampColor(Double(slice) / Double(slices - 1)).fill
            parts.append(
                "<rect x=\"\(SVGSupport.coordinate(left + barWidth * Double(slice) / Double(slices)))\" "
                    + "y=\"\(SVGSupport.coordinate(top))\" width=\"\(SVGSupport.coordinate(barWidth / Double(slices) + 0.5))\" "
                    + "height=\"12\" fill=\"\(color)\"/>")
        }
        if report.entries.contains(where: { $0.cell.timeToGrok.median != nil }) {
            parts.append(SVGSupport.text(ReportFormat.steps(exp(scale.lowest)), x: left, y: top + 28, size: 11))
            parts.append(
                SVGSupport.text(
                    ReportFormat.steps(exp(scale.highest)), x: left + barWidth, y: top + 28,
                    anchor: "end", size: 11))
            parts.append(
                SVGSupport.text(
                    "median t_grok (steps)", x: left + barWidth / 2, y: top + 28, anchor: "middle",
                    size: 11))
        } else {
            parts.append(SVGSupport.text("no cell has a median within its budget yet", x: left, y: top + 28, size: 11))
        }
        parts.append(
            "<rect x=\"\(SVGSupport.coordinate(left + barWidth + 24))\" y=\"\(SVGSupport.coordinate(top))\" "
                + "width=\"18\" height=\"12\" fill=\"#c8c8c8\"/>")
        parts.append(SVGSupport.text("beyond budget", x: left + barWidth + 48, y: top + 10, size: 11))
        parts.append(
            "<rect x=\"\(SVGSupport.coordinate(left + barWidth + 150))\" y=\"\(SVGSupport.coordinate(top))\" "
                + "width=\"18\" height=\"12\" fill=\"none\" stroke=\"#000\" stroke-width=\"3\"/>")
        parts.append(SVGSupport.text("baseline", x: left + barWidth + 176, y: top + 10, size: 11))
        return parts.joined(separator: "\n")
    }
}
