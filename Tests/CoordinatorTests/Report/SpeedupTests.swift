import Foundation
import Protocol
import Testing
import TrialSchema

@testable import Coordinator

/// Paired per-seed speedups and baseline matching, against hand-computed values.
@Suite struct ReportSpeedupTests {
    /// wd 0.3 (cell) vs wd 1 (baseline), 4 seeds, budget 4000.
    private func cells(
        _ plan: SweepPlan, _ results: [TrialResult]
    ) throws -> (
        cell: CellSummary, baseline: CellSummary,
        results: [String: TrialResult]
    ) {
        let state = try ReportFixture.state(plan, results: results)
        let report = SweepReport(state: state, resamples: 200)
        let cell = try #require(report.entries.first { !$0.isBaseline }).cell
        let baseline = try #require(report.entries.first { $0.isBaseline }).cell
        return (cell, baseline, state.results)
    }

    // MARK: Paired speedups

    @Test func exactPairsGiveTheGeometricMeanAndCensoredPairsAreCounted() throws {
        let plan = try ReportFixture.weightDecayPlan(seeds: 4)
        let cell = Array(plan.trials[0..<4])
        let base = Array(plan.trials[4..<8])
        // Seed 0: 1000/250 = 4; seed 1: 2000/1000 = 2; seed 2: the baseline did not grok (lower bound);
        // seed 3: the cell did not grok (upper bound). Steps: √(4·2) = 2.828…; seconds 10/5, 20/5 → √8;
        // FLOPs 1e9/1e9, 4e9/1e9 → √4 = 2.
        let results = [
            ReportFixture.grokked(cell[0], at: 250, seconds: 5, flops: 1e9),
            ReportFixture.grokked(cell[1], at: 1000, seconds: 5, flops: 1e9),
            ReportFixture.grokked(cell[2], at: 500),
            ReportFixture.censored(cell[3]),
            ReportFixture.grokked(base[0], at: 1000, seconds: 10, flops: 1e9),
            ReportFixture.grokked(base[1], at: 2000, seconds: 20, flops: 4e9),
            ReportFixture.censored(base[2]),
            ReportFixture.grokked(base[3], at: 4000 - 10),
        ]
        let pair = try cells(plan, results)
        let speedup = PairedSpeedup(cell: pair.cell, baseline: pair.baseline, results: pair.results, resamples: 500)
        #expect(speedup.exact == 2 && speedup.lowerBound == 1 && speedup.upperBound == 1 && speedup.neither == 0)
        #expect(close(speedup.steps.estimate?.geometricMean, 8.0.squareRoot()))
        #expect(close(speedup.seconds.estimate?.geometricMean, 8.0.squareRoot()))
        #expect(close(speedup.flops.estimate?.geometricMean, 2))
        #expect(speedup.steps.atLeast == nil && speedup.steps.atMost == nil, "exact pairs exist, so no bound is reported")
        let interval = try #require(speedup.steps.estimate?.confidence)
        // Resamples of two ratios are {2, 2}, {2, 4}, {4, 2}, {4, 4} with probabilities ¼, ½, ¼: a quarter of the
        // geometric means are 2 and a quarter 4, so the 2.5 % and 97.5 % quantiles are exactly 2 and 4.
        #expect(close(interval.lower, 2) && close(interval.upper, 4), "\(interval)")
    }

    @Test func aBaselineThatNeverGrokkedGivesALowerBound() throws {
        let plan = try ReportFixture.weightDecayPlan(seeds: 2)
        // Budget 4000 over t_grok 500 and 2000: √(8 · 2) = 4.
        let results = [
            ReportFixture.grokked(plan.trials[0], at: 500), ReportFixture.grokked(plan.trials[1], at: 2000),
            ReportFixture.censored(plan.trials[2]), ReportFixture.censored(plan.trials[3]),
        ]
        let pair = try cells(plan, results)
        let speedup = PairedSpeedup(cell: pair.cell, baseline: pair.baseline, results: pair.results, resamples: 100)
        #expect(speedup.steps.estimate == nil && speedup.exact == 0 && speedup.lowerBound == 2)
        #expect(close(speedup.steps.atLeast, 4))
        // The censored baselines ran their whole budget: 4 s and 4e9 FLOPs against 1 s and 1e9 to grok.
        #expect(close(speedup.seconds.atLeast, 4) && close(speedup.flops.atLeast, 4) && speedup.seconds.atMost == nil)
        let entry = SweepReport.Entry(
            cell: pair.cell, baselineKey: pair.baseline.key, speedup: speedup, isBaseline: false,
            sweepIndex: 0)
        #expect(ReportFormat.speedup(entry) == "≥4.00×")
    }

