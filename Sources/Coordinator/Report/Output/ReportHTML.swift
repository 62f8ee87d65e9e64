import Foundation
import Protocol

/// `report.html`: one self-contained page — inline CSS and inline SVG, no script, no network —
/// with the run's status, the cell table, the heatmap of median t_grok, the survival curves,
/// the accuracy curves of the cells of interest, and the definitions.
enum ReportHTML {
    static func render(report: SweepReport, running: RunningCurvesPlot? = nil) -> String {
        let escape = SVGSupport.escape
        var body: [String] = ["<h1>Sweep report: \(escape(report.name))</h1>"]
        if let description = report.state.sweep?.description, !description.isEmpty {
            body.append("<p class=\"description\">\(escape(description))</p>")
        }
        let statusClass = report.isPartial ? "status partial" : "status"
        body.append(
            "<p class=\"\(statusClass)\">\(report.isPartial ? "<b>PARTIAL</b> — " + escape(report.progressText) : escape(report.statusText))<br>"
                + "\(escape(ReportMarkdown.outcomeCounts(report.state)))</p>")
        body.append("<h2>Cells, best first</h2>")
        body.append(table(report))
        body.append("<ul class=\"legend\">" + CellColumns.legend(for: report).map { "<li>\(escape($0))</li>" }.joined() + "</ul>")
        if report.entries.contains(where: { $0.cell.observed > 0 }) {
            let heatmap = HeatmapPlot(report: report)
            body.append(figure("Median time-to-grok", heatmap.render(), heatmap.caption))
            let survival = SurvivalPlot(report: report)
            body.append(figure("Survival: P(grokked by step t)", survival.render(), survival.caption))
            let accuracy = AccuracyPlot(report: report)
            if !accuracy.cellsOfInterest.isEmpty {
                body.append(figure("Accuracy curves", accuracy.render(), accuracy.caption))
            }
        } else {
            body.append("<p>No trial has an outcome yet: no plots.</p>")
        }
        if let running, !running.panels.isEmpty {
            body.append(figure("Running trials: curves so far", running.render(), running.caption))
        }
        body.append(
            "<h2>Definitions</h2><dl>"
                + ReportDefinitions.all.map {
                    "<dt>\(escape($0.term))</dt><dd>\(code(escape($0.text)))</dd>"
                }.joined() + "</dl>")
        body.append("<p class=\"footer\">Rebuilt from journal.jsonl; regenerate with <code>grok-coord report RUN_DIR</code>.</p>")
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escape(report.name)) — GrokSweep report</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    static func write(report: SweepReport, runDirectory: String) throws -> String {
        let path = (runDirectory as NSString).appendingPathComponent("report.html")
        let running = RunningCurvesPlot(state: report.state, partialCurves: PartialCurves(runDirectory: runDirectory))
        try render(report: report, running: running).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Parts

    private static func figure(_ title: String, _ svg: String, _ caption: String) -> String {
        "<h2>\(SVGSupport.escape(title))</h2>\n<figure>\n\(svg)\n<figcaption>\(SVGSupport.escape(caption))</figcaption>\n</figure>"
    }

    /// Cells shown before the rest of a big table folds away.
    static let openRows = 30

    /// The cell table; beyond `openRows` cells the rest sits in a closed `<details>` (no script
    /// needed), so the plots stay near the top of a big sweep's page.
    private static func table(_ report: SweepReport) -> String {
        let columns = CellColumns.columns(for: report, full: true)
        let header =
            "<table><thead><tr>" + columns.map { "<th>\(SVGSupport.escape($0.header))</th>" }.joined()
            + "</tr></thead><tbody>"
        let rows = report.entries.enumerated().map { index, entry in
            var classes: [String] = []
            if entry.cell.isCensored { classes.append("censored") }
            if entry.isBaseline { classes.append("baseline") }
            if !entry.cell.isComplete { classes.append("pending") }
            let cells = columns.map { column in
                "<td class=\"\(column.rightAligned ? "number" : "text")\">\(SVGSupport.escape(column.values[index]))</td>"
            }
            return "<tr class=\"\(classes.joined(separator: " "))\">" + cells.joined() + "</tr>"
        }
        var lines = [header] + rows.prefix(openRows) + ["</tbody></table>"]
        if rows.count > openRows {
            lines.append("<details><summary>The other \(rows.count - openRows) cells (ranks \(openRows + 1)–\(rows.count))</summary>")
            lines += [header] + rows.dropFirst(openRows) + ["</tbody></table></details>"]
        }
        return lines.joined(separator: "\n")
    }

    /// `backticked` spans of already-escaped text become `<code>`.
    private static func code(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return parts.enumerated().map { $0.offset % 2 == 1 ? "<code>\($0.element)</code>" : String($0.element) }.joined()
    }

    private static let style = """
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px 32px; color: #222; max-width: 1500px; }
        h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; }
        .description { color: #555; margin-top: 0; }
        .status { background: #eef6ee; border-left: 4px solid #3a3; padding: 6px 10px; }
        .status.partial { background: #fff4e0; border-left-color: #e90; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ddd; padding: 3px 7px; } th { background: #f3f3f3; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.censored td { background: #f1f1f1; color: #666; } tr.baseline td { font-weight: bold; }
        tr.pending td:first-child { border-left: 4px solid #e90; }
        svg { max-width: 100%; height: auto; }
        details { margin-top: 8px; } summary { cursor: pointer; color: #345; }
        figure { margin: 8px 0; } figcaption { font-size: 13px; color: #555; max-width: 1100px; }
        .legend, dl { font-size: 13px; color: #444; } dt { font-weight: bold; margin-top: 6px; } dd { margin-left: 16px; }
        code { background: #f3f3f3; padding: 0 3px; } .footer { color: #888; font-size: 12px; margin-top: 30px; }
        """
}
