import Foundation

/// Survival curves as inline SVG: P(grokked by step t) per cell, the Kaplan–Meier estimate
/// (1 − S(t)), drawn as steps from 0 to the budget.
///
/// Owns which cells are drawn: the best-ranked `limit` cells plus every baseline cell (dashed),
/// so a big grid stays legible; the caption says how many were left out. Each legend entry
/// carries the cell's grokked/observed count, so a flat curve reads as "never grokked".
struct SurvivalPlot {
    let report: SweepReport
    var limit = 10

    /// The entries drawn, best first, baselines always included.
    var shown: [SweepReport.Entry] {
        let observed = report.entries.filter { $0.cell.observed > 0 }
        var chosen = Array(observed.prefix(limit))
        for entry in observed where entry.isBaseline && !chosen.contains(where: { $0.cell.key == entry.cell.key }) {
            chosen.append(entry)
        }
        return chosen
    }

    var caption: String {
        let left = report.entries.filter { $0.cell.observed > 0 }.count - shown.count
        return "Fraction of seeds grokked by step t (Kaplan–Meier; censored and diverged seeds count as not grokked "
            + "through the budget). Baselines dashed." + (left > 0 ? " \(left) lower-ranked cells not drawn." : "")
    }

    // MARK: Drawing

    func render() -> String {
        let entries = shown
        let budget = Double(entries.map(\.cell.budget).max() ?? 1)
        let legendWidth = 360.0
        let frame = SVGSupport.Frame(left: 70, top: 20, width: 620, height: 320, xRange: 0...max(budget, 1), yRange: 0...1)
        let width = frame.left + frame.width + 30 + legendWidth
        let height = max(frame.top + frame.height + 50, 40 + 20 * Double(entries.count))
        var parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"survival\" width=\"\(Int(width))\" "
                     + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"]
        parts.append(frame.axes(xTitle: "step", yTitle: "P(grokked by step)", yTickText: { String(format: "%.1f", $0) }))
        for (index, entry) in entries.enumerated() {
            let color = SVGSupport.categorical[index % SVGSupport.categorical.count]
            let dash = entry.isBaseline ? " stroke-dasharray=\"7 4\"" : ""
            let points = Self.stepPoints(entry.cell.survival, budget: Double(entry.cell.budget))
                .map { SVGSupport.coordinate(frame.x($0.step)) + "," + SVGSupport.coordinate(frame.y($0.fraction)) }
            parts.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.2\"\(dash) "
                         + "points=\"\(points.joined(separator: " "))\"/>")
            let legendX = frame.left + frame.width + 30
            let legendY = frame.top + 8 + 20 * Double(index)
            parts.append("<line x1=\"\(SVGSupport.coordinate(legendX))\" x2=\"\(SVGSupport.coordinate(legendX + 26))\" "
                         + "y1=\"\(SVGSupport.coordinate(legendY))\" y2=\"\(SVGSupport.coordinate(legendY))\" "
                         + "stroke=\"\(color)\" stroke-width=\"3\"\(dash)/>")
            let label = "\(entry.cell.shortLabelText) (\(entry.cell.grokkedText))"
            parts.append(SVGSupport.text(SVGSupport.shorten(label, to: 46), x: legendX + 32, y: legendY + 4, size: 12))
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

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
