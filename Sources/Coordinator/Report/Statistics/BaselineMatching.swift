import Protocol

/// Chooses, for every cell, the baseline cell its paired speedup is measured against.
///
/// Owns the matching rule. The sweep's `baseline` fixes some axes (`method: scratch`); the
/// cells it selects are the baseline cells. A cell is compared with the baseline cell that
/// agrees with it on every *other* axis both of them vary — a GrokTransfer cell at weight decay
/// 0.1 against the scratch cell at weight decay 0.1 — because that is the one-factor comparison
/// a researcher means. An axis only one of the two has in its label (a conditional grid: scratch
/// has no weak model; a branch's fixed `set` values) does not exclude a match. Among the
/// remaining baseline cells the one agreeing on the most labelled axes wins, then the one whose
/// config agrees on the most of the other axes, then the earliest in the sweep. A baseline
/// cell is its own baseline and gets no speedup.
struct BaselineMatching: Sendable {
    let baselineKeys: [String]
    let freeAxes: [String]

    init(record: SweepRecord?) {
        baselineKeys = record?.baselineCellKeys ?? []
        let fixed = Set(record?.baselineLabel.map(\.path) ?? [])
        freeAxes = (record?.axisPaths ?? []).filter { !fixed.contains($0) }
    }

    init(baselineKeys: [String], freeAxes: [String]) {
        self.baselineKeys = baselineKeys
        self.freeAxes = freeAxes
    }

    func isBaseline(_ cell: CellSummary) -> Bool { baselineKeys.contains(cell.key) }

    /// The baseline for `cell` among `cells` (nil for a baseline cell or when none matches).
    func baseline(for cell: CellSummary, among cells: [CellSummary]) -> CellSummary? {
        guard !isBaseline(cell) else { return nil }
        var best: (cell: CellSummary, score: Agreement)?
        for key in baselineKeys {
            guard let candidate = cells.first(where: { $0.key == key }),
                let score = agreement(cell, candidate)
            else { continue }
            if best == nil || score > best!.score { best = (candidate, score) }
        }
        return best?.cell
    }

    // MARK: Axis values

    /// How well two cells agree: labelled axes first, config values of the other axes second.
    struct Agreement: Comparable {
        var labelled = 0
        var configured = 0

        static func < (left: Agreement, right: Agreement) -> Bool {
            (left.labelled, left.configured) < (right.labelled, right.configured)
        }
    }

    /// Nil when the cells disagree on an axis both label; else how much they agree.
    private func agreement(_ cell: CellSummary, _ candidate: CellSummary) -> Agreement? {
        var score = Agreement()
        for path in freeAxes {
            let mine = cell.label.first { $0.path == path }?.value
            let theirs = candidate.label.first { $0.path == path }?.value
            if let mine, let theirs {
                guard mine.canonicalText == theirs.canonicalText else { return nil }
                score.labelled += 1
            } else if let mine = Self.value(of: cell, at: path), let theirs = Self.value(of: candidate, at: path),
                mine.canonicalText == theirs.canonicalText
            {
                score.configured += 1
            }
        }
        return score
    }

    /// A cell's value on an axis: its label when the cell varies it, else its config.
    static func value(of cell: CellSummary, at path: String) -> JSONValue? {
        if let part = cell.label.first(where: { $0.path == path }) { return part.value }
        guard let config = cell.trials.first?.config else { return nil }
        let value = config.json.value(at: path.split(separator: ".").map(String.init))
        if case .null? = value { return nil }
        return value
    }
}
