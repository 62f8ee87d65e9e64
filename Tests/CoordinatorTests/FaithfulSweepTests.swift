import Foundation
import Testing
import TrialSchema

@testable import Coordinator

/// The faithful-model sweeps in `benchmarks/sweeps`: each expands, and every trial asks for the
/// Grokfast code's model (its block and initialisation) with the layout the file names.
struct FaithfulSweepTests {
    static let directory = sweepsDirectory.deletingLastPathComponent().appendingPathComponent("benchmarks/sweeps")

    @Test(arguments: [
        ("grokfast-faithful.json", 9, [TokenLayout.infix]), ("neuralgrok-faithful.json", 6, [.postfix]),
        ("grokfast-initscale.json", 36, [.plain, .infix]),
    ])
    func faithfulSweepExpands(file: String, trials: Int, layouts: [TokenLayout]) throws {
        let plan = try SweepPlan.load(path: Self.directory.appendingPathComponent(file).path)
        #expect(plan.trials.count == trials && plan.name + ".json" == file)
        #expect(Set(plan.trials.map(\.config.task.tokenLayout)) == Set(layouts))
        for trial in plan.trials {
            guard case .transformer(let model) = trial.config.target.architecture else {
                Issue.record("\(file): not a transformer")
                continue
            }
            #expect(model.block == .normalizedResidual && model.initialization == .pytorch)
        }
        #expect(!plan.baselineCellKeys.isEmpty)
    }
}
