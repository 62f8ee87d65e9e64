import Engine
import Foundation
import TrialSchema

/// The cost of a sweep before it runs: each cell's trial cost (parameters, memory, FLOPs per
/// step — the same for every seed of a cell) and the sweep's total FLOPs at its budgets. A cell
/// whose trials cannot fit in `memoryLimit` is refused with its figure, by `expand` and by the
/// coordinator before anything is dispatched (workers refuse such a trial themselves too).
struct SweepCost {
    var cells: [String: TrialCost] = [:]
    /// Cells the engine cannot plan (an unsupported combination), with why: the worker's error
    /// will say the same when the trial runs.
    var unplanned: [String: String] = [:]
    var totalFlops = 0.0

    init(plan: SweepPlan) {
        for trial in plan.trials {
            if cells[trial.cellKey] == nil, unplanned[trial.cellKey] == nil {
                do { cells[trial.cellKey] = try TrialCost.of(trial.config) } catch {
                    unplanned[trial.cellKey] = "\(error)"
                }
            }
            if let cost = cells[trial.cellKey] { totalFlops += cost.flopsPerStep * Double(trial.config.budget) }
        }
    }

    var totalText: String {
        "at most \(TrialCost.flops(totalFlops)) in all at the budgets (trials that grok stop early)"
    }

    /// A one-line refusal naming the first cell whose trial needs more than `memoryLimit`.
    func refusal(plan: SweepPlan, memoryLimit: Int, where place: String) -> String? {
        for trial in plan.trials {
            guard let cost = cells[trial.cellKey], cost.bytes > memoryLimit else { continue }
            return "\(plan.file): cell \(trial.cellDescription) needs about \(TrialCost.bytes(cost.bytes)) per trial "
                + "(\(TrialCost.count(cost.parameters)) parameters), more than \(place) has (\(TrialCost.bytes(memoryLimit)))"
        }
        return nil
    }
}