    @Test func aCellThatNeverGrokkedGivesAnUpperBound() throws {
        let plan = try ReportFixture.weightDecayPlan(seeds: 2)
        // Baseline t_grok 1000 and 4000 over the cell's budget 4000: √(0.25 · 1) = 0.5.
        let results = [
            ReportFixture.censored(plan.trials[0]), ReportFixture.censored(plan.trials[1]),
            ReportFixture.grokked(plan.trials[2], at: 1000), ReportFixture.grokked(plan.trials[3], at: 4000),
        ]
        let pair = try cells(plan, results)
        let speedup = PairedSpeedup(cell: pair.cell, baseline: pair.baseline, results: pair.results, resamples: 100)
        #expect(speedup.steps.estimate == nil && speedup.upperBound == 2 && speedup.steps.atLeast == nil)
        #expect(close(speedup.steps.atMost, 0.5))
        // The censored cell spent 4 s to the baselines' 1 s: at most ¼ in seconds (and in FLOPs).
        #expect(close(speedup.seconds.atMost, 0.25) && close(speedup.flops.atMost, 0.25))
        let entry = SweepReport.Entry(
            cell: pair.cell, baselineKey: pair.baseline.key, speedup: speedup, isBaseline: false,
            sweepIndex: 0)
        #expect(ReportFormat.speedup(entry) == "≤0.50×")
    }

    @Test func divergedAndMissingSeedsAreNotExactPairs() throws {
        let plan = try ReportFixture.weightDecayPlan(seeds: 3)
        // Seed 0 exact (2000/1000 = 2); seed 1 the cell diverged (an upper-bound pair); seed 2 the baseline is pending.
        let results = [
            ReportFixture.grokked(plan.trials[0], at: 1000), ReportFixture.diverged(plan.trials[1]),
            ReportFixture.grokked(plan.trials[2], at: 700),
            ReportFixture.grokked(plan.trials[3], at: 2000), ReportFixture.grokked(plan.trials[4], at: 2000),
        ]
        let pair = try cells(plan, results)
        let speedup = PairedSpeedup(cell: pair.cell, baseline: pair.baseline, results: pair.results, resamples: 100)
        #expect(speedup.exact == 1 && speedup.upperBound == 1 && speedup.pairs == 2)
        #expect(speedup.steps.estimate?.geometricMean == 2 && speedup.steps.estimate?.confidence == nil)
    }

    // MARK: Baseline matching

    @Test func eachCellIsMatchedToTheBaselineSharingItsOtherAxes() throws {
        // Conditional grid: the multiply branch varies depth and weight decay, the add branch (the baseline)
        // neither; the match is the add cell with the same modulus.
        let plan = try expandSweep(
            """
            { "name": "v", "grid": [
                { "path": "task.modulus", "values": [23, 31] },
                { "variants": [
                    { "set": { "task.operation": "add" } },
                    { "set": { "task.operation": "multiply", "target.depth": 2 },
                      "grid": [ { "path": "target.weightDecay", "values": [0.1, 1] } ] } ] } ],
              "baseline": { "task.operation": "add" } }
            """)
        let report = SweepReport(state: try ReportFixture.state(plan, results: []), resamples: 10)
        for entry in report.entries {
            let modulus = entry.cell.trials[0].config.modular?.modulus
            if entry.cell.trials[0].config.modular?.operation == .add {
                #expect(entry.isBaseline && entry.baselineKey == nil)
            } else {
                let baselineKey = try #require(entry.baselineKey)
                let baseline = try #require(report.entry(for: baselineKey))
                #expect(baseline.isBaseline && baseline.cell.trials[0].config.modular?.modulus == modulus)
            }
        }
    }

    @Test func anAxisOnlyTheBaselineVariesIsSettledByTheCellsConfig() throws {
        // The baseline branch varies weight decay; the other keeps the base config's 0.1 without a label, so
        // both add cells are candidates and the config decides.
        let plan = try expandSweep(
            """
            { "name": "v", "base": { "target": { "weightDecay": 0.1 } }, "grid": [ { "variants": [
                { "set": { "task.operation": "add" }, "grid": [ { "path": "target.weightDecay", "values": [1, 0.1] } ] },
                { "set": { "task.operation": "multiply" } } ] } ],
              "baseline": { "task.operation": "add" } }
            """)
        let report = SweepReport(state: try ReportFixture.state(plan, results: []), resamples: 10)
        let multiply = try #require(report.entries.first { $0.cell.trials[0].config.modular?.operation == .multiply })
        let baselineKey = try #require(multiply.baselineKey)
        let baseline = try #require(report.entry(for: baselineKey))
        #expect(baseline.cell.trials[0].config.training.weightDecay == 0.1)
    }
}
