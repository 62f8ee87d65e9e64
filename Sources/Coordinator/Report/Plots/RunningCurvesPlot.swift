import Foundation
import Protocol
import TrialSchema

/// The curves so far of trials still running, one small panel each (train dashed, test solid,
/// on a step axis to the trial's budget), titled with the cell, seed and step reached — so a
/// report rebuilt during a sweep shows whether the long trials are learning.
struct RunningCurvesPlot {
    struct Panel {
        var label: String
        var seed: Int
        var budget: Int
        var curve: [CurvePoint]
    }

    let panels: [Panel]
    /// Panels drawn at most; the caption says how many more run.
    static let maximumPanels = 12

    /// Running trials of `state` with at least one recorded point, in sweep order.
    init(state: JournalState, partialCurves: PartialCurves) {
        let facts = TrialFacts.of(state.trials)
        panels = state.trials.compactMap { trial in
            guard case .running? = state.state(of: trial.id), state.results[trial.id] == nil else { return nil }
            let curve = partialCurves.read(trial.id)
            guard !curve.isEmpty else { return nil }
            return Panel(
                label: facts[trial.id]?.label ?? trial.cellDescription, seed: trial.seed,
                budget: trial.config.budget, curve: curve)
        }
    }

    var caption: String {
        let hidden = panels.count - min(panels.count, Self.maximumPanels)
        return "Trials still running, as their progress reports drew them so far (about one point a second, "
            + "so a sample of the evaluations): train accuracy dashed, test solid, steps to the trial's budget."
            + (hidden > 0 ? " \(hidden) more running trials are not drawn." : "")
    }

    func render() -> String {
        let shown = panels.prefix(Self.maximumPanels)
        let columns = min(shown.count, 3)
        let rows = (shown.count + columns - 1) / max(columns, 1)
        let panelWidth = 300.0, panelHeight = 210.0
        let width = 20 + panelWidth * Double(max(columns, 1))
        let height = 10 + panelHeight * Double(rows)
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"running\" width=\"\(Int(width))\" "
                + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"
        ]
        for (index, panel) in shown.enumerated() {
            let left = 60 + panelWidth * Double(index % 3)
            let top = 50 + panelHeight * Double(index / 3)
            let frame = SVGSupport.Frame(
                left: left, top: top, width: panelWidth - 80, height: panelHeight - 100,
                xRange: 0...Double(max(panel.budget, 1)), yRange: 0...1)
            let step = panel.curve.last?.step ?? 0
            parts.append(
                SVGSupport.text(
                    SVGSupport.shorten("\(panel.label) s\(panel.seed)", to: 40), x: left, y: top - 28,
                    size: 12, weight: "bold"))
            parts.append(SVGSupport.text("running: step \(step) of \(panel.budget)", x: left, y: top - 10, size: 11, fill: "#555"))
            parts.append(frame.axes(xTitle: "step", yTitle: "accuracy", yTickText: { String(format: "%.1f", $0) }))
            for (value, color, dash) in [
                (\CurvePoint.trainAccuracy, AccuracyPlot.trainColor, " stroke-dasharray=\"6 3\""),
                (\CurvePoint.testAccuracy, AccuracyPlot.testColor, ""),
            ] {
                let points = panel.curve.filter { $0[keyPath: value].isFinite }.map {
                    SVGSupport.coordinate(frame.x(Double($0.step))) + "," + SVGSupport.coordinate(frame.y($0[keyPath: value]))
                }
                parts.append(
                    "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"\(dash) points=\"\(points.joined(separator: " "))\"/>")
            }
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
