import Foundation
import Protocol

/// Train/test accuracy over steps for the cells of interest, as small multiples of inline SVG:
/// median curves with IQR bands across seeds, and the cell's median t_grok marked.
///
/// Owns the choice of cells: the best cell, its baseline, and the runner-up (at most three
/// panels, each on the same step axis so they compare at a glance).
struct AccuracyPlot {
    let report: SweepReport

    static let trainColor = "#1f77b4"
    static let testColor = "#e6550d"

    /// Best, its baseline (or any baseline), runner-up; distinct, with observations and curves.
    var cellsOfInterest: [(title: String, entry: SweepReport.Entry)] {
        let observed = report.entries.filter { entry in
            entry.cell.observed > 0 && entry.cell.trials.contains { !(report.state.results[$0.id]?.curve.isEmpty ?? true) }
        }
        guard let best = observed.first else { return [] }
        var chosen: [(title: String, entry: SweepReport.Entry)] = [("best", best)]
        let baselineKey = best.isBaseline ? nil : (best.baselineKey ?? observed.first(where: \.isBaseline)?.cell.key)
        if let baselineKey, let baseline = observed.first(where: { $0.cell.key == baselineKey }) {
            chosen.append(("baseline", baseline))
        }
        if let runnerUp = observed.dropFirst().first(where: { candidate in !chosen.contains { $0.entry.cell.key == candidate.cell.key } }) {
            chosen.append(("runner-up", runnerUp))
        }
        return chosen
    }

    var caption: String {
        "Median accuracy across seeds (lines) with the interquartile band; train dashed, test solid; the dotted "
            + "line marks the cell's median t_grok. A seed that stopped after grokking keeps its last value."
            + stepAxis(cellsOfInterest.map(\.entry)).captionNote
    }

    /// One step axis for all panels, up to the last evaluation drawn: trials stop once they have
    /// grokked, and a budget-wide axis would squeeze a fast cell's curves into its left edge.
    /// Logarithmic when one panel's curves end at least 20× sooner than another's.
    private func stepAxis(_ entries: [SweepReport.Entry]) -> SVGSupport.StepAxis {
        let curves = entries.map { entry in entry.cell.trials.compactMap { report.state.results[$0.id]?.curve } }
        let panelEnds = curves.compactMap { panel in panel.compactMap { $0.last?.step }.max() }.filter { $0 > 0 }
        let firstStep = curves.joined().compactMap { $0.first(where: { $0.step > 0 })?.step }.min() ?? 1
        let end = Double(panelEnds.max() ?? 1)
        return SVGSupport.StepAxis(quickest: Double(panelEnds.min() ?? 1), slowest: end, end: end, first: Double(firstStep))
    }

    // MARK: Drawing

    func render() -> String {
        let panels = cellsOfInterest
        let axis = stepAxis(panels.map(\.entry))
        let panelWidth = 400.0
        let width = 30 + (panelWidth + 40) * Double(max(panels.count, 1))
        let height = 396.0
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"accuracy\" width=\"\(Int(width))\" "
                + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"
        ]
        for (index, panel) in panels.enumerated() {
            let frame = SVGSupport.Frame(
                left: 70 + (panelWidth + 40) * Double(index), top: 70, width: panelWidth - 40,
                height: 260, xRange: axis.range, yRange: 0...1, logarithmicX: axis.logarithmic)
            parts.append(self.panel(panel.title, panel.entry, frame: frame))
        }
        parts.append(legend(top: height - 16))
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private func panel(_ title: String, _ entry: SweepReport.Entry, frame: SVGSupport.Frame) -> String {
        let curves = entry.cell.trials.compactMap { report.state.results[$0.id]?.curve }
        let bands = AccuracyBands(curves: curves)
        // The title wraps onto a second line rather than cutting the axes that tell cells apart.
        let titleLines = CellTable.wrap("\(title): \(entry.cell.shortLabelText)", width: 50).prefix(2)
        var parts = titleLines.enumerated().map { index, line in
            SVGSupport.text(line, x: frame.left, y: frame.top - 44 + 16 * Double(index), size: 13, weight: "bold")
        }
        parts += [
            SVGSupport.text(
                "t_grok \(ReportFormat.timeToGrok(entry.cell)), \(entry.cell.grokkedText) grokked, "
                    + "\(curves.count) curves", x: frame.left, y: frame.top - 10, size: 11, fill: "#555"),
            frame.axes(xTitle: "step", yTitle: "accuracy", yTickText: { String(format: "%.1f", $0) }),
        ]
        for (points, color, dash) in [(bands.train, Self.trainColor, " stroke-dasharray=\"6 3\""), (bands.test, Self.testColor, "")] {
            guard !points.isEmpty else { continue }
            let upper = points.map { SVGSupport.coordinate(frame.x(Double($0.step))) + "," + SVGSupport.coordinate(frame.y($0.upper)) }
            let lower = points.reversed().map {
                SVGSupport.coordinate(frame.x(Double($0.step))) + "," + SVGSupport.coordinate(frame.y($0.lower))
            }
            parts.append(
                "<polygon fill=\"\(color)\" fill-opacity=\"0.22\" stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"/>")
            let median = points.map { SVGSupport.coordinate(frame.x(Double($0.step))) + "," + SVGSupport.coordinate(frame.y($0.median)) }
            parts.append(
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(median.joined(separator: " "))\"/>")
        }
        if let median = entry.cell.timeToGrok.median {
            let x = SVGSupport.coordinate(frame.x(median))
            parts.append(
                "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(SVGSupport.coordinate(frame.top))\" "
                    + "y2=\"\(SVGSupport.coordinate(frame.top + frame.height))\" stroke=\"#333\" stroke-dasharray=\"2 3\"/>")
        }
        return parts.joined(separator: "\n")
    }

    private func legend(top: Double) -> String {
        [
            "<line x1=\"70\" x2=\"100\" y1=\"\(top)\" y2=\"\(top)\" stroke=\"\(Self.trainColor)\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>",
            SVGSupport.text("train accuracy (median, IQR band)", x: 106, y: top + 4, size: 12),
            "<line x1=\"330\" x2=\"360\" y1=\"\(top)\" y2=\"\(top)\" stroke=\"\(Self.testColor)\" stroke-width=\"2\"/>",
            SVGSupport.text("test accuracy (median, IQR band)", x: 366, y: top + 4, size: 12),
            "<line x1=\"590\" x2=\"590\" y1=\"\(top - 7)\" y2=\"\(top + 7)\" stroke=\"#333\" stroke-dasharray=\"2 3\"/>",
            SVGSupport.text("median t_grok", x: 598, y: top + 4, size: 12),
        ].joined(separator: "\n")
    }
}
