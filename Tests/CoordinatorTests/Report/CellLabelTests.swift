import Foundation
import Protocol
import Testing

@testable import Coordinator

/// Shown cell labels: only the axes that tell cells apart, never cut in the terminal table.
@Suite struct CellLabelTests {
    private func part(_ path: String, _ value: JSONValue) -> LabelPart { LabelPart(path: path, value: value) }

    @Test func constantBranchSettingsAreLeftOutAndVaryingAxesKept() {
        let scratch = [part("wd", .number(1)), part("method", .string("scratch"))]
        let transfer = { (dim: Double) in
            [
                self.part("wd", .number(1)), self.part("method", .string("groktransfer")), self.part("weak.budget", .number(3000)),
                self.part("weak.dim", .number(dim)),
            ]
        }
        let shown = CellLabels.distinguishing([scratch, transfer(2), transfer(4)])
        // weak.budget is 3000 wherever it appears: dropped. wd is constant too, and dropping it keeps the
        // labels distinct, so it goes; method takes two values and stays.
        #expect(shown.map { $0.map(\.path) } == [["method"], ["method", "weak.dim"], ["method", "weak.dim"]])
    }

    @Test func aConstantPathThatAloneTellsTwoCellsApartStays() {
        // The second cell differs from the first only by having `extra` at all.
        let shown = CellLabels.distinguishing([[part("a", .number(1))], [part("a", .number(1)), part("extra", .bool(true))]])
        #expect(shown[1].map(\.path) == ["a", "extra"])
    }

    @Test func shortNamesKeepTheFullPathWhenTheLastComponentIsAmbiguous() {
        let names = CellLabels.shortNames(["target.width", "weak.width", "target.weightDecay"])
        #expect(names == ["target.width": "target.width", "weak.width": "weak.width", "target.weightDecay": "weightDecay"])
    }

    @Test func aWeakdimShapedSweepWrapsItsTableInsteadOfCuttingLabels() throws {
        let plan = try expandSweep(
            """
            { "name": "variants", "budget": 4000, "grid": [
                { "path": "target.weightDecay", "values": [0.1, 1] },
                { "variants": [
                    { "set": { "method": "scratch" } },
                    { "set": { "method": "groktransfer", "transfer.mode": "factorized", "weak.learningRate": 0.01,
                               "weak.budget": 3000, "weak.stopAtTestAccuracy": 0.9 },
                      "grid": [ { "path": "weak.embeddingDim", "values": [2, 16] }, { "path": "weak.width", "values": [32, 64] } ] }
                ] } ],
              "seeds": [0, 1], "baseline": { "method": "scratch" } }
            """)
        let results = plan.trials.enumerated().map { ReportFixture.grokked($1, at: 3000 - 100 * $0) }
        let report = SweepReport(state: try ReportFixture.state(plan, results: results), resamples: 50)
        let transfer = try #require(report.entries.first { $0.cell.label.contains { $0.path == "weak.width" } })
        #expect(transfer.cell.shortLabelText.hasPrefix("weightDecay="))
        #expect(!transfer.cell.shortLabelText.contains("budget") && transfer.cell.shortLabelText.contains("method=groktransfer"))
        #expect(transfer.cell.fullLabelText.contains("weak.budget=3000"), "the full label keeps every axis")

        let table = CellTable(report: report).render()
        #expect(table.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(table)")
        for entry in report.entries { #expect(table.contains(entry.cell.shortLabelText), "\(table)") }
    }
}
