import Protocol

/// The whole report of a run, computed from a journal state: one summary per cell, the
/// baseline speedups, the ranking, and whether the run is finished.
///
/// Owns "best first": cells are ranked by median time-to-grok (a median beyond the budget
/// ranks after every defined one), then by more seeds grokked, then by median seconds, then
/// by sweep order; cells with nothing observed come last. Every output (terminal, Markdown,
/// CSV, HTML) renders this one value, so they cannot disagree.
struct SweepReport: Sendable {
    struct Entry: Hashable, Sendable {
        var cell: CellSummary
        /// The cell's matched baseline (nil for a baseline cell or without a baseline).
        var baselineKey: String?
        var speedup: PairedSpeedup?
        var isBaseline: Bool
        /// 0-based position in the sweep file's order.
        var sweepIndex: Int
    }

    let state: JournalState
    /// Cells ranked best first.
    let entries: [Entry]
    let axisPaths: [String]

    /// Trials with no outcome yet: the sweep is still running or was interrupted.
    var pendingTrials: Int { entries.map(\.cell.pending).reduce(0, +) }
    var isPartial: Bool { pendingTrials > 0 }
    var name: String { state.sweep?.name ?? "sweep" }
    var trialCount: Int { state.trials.count }
    var finishedCount: Int { state.finished.count }
    var hasBaseline: Bool { entries.contains { $0.isBaseline } }

    init(state: JournalState, resamples: Int = Bootstrap.defaultResamples) {
        self.state = state
        axisPaths = state.sweep?.axisPaths ?? []
        var order: [String] = []
        var byCell: [String: [ExpandedTrial]] = [:]
        for trial in state.trials {
            if byCell[trial.cellKey] == nil { order.append(trial.cellKey) }
            byCell[trial.cellKey, default: []].append(trial)
        }
        var cells = order.map { key in
            CellSummary(
                key: key, trials: byCell[key]!, results: state.results, progress: state.progress,
                resamples: resamples)
        }
        let shown = CellLabels.distinguishing(cells.map(\.label))
        let shortNames = CellLabels.shortNames(shown.flatMap { $0.map(\.path) })
        for index in cells.indices {
            cells[index].shownLabel = shown[index]
            cells[index].shortNames = shortNames
        }
        let matching = BaselineMatching(record: state.sweep)
        var entries: [Entry] = []
        for (index, cell) in cells.enumerated() {
            let baseline = matching.baseline(for: cell, among: cells)
            let speedup = baseline.map { PairedSpeedup(cell: cell, baseline: $0, results: state.results, resamples: resamples) }
            entries.append(
                Entry(
                    cell: cell, baselineKey: baseline?.key, speedup: speedup,
                    isBaseline: matching.isBaseline(cell), sweepIndex: index))
        }
        self.entries = entries.sorted(by: Self.ranksBefore)
    }

    func entry(for key: String) -> Entry? { entries.first { $0.cell.key == key } }

    /// Cells in the sweep file's order (the ranking is `entries`).
    var entriesInSweepOrder: [Entry] { entries.sorted { $0.sweepIndex < $1.sweepIndex } }

    // MARK: Ranking

    static func ranksBefore(_ left: Entry, _ right: Entry) -> Bool {
        let (a, b) = (left.cell, right.cell)
        if (a.observed > 0) != (b.observed > 0) { return a.observed > 0 }
        let medianA = a.timeToGrok.median ?? .infinity
        let medianB = b.timeToGrok.median ?? .infinity
        if medianA != medianB { return medianA < medianB }
        let fractionA = a.observed > 0 ? Double(a.grokked) / Double(a.observed) : 0
        let fractionB = b.observed > 0 ? Double(b.grokked) / Double(b.observed) : 0
        if fractionA != fractionB { return fractionA > fractionB }
        let secondsA = a.medianSeconds ?? .infinity
        let secondsB = b.medianSeconds ?? .infinity
        if secondsA != secondsB { return secondsA < secondsB }
        return left.sweepIndex < right.sweepIndex
    }

    // MARK: Status

    /// One line on how complete the run is, e.g. `partial: 4 of 6 trials finished (1 running, 1 queued) — …`.
    var statusText: String { (isPartial ? "partial: " : "complete: ") + progressText }

    /// `statusText` without its `partial:`/`complete:` word, for outputs that mark it their own way.
    var progressText: String {
        let running = state.inFlight.count
        let queued = state.queued.count
        let done = "\(finishedCount) of \(trialCount) trials finished" + (state.failed.isEmpty ? "" : ", \(state.failed.count) gave up")
        guard isPartial else { return done }
        var parts: [String] = []
        if running > 0 { parts.append("\(running) running") }
        if queued > 0 { parts.append("\(queued) queued") }
        return "\(done) (\(parts.joined(separator: ", "))) — the sweep is still running or was interrupted"
    }
}
