/// Which parts of the cell labels a reader needs to tell the cells apart.
///
/// Owns the shortening of labels for tables and legends. A sweep's `variants` label every value
/// a branch sets, so a GrokTransfer cell also reads `weak.budget=3000 weak.learningRate=0.01`
/// although no cell differs there. A path is left out of the shown labels when every cell that
/// labels it gives it the same value and the labels stay distinct, and none empty, without it;
/// a path that takes two values anywhere is always kept (`method=scratch` stays, even where
/// another path would also tell the cells apart). The full labels stay in `cells.csv`.
enum CellLabels {
    /// The shown label of each cell, parallel to `labels`.
    static func distinguishing(_ labels: [[LabelPart]]) -> [[LabelPart]] {
        var paths: [String] = []
        for label in labels {
            for part in label where !paths.contains(part.path) { paths.append(part.path) }
        }
        var dropped = Set<String>()
        for path in paths where isConstant(path, in: labels) {
            let candidate = dropped.union([path])
            let shown = labels.map { key(of: $0, without: candidate) }
            let emptied = labels.count > 1 && zip(labels, shown).contains { !$0.isEmpty && $1.isEmpty }
            if Set(shown).count == labels.count, !emptied { dropped = candidate }
        }
        return labels.map { $0.filter { !dropped.contains($0.path) } }
    }

    /// Every cell that labels `path` gives it the same value.
    private static func isConstant(_ path: String, in labels: [[LabelPart]]) -> Bool {
        let values = Set(labels.compactMap { label in label.first { $0.path == path }?.value.canonicalText })
        return values.count <= 1
    }

    private static func key(of label: [LabelPart], without dropped: Set<String>) -> String {
        label.filter { !dropped.contains($0.path) }.map { "\($0.path)=\($0.value.canonicalText)" }.joined(separator: " ")
    }

    /// Each path's last component when no other path of `paths` ends the same, else the path.
    static func shortNames(_ paths: [String]) -> [String: String] {
        let last = { (path: String) in path.split(separator: ".").last.map(String.init) ?? path }
        var counts: [String: Int] = [:]
        for path in Set(paths) { counts[last(path), default: 0] += 1 }
        return Dictionary(uniqueKeysWithValues: Set(paths).map { ($0, counts[last($0)] == 1 ? last($0) : $0) })
    }
}
