import Foundation
import Protocol
import Testing
import TrialSchema

@testable import Coordinator

/// The report files and the terminal table: content, self-containment, width.
@Suite struct ReportOutputTests {
    /// The smoke sweep's outcome: wd 1 groks at 1720, 3160, 2190; wd 0.3 is censored on every seed.
    private func smokeState() throws -> JournalState {
        let plan = try ReportFixture.weightDecayPlan(seeds: 3)
        let results =
            plan.trials[0..<3].map { ReportFixture.censored($0) }
            + zip(plan.trials[3..<6], [1720, 3160, 2190]).map { ReportFixture.grokked($0, at: $1) }
        return try ReportFixture.state(plan, results: results)
    }

    /// 3 × 2 × 3 cells, one seed, baseline fixing only the weight decay.
    private func wideState() throws -> JournalState {
        let plan = try expandSweep(
            """
            { "name": "wide", "budget": 4000, "grid": [
                { "path": "target.weightDecay", "values": [0.01, 0.1, 1] },
                { "path": "target.learningRate", "values": [0.001, 0.003] },
                { "path": "target.embeddingDim", "values": [16, 32, 64] } ],
              "seeds": [0, 1], "baseline": { "target.weightDecay": 1 },
              "report": { "heatmap": ["target.embeddingDim", "target.weightDecay"] } }
            """)
        let results = plan.trials.enumerated().map { index, trial in
            index % 5 == 4 ? ReportFixture.censored(trial) : ReportFixture.grokked(trial, at: 400 + 97 * index)
        }
        return try ReportFixture.state(plan, results: results)
    }

    // MARK: HTML

