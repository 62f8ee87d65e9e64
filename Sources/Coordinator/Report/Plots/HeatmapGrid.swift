/// Which cells the heatmap of median time-to-grok draws, and where.
///
/// Owns the placement rules. The axes are the sweep file's `report.heatmap`, else its first two
/// grid axes (one axis gives a single row, none a single square). Cells with no value on an axis
/// (a scratch cell has no weak model) are left out and named in the caption; their role as
/// baselines is shown above each panel instead. Every other axis that still varies among the
/// drawn cells splits them into panels (small multiples on one colour scale), so no square mixes
/// two weight decays; only when that would give more than `maximumPanels` panels do squares
/// collapse, each showing the best-ranked cell sharing its two values (the caption says so).
struct HeatmapGrid {
    struct Panel {
        /// `weightDecay=0.1 mode=factorized`, or empty for a single panel.
        var title: String
        var entries: [SweepReport.Entry]
        /// The baselines of the panel's cells (best first), for the line above the panel.
        var baselines: [SweepReport.Entry]
    }

    let xAxis: String?
    let yAxis: String?
    let xValues: [String]
    let yValues: [String]
    let panels: [Panel]
    /// Cells not drawn because they have no value on an axis.
    let leftOut: [SweepReport.Entry]
    /// Some square stands for more than one cell.
    let collapses: Bool

    static let maximumPanels = 8

    init(report: SweepReport) {
        let chosen = (report.state.sweep?.heatmapAxes ?? []).filter { report.axisPaths.contains($0) }
        let axes = chosen.count == 2 ? chosen : Array(report.axisPaths.prefix(2))
        let xAxis = axes.first
        let yAxis = axes.count > 1 ? axes[1] : nil
        self.xAxis = xAxis
        self.yAxis = yAxis

        let ordered = report.entriesInSweepOrder
        let hasBoth = { (entry: SweepReport.Entry) in
            [xAxis, yAxis].allSatisfy { axis in axis.map { Self.value(entry, $0) != nil } ?? true }
        }
        var members = ordered.filter(hasBoth)
        if members.isEmpty { members = ordered }
        leftOut = ordered.filter { entry in !members.contains { $0.cell.key == entry.cell.key } }
        xValues = Self.distinct(members.map { Self.text(Self.value($0, xAxis)) })
        yValues = Self.distinct(members.map { Self.text(Self.value($0, yAxis)) })

        var facetPaths = Self.facetPaths(members, excluding: [xAxis, yAxis].compactMap { $0 })
        var keys = Self.distinct(members.map { Self.facetKey($0, facetPaths) })
        if keys.count > Self.maximumPanels {
            facetPaths = []
            keys = [""]
        }
        let shortNames = members.first?.cell.shortNames ?? [:]
        panels = keys.map { key in
            let entries = members.filter { Self.facetKey($0, facetPaths) == key }
            let title = facetPaths.map { path in
                "\(shortNames[path] ?? path)=\(Self.text(Self.value(entries[0], path)))"
            }.joined(separator: " ")
            let baselineKeys = Set(entries.compactMap(\.baselineKey))
            let baselines = report.entries.filter { baselineKeys.contains($0.cell.key) }
            return Panel(title: title, entries: entries, baselines: baselines)
        }
        let squares = panels.flatMap { panel in
            panel.entries.map { "\(Self.facetKey($0, facetPaths))|\(Self.text(Self.value($0, xAxis)))|\(Self.text(Self.value($0, yAxis)))" }
        }
        collapses = Set(squares).count < squares.count
    }

    /// The best-ranked cell of `panel` at (`x`, `y`) (entries are searched in rank order).
    func entry(in panel: Panel, x: String, y: String, ranking: [SweepReport.Entry]) -> SweepReport.Entry? {
        let keys = Set(
            panel.entries.filter {
                Self.text(Self.value($0, xAxis)) == x && Self.text(Self.value($0, yAxis)) == y
            }.map(\.cell.key))
        return ranking.first { keys.contains($0.cell.key) }
    }

    // MARK: Values

    /// A cell's value on `axis`: its label, else its config; nil when it has none.
    static func value(_ entry: SweepReport.Entry, _ axis: String?) -> String? {
        guard let axis else { return "" }
        return BaselineMatching.value(of: entry.cell, at: axis)?.labelText
    }

    private static func text(_ value: String?) -> String { value ?? ReportFormat.missing }

    private static func distinct(_ values: [String]) -> [String] {
        var seen: [String] = []
        for value in values where !seen.contains(value) { seen.append(value) }
        return seen
    }

    /// Shown label paths, other than the heatmap's axes, that take more than one value among `members`.
    private static func facetPaths(_ members: [SweepReport.Entry], excluding axes: [String]) -> [String] {
        let paths = distinct(members.flatMap { $0.cell.shownLabel.map(\.path) }).filter { !axes.contains($0) }
        return paths.filter { path in Set(members.map { text(value($0, path)) }).count > 1 }
    }

    private static func facetKey(_ entry: SweepReport.Entry, _ paths: [String]) -> String {
        paths.map { text(value(entry, $0)) }.joined(separator: "\u{1F}")
    }
}
