import Foundation
import Testing

@testable import Coordinator

@Suite("Reproducibility record: results carry the worker's build and thread count")
struct ReproducibilityTests {
    @Test("a cell whose results mixed builds or thread counts is flagged; a uniform one is not")
    func mixedRuntimesAreFlagged() throws {
        let plan = try ReportFixture.weightDecayPlan(seeds: 2)
        var results = plan.trials.map { ReportFixture.grokked($0, at: 1000) }
        for index in results.indices { results[index].build = "grok-worker 0.1.0" }
        // The first cell's second seed ran on another thread count.
        results[1].blasThreads = 2
        let report = SweepReport(state: try ReportFixture.state(plan, results: results))
        let notes = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.cell.key, ReportFormat.notes($0)) })
        let mixedKey = plan.trials[0].cellKey
        #expect(
            notes[mixedKey]?.contains("mixed builds/threads: grok-worker 0.1.0, 1 threads; grok-worker 0.1.0, 2 threads") == true,
            "\(notes)")
        #expect(notes.filter { $0.key != mixedKey }.values.allSatisfy { !$0.contains("mixed") })
        let csv = TrialsCSV.render(state: try ReportFixture.state(plan, results: results))
        #expect(csv.split(separator: "\n").dropFirst().allSatisfy { $0.contains(",grok-worker 0.1.0,") })
    }
}