    @Test func htmlIsSelfContainedWithTheThreePlots() throws {
        for state in [try smokeState(), try wideState()] {
            let html = ReportHTML.render(report: SweepReport(state: state, resamples: 100))
            for plot in ["class=\"heatmap\"", "class=\"survival\"", "class=\"accuracy\""] {
                #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" \(plot)"), "missing \(plot)")
            }
            #expect(html.contains("<polyline") && html.contains("<polygon"), "survival steps and IQR bands are drawn")
            let external = try Regex(#"(?i)(src|href)\s*=\s*["']?\s*(https?:)?//"#)
            #expect(html.firstMatch(of: external) == nil, "no external src/href")
            for forbidden in ["<script", "<link", "@import", "url("] {
                #expect(!html.lowercased().contains(forbidden), "found \(forbidden)")
            }
        }
    }

    /// Grokfast's shape: a baseline censored at 60 000 steps beside cells grokking at 500. Both
    /// step axes turn logarithmic (with decade ticks, and the caption says so); the smoke
    /// sweep's cells, within 20× of each other, keep linear axes.
    @Test func stepAxesTurnLogarithmicWhenCellsAreFarApart() throws {
        let plan = try expandSweep(
            """
            { "name": "far", "budget": 60000, "grid": [{ "path": "target.weightDecay", "values": [0, 0.005] }],
              "seeds": [0, 1], "baseline": { "target.weightDecay": 0 } }
            """)
        let results =
            plan.trials[0..<2].map { ReportFixture.censored($0) }
            + plan.trials[2..<4].map { ReportFixture.grokked($0, at: 500) }
        let far = SweepReport(state: try ReportFixture.state(plan, results: results), resamples: 100)
        let smoke = SweepReport(state: try smokeState(), resamples: 100)
        let plots = { (report: SweepReport) in
            [
                (SurvivalPlot(report: report).render(), SurvivalPlot(report: report).caption),
                (AccuracyPlot(report: report).render(), AccuracyPlot(report: report).caption),
            ]
        }
        for (svg, caption) in plots(far) {
            #expect(svg.contains("step (log scale)") && caption.contains("Logarithmic step axis"))
            #expect(svg.contains(">100</text>") && svg.contains(">1000</text>") && svg.contains(">10k</text>"))
        }
        for (svg, caption) in plots(smoke) {
            #expect(!svg.contains("log scale") && !caption.contains("Logarithmic"))
        }
    }

    @Test func logarithmicAxisMapsDecadesEvenly() {
        let frame = SVGSupport.Frame(
            left: 0, top: 0, width: 300, height: 100, xRange: 10...10_000, yRange: 0...1,
            logarithmicX: true)
        #expect(frame.x(10) == 0 && frame.x(0) == 0)
        #expect(abs(frame.x(100) - 100) < 1e-9 && abs(frame.x(1000) - 200) < 1e-9 && abs(frame.x(10_000) - 300) < 1e-9)
        #expect(SVGSupport.logarithmicTicks(from: 10, to: 10_000) == [10, 100, 1000, 10_000])
        #expect(SVGSupport.logarithmicTicks(from: 10, to: 600) == [10, 20, 50, 100, 200, 500])
        #expect(SVGSupport.StepAxis(quickest: 500, slowest: 60_000, end: 60_000, first: 26).range == 10...60_000)
        // Every cell grokking around step 400 within a long budget: linear.
        #expect(!SVGSupport.StepAxis(quickest: 380, slowest: 420, end: 10_000, first: 10).logarithmic)
        #expect(!SVGSupport.StepAxis(quickest: 1720, slowest: 4000, end: 4000, first: 200).logarithmic)
        // Degenerate inputs stay finite and ordered.
        for axis in [
            SVGSupport.StepAxis(quickest: 0, slowest: 0, end: 0, first: 0),
            SVGSupport.StepAxis(quickest: 0, slowest: 100, end: 100, first: 0),
        ] {
            #expect(axis.range.lowerBound.isFinite && axis.range.lowerBound < axis.range.upperBound)
        }
        #expect(SVGSupport.logarithmicTicks(from: 0, to: 10).isEmpty)
    }

    @Test func theSameJournalGivesTheSameReportFiles() throws {
        let state = try wideState()
        let render = { () -> [String] in
            let report = SweepReport(state: state, resamples: 200)
            return [
                ReportHTML.render(report: report), ReportMarkdown.render(report: report), CellsCSV.render(report: report),
                TrialsCSV.render(state: state), CellTable(report: report).render(),
            ]
        }
        #expect(render() == render())
    }

    @Test func heatmapDegradesToOneAxisAndToASingleCell() throws {
        let single = try expandSweep(#"{ "name": "one", "budget": 100, "seeds": [0, 1] }"#)
        let state = try ReportFixture.state(single, results: single.trials.map { ReportFixture.grokked($0, at: 50) })
        let report = SweepReport(state: state, resamples: 50)
        let heatmap = HeatmapPlot(report: report)
        #expect(heatmap.xAxis == nil && heatmap.yAxis == nil && heatmap.caption.contains("one cell"))
        #expect(heatmap.render().contains(">50<"), "the single square shows its median")

        let oneAxis = HeatmapPlot(report: SweepReport(state: try smokeState(), resamples: 50))
        #expect(oneAxis.xAxis == "target.weightDecay" && oneAxis.yAxis == nil)
        #expect(oneAxis.render().contains("&gt;4000 (0/3)"), "the censored square reads >budget (k/n)")
    }

    @Test func heatmapSplitsAnotherVaryingAxisIntoPanels() throws {
        let heatmap = HeatmapPlot(report: SweepReport(state: try wideState(), resamples: 50))
        #expect(heatmap.xAxis == "target.embeddingDim" && heatmap.yAxis == "target.weightDecay")
        #expect(heatmap.grid.xValues == ["16", "32", "64"] && heatmap.grid.yValues == ["0.01", "0.1", "1"])
        #expect(heatmap.grid.panels.map(\.title) == ["learningRate=0.001", "learningRate=0.003"])
        #expect(heatmap.grid.panels.allSatisfy { $0.entries.count == 9 } && !heatmap.grid.collapses)
        #expect(heatmap.caption.contains("One panel per combination") && !heatmap.caption.contains("best cell"))
    }

    @Test func heatmapLeavesOutCellsWithoutTheAxesAndNamesTheirBaseline() throws {
        let plan = try expandSweep(
            """
            { "name": "weak", "budget": 4000, "grid": [
                { "path": "target.weightDecay", "values": [0.1, 1] },
                { "variants": [
                    { "set": { "method": "scratch" } },
                    { "set": { "method": "groktransfer", "transfer.mode": "factorized", "weak.budget": 3000 },
                      "grid": [ { "path": "weak.embeddingDim", "values": [2, 4] }, { "path": "weak.width", "values": [32, 64] } ] },
                    { "set": { "method": "groktransfer", "transfer.mode": "randomA", "weak.budget": 3000, "weak.embeddingDim": 4,
                               "weak.width": 64 } } ] } ],
              "seeds": [0], "baseline": { "method": "scratch" },
              "report": { "heatmap": ["weak.embeddingDim", "weak.width"] } }
            """)
        let results = plan.trials.enumerated().map { ReportFixture.grokked($1, at: 1000 + 100 * $0) }
        let report = SweepReport(state: try ReportFixture.state(plan, results: results), resamples: 20)
        let heatmap = HeatmapPlot(report: report)
        let grid = heatmap.grid
        #expect(grid.xValues == ["2", "4"] && grid.yValues == ["32", "64"])
        #expect(grid.leftOut.map(\.cell.shortLabelText) == ["weightDecay=0.1 method=scratch", "weightDecay=1 method=scratch"])
        #expect(
            grid.panels.map(\.title) == [
                "weightDecay=0.1 mode=factorized", "weightDecay=0.1 mode=randomA",
                "weightDecay=1 mode=factorized", "weightDecay=1 mode=randomA",
            ])
        #expect(grid.panels.map { $0.entries.count } == [4, 1, 4, 1] && !grid.collapses)
        for panel in grid.panels {
            let baseline = try #require(panel.baselines.first)
            #expect(panel.baselines.count == 1 && baseline.cell.shortLabelText == "\(panel.title.split(separator: " ")[0]) method=scratch")
        }
        let svg = heatmap.render()
        #expect(svg.contains("baseline weightDecay=0.1 method=scratch: 1000") && heatmap.caption.contains("Not drawn"))
        // Long labels wrap in the survival legend and the accuracy panel titles instead of losing their tails.
        #expect(!SurvivalPlot(report: report).render().contains("…") && !AccuracyPlot(report: report).render().contains("…"))
    }

    @Test func heatmapCollapsesSquaresWhenPanelsWouldBeTooMany() throws {
        let plan = try expandSweep(
            """
            { "name": "many", "budget": 4000, "grid": [
                { "path": "target.weightDecay", "values": [0.1, 1] }, { "path": "target.width", "values": [32, 64] },
                { "path": "target.learningRate", "values": [1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3] } ] }
            """)
        let results = plan.trials.enumerated().map { ReportFixture.grokked($1, at: 3000 - 10 * $0) }
        let report = SweepReport(state: try ReportFixture.state(plan, results: results), resamples: 20)
        let heatmap = HeatmapPlot(report: report)
        #expect(heatmap.grid.panels.count == 1 && heatmap.grid.collapses && heatmap.caption.contains("best cell"))
        // The square (wd 0.1, width 32) shows the best of its nine learning rates: the last, fastest one.
        let best = try #require(heatmap.grid.entry(in: heatmap.grid.panels[0], x: "0.1", y: "32", ranking: report.entries))
        #expect(best.cell.trials[0].config.training.learningRate == 9e-3)
    }

    // MARK: Tables

    @Test func terminalTableFitsOneHundredColumnsAndSpellsOutCutLabels() throws {
        let table = CellTable(report: SweepReport(state: try wideState(), resamples: 100)).render()
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 100 }, "\(lines.map(\.count).max() ?? 0) columns:\n\(table)")
        #expect(table.contains("t_grok") && table.contains("speedup") && table.contains("baseline"))

