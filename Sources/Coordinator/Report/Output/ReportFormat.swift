import Foundation
import Protocol

/// How report figures read as text, shared by the terminal, Markdown, CSV and HTML outputs.
///
/// Owns the spellings a reader learns once: steps as whole numbers, a median beyond the budget
/// as `>4000 (0/3)` (budget, then grokked/observed seeds), interval ends beyond the budget as
/// `>4000`, ratios as `2.31×`, a lower bound from censored baselines as `≥2.3×`.
enum ReportFormat {
    static let missing = "—"

    // MARK: Steps

    static func steps(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return String(Int(value.rounded()))
    }

    /// A step figure that may lie beyond the budget (nil or infinite).
    static func bounded(_ value: Double?, budget: Int) -> String {
        guard let value, value.isFinite else { return ">\(budget)" }
        return steps(value)
    }

    static func timeToGrok(_ cell: CellSummary) -> String {
        guard cell.observed > 0 else { return missing }
        guard let median = cell.timeToGrok.median else { return ">\(cell.budget) (\(cell.grokkedText))" }
        return steps(median)
    }

    static func interquartileRange(_ cell: CellSummary) -> String {
        guard cell.observed > 0 else { return missing }
        return range(cell.timeToGrok.lowerQuartile, cell.timeToGrok.upperQuartile, budget: cell.budget)
    }

    static func confidence(_ cell: CellSummary) -> String {
        guard let interval = cell.timeToGrok.confidence else { return missing }
        guard interval.lower.isFinite else { return ">\(cell.budget)" }
        return "[" + bounded(interval.lower, budget: cell.budget) + ", " + bounded(interval.upper, budget: cell.budget) + "]"
    }

    /// `1955–2675`, `1955–>4000`, or `>4000` when both ends lie beyond the budget.
    static func range(_ lower: Double?, _ upper: Double?, budget: Int) -> String {
        guard let lower, lower.isFinite else { return ">\(budget)" }
        return steps(lower) + "–" + bounded(upper, budget: budget)
    }

    // MARK: Ratios and costs

    static func ratio(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        return value >= 100
            ? String(format: "%.0f×", value)
            : value >= 10
                ? String(format: "%.1f×", value)
                : String(format: "%.2f×", value)
    }

    static func ratioWithInterval(_ estimate: RatioEstimate?) -> String {
        guard let estimate else { return missing }
        guard let interval = estimate.confidence, interval.lower.isFinite, interval.upper.isFinite else {
            return ratio(estimate.geometricMean)
        }
        return ratio(estimate.geometricMean) + " [" + plain(interval.lower) + ", " + plain(interval.upper) + "]"
    }

    /// A speedup column: the estimate, `≥X×` / `≤X×` bounds, `baseline`, or `—`.
    static func speedup(
        _ entry: SweepReport.Entry, _ measure: KeyPath<PairedSpeedup, SpeedupMeasure> = \.steps,
        withInterval: Bool = true
    ) -> String {
        if entry.isBaseline { return "baseline" }
        guard let value = entry.speedup?[keyPath: measure] else { return missing }
        if let estimate = value.estimate { return withInterval ? ratioWithInterval(estimate) : ratio(estimate.geometricMean) }
        if let atLeast = value.atLeast { return "≥" + ratio(atLeast) }
        if let atMost = value.atMost { return "≤" + ratio(atMost) }
        return missing
    }

    /// A ratio without the × sign, for interval ends.
    static func plain(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }

    static func seconds(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    static func rate(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return String(Int(value.rounded()))
    }

    // MARK: Notes

    /// What a reader must know about a cell beyond its numbers.
    static func notes(_ entry: SweepReport.Entry) -> String {
        let cell = entry.cell
        var notes: [String] = []
        if cell.isCensored {
            notes.append("censored")
        } else if cell.timeToGrok.estimator == .kaplanMeier, cell.observed > 0 {
            notes.append("KM (\(cell.censored + cell.diverged) not grokked)")
        }
        if cell.diverged > 0 { notes.append("\(cell.diverged) diverged") }
        if cell.failed > 0 { notes.append("\(cell.failed) failed") }
        if cell.pending > 0 { notes.append("\(cell.pending) pending") }
        if cell.runtimes.count > 1 { notes.append("mixed builds/threads: " + cell.runtimes.sorted().joined(separator: "; ")) }
        if let speedup = entry.speedup, speedup.pairs > speedup.exact {
            // A bound (≥/≤) already says why it is not an estimate.
            if speedup.exact > 0 {
                notes.append("speedup over \(speedup.exact)/\(speedup.pairs) pairs")
            } else if speedup.steps.atLeast == nil, speedup.steps.atMost == nil {
                notes.append("no seed where both grokked")
            }
        }
        return notes.joined(separator: ", ")
    }
}
