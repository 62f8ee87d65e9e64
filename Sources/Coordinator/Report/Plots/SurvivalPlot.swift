import Foundation

/// Survival curves as inline SVG: P(grokked by step t) per cell, the Kaplan–Meier estimate
/// (1 − S(t)), drawn as steps from 0 to the budget.
///
/// Owns which cells are drawn: the best-ranked `limit` cells plus the baselines the best of
/// them are compared with (at most `baselineLimit`, dashed, in greys), so a big grid stays legible; the caption says how many were
/// left out. Each legend entry carries the cell's whole shown label, wrapped, and its
/// grokked/observed count, so a flat curve reads as "never grokked".
struct SurvivalPlot {
    let report: SweepReport
    var limit = 10

    /// At most this many baseline curves are added to the best cells'.
    var baselineLimit = 3

    /// The entries drawn: the best `limit`, then the baselines of the best of them.
    var shown: [SweepReport.Entry] {
        let observed = report.entries.filter { $0.cell.observed > 0 }
        var chosen = Array(observed.prefix(limit))
        var added = 0
        for key in chosen.compactMap(\.baselineKey) where added < baselineLimit {
            guard !chosen.contains(where: { $0.cell.key == key }),
                let baseline = observed.first(where: { $0.cell.key == key })
            else { continue }
            chosen.append(baseline)
            added += 1
        }
        return chosen
    }

    var caption: String {
        let left = report.entries.filter { $0.cell.observed > 0 }.count - shown.count
        return "Fraction of seeds grokked by step t (Kaplan–Meier; censored and diverged seeds count as not grokked "
            + "through the budget). Baselines dashed in black and grey." + (left > 0 ? " \(left) lower-ranked cells not drawn." : "")
            + stepAxis(shown).captionNote
    }

    /// From 0 (or the decade of the first grok) to the longest budget drawn; a cell's time scale
    /// is its median t_grok, or its budget when the median lies beyond it.
    private func stepAxis(_ entries: [SweepReport.Entry]) -> SVGSupport.StepAxis {
        let budget = Double(entries.map(\.cell.budget).max() ?? 1)
        let scales = entries.map { min($0.cell.timeToGrok.median ?? .infinity, Double($0.cell.budget)) }
        let firstGrok = entries.compactMap { $0.cell.survival.steps.first?.step }.min() ?? budget
        return SVGSupport.StepAxis(
            quickest: scales.min() ?? budget, slowest: scales.max() ?? budget, end: budget,
            first: firstGrok)
    }

    // MARK: Drawing

    func render() -> String {
        let entries = shown
        let axis = stepAxis(entries)
        let frame = SVGSupport.Frame(
            left: 70, top: 20, width: 620, height: 320, xRange: axis.range, yRange: 0...1,
            logarithmicX: axis.logarithmic)
        let legendX = frame.left + frame.width + 30
        // Legend entries wrap rather than cut: the axes that tell cells apart come last in a label.
        let legendLines = entries.map { CellTable.wrap("\($0.cell.shortLabelText) (\($0.cell.grokkedText))", width: 52) }
        let legendHeight = legendLines.reduce(0.0) { $0 + 15 * Double($1.count) + 6 }
        let width = legendX + 400
        let height = max(frame.top + frame.height + 50, frame.top + legendHeight + 10)
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"survival\" width=\"\(Int(width))\" "
                + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"
        ]
        parts.append(frame.axes(xTitle: "step", yTitle: "P(grokked by step)", yTickText: { String(format: "%.1f", $0) }))
        var legendY = frame.top + 8
        var nonBaselines = 0
        var baselines = 0
        for (entry, lines) in zip(entries, legendLines) {
            let color: String
            if entry.isBaseline {
                color = Self.baselineColors[baselines % Self.baselineColors.count]
                baselines += 1
            } else {
                color = SVGSupport.categorical[nonBaselines % SVGSupport.categorical.count]
                nonBaselines += 1
            }
            let dash = entry.isBaseline ? " stroke-dasharray=\"7 4\"" : ""
            let points = Self.stepPoints(entry.cell.survival, budget: Double(entry.cell.budget))
                .map { SVGSupport.coordinate(frame.x($0.step)) + "," + SVGSupport.coordinate(frame.y($0.fraction)) }
            parts.append(
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.2\"\(dash) "
                    + "points=\"\(points.joined(separator: " "))\"/>")
            parts.append(
                "<line x1=\"\(SVGSupport.coordinate(legendX))\" x2=\"\(SVGSupport.coordinate(legendX + 26))\" "
                    + "y1=\"\(SVGSupport.coordinate(legendY))\" y2=\"\(SVGSupport.coordinate(legendY))\" "
                    + "stroke=\"\(color)\" stroke-width=\"3\"\(dash)/>")
            for (index, line) in lines.enumerated() {
                parts.append(SVGSupport.text(line, x: legendX + 32, y: legendY + 4 + 15 * Double(index), size: 12))
            }
            legendY += 15 * Double(lines.count) + 6
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// Baselines are dashed in greys, apart from the cells' colours.
    static let baselineColors = ["#000000", "#6b6b6b", "#a0a0a0"]

    /// The corners of the step function 1 − S(t) from step 0 to `budget`.
    static func stepPoints(_ curve: KaplanMeier, budget: Double) -> [(step: Double, fraction: Double)] {
        var points: [(step: Double, fraction: Double)] = [(0, 0)]
        var fraction = 0.0
        for step in curve.steps {
            points.append((step.step, fraction))
            fraction = step.grokkedFraction
            points.append((step.step, fraction))
        }
        points.append((max(budget, points.last!.step), fraction))
        return points
    }
}