        let report = SweepReport(state: try wideState(), resamples: 100)
        let narrow = CellTable(report: report, width: 60).render()
        #expect(narrow.split(separator: "\n").allSatisfy { $0.count <= 60 }, "\(narrow)")
        for entry in report.entries {
            #expect(narrow.contains(entry.cell.shortLabelText), "the table wraps rather than cutting a label")
        }
        #expect(narrow.contains("t_grok") && narrow.contains("speedup"), "the key columns stay")
    }

    @Test func censoredCellsReadBeyondTheBudgetAndRankLast() throws {
        let report = SweepReport(state: try smokeState(), resamples: 100)
        #expect(report.entries.map(\.cell.label[0].text) == ["1", "0.3"], "best first")
        let table = CellTable(report: report).render()
        #expect(table.contains(">4000 (0/3)") && table.contains("2190") && table.contains("1955–2675"))
        let markdown = ReportMarkdown.render(report: report)
        #expect(markdown.contains("| 2 | target.weightDecay=0.3 | 3 | 0/3 | >4000 (0/3) |"))
        #expect(markdown.contains("censored") && !markdown.contains("PARTIAL"))
    }

    @Test func wideGridSpeedupsUseTheBaselineWithTheSameOtherAxes() throws {
        let report = SweepReport(state: try wideState(), resamples: 100)
        for entry in report.entries where !entry.isBaseline {
            let baselineKey = try #require(entry.baselineKey)
            let baseline = try #require(report.entry(for: baselineKey)).cell.trials[0].config
            let mine = entry.cell.trials[0].config
            #expect(baseline.training.weightDecay == 1)
            #expect(
                baseline.training.learningRate == mine.training.learningRate
                    && baseline.mlp?.embeddingDimensions == mine.mlp?.embeddingDimensions)
        }
    }

    @Test func cellsCSVHasOneRowPerCellBestFirst() throws {
        let csv = CellsCSV.render(report: SweepReport(state: try smokeState(), resamples: 100))
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 3)
        let header = rows[0]
        let value = { (row: Int, name: String) in header.firstIndex(of: name).map { rows[row][$0] } }
        #expect(value(1, "target.weightDecay") == "1" && value(1, "is_baseline") == "true")
        #expect(value(1, "t_grok_median") == "2190" && value(1, "t_grok_q1") == "1955")
        #expect(value(2, "t_grok_median") == "inf" && value(2, "estimator") == "kaplan-meier")
        #expect(value(2, "pairs_upper_bound") == "3" && value(2, "speedup") == "")
        #expect(rows.allSatisfy { $0.count == header.count })
    }

    @Test func trialsCSVKeepsItsColumnsAndAddsBudgetAndAttempts() throws {
        let csv = TrialsCSV.render(state: try smokeState())
        let header = try #require(csv.split(separator: "\n").first)
        #expect(header.hasPrefix("trial,cell,target.weightDecay,seed,state,outcome,t_mem,t_grok,delay,steps,seconds"))
        #expect(header.hasSuffix(",error,budget,attempts,recomputed_steps"))
        #expect(csv.contains(",4000,1,0\n"))
    }
}
