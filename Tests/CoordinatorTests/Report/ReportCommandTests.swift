import Foundation
import Protocol
import Testing

@testable import Coordinator

/// `grok-coord report RUN_DIR` on runs that did not finish: a partial report, never an error.
@Suite struct ReportCommandTests {
    private func file(_ directory: String, _ name: String) throws -> String {
        try String(contentsOfFile: (directory as NSString).appendingPathComponent(name), encoding: .utf8)
    }

    @Test func killedSweepGivesAPartialReportWithoutTakingTheLock() throws {
        let directory = ReportFixture.temporaryDirectory()
        let plan = try ReportFixture.weightDecayPlan(seeds: 3)
        let trials = plan.trials
        // A live coordinator holds the journal (and its lock) while the report is rebuilt.
        let journal = try Journal.start(plan: plan, runDirectory: directory)
        for (trial, step) in zip([trials[3], trials[4]], [1720, 3160]) {
            try journal.append(.assigned(trial: trial.id, worker: "w1", attempt: 1))
            try journal.append(.finished(ReportFixture.grokked(trial, at: step)))
        }
        try journal.append(.assigned(trial: trials[0].id, worker: "w1", attempt: 1))
        try journal.append(.finished(ReportFixture.censored(trials[0])))
        try journal.append(.assigned(trial: trials[5].id, worker: "w2", attempt: 1))

        try ReportCommand.parse([directory, "--quiet"]).run()
        let markdown = try file(directory, "report.md")
        #expect(markdown.contains("**PARTIAL**") && markdown.contains("3 of 6 trials finished (1 running, 2 queued)"))
        #expect(markdown.contains("| 1 | target.weightDecay=1 | 2+1 | 2/2 | 2440 |"), "\(markdown)")
        #expect(try file(directory, "report.html").contains("<b>PARTIAL</b>"))
        #expect(try file(directory, "cells.csv").split(separator: "\n").count == 3)
        #expect(try file(directory, "trials.csv").contains(",running,"))
        _ = journal
    }

    @Test func journalTornMidRecordStillReports() throws {
        let directory = ReportFixture.temporaryDirectory()
        let plan = try ReportFixture.weightDecayPlan(seeds: 2)
        do {
            let journal = try Journal.start(plan: plan, runDirectory: directory)
            try journal.append(.assigned(trial: plan.trials[2].id, worker: "w1", attempt: 1))
            try journal.append(.finished(ReportFixture.grokked(plan.trials[2], at: 900)))
            try journal.append(.assigned(trial: plan.trials[3].id, worker: "w1", attempt: 1))
        }
        // The coordinator died while appending the next result: half a line at the end.
        let path = (directory as NSString).appendingPathComponent(Journal.fileName)
        let line = JournalRecord.finished(ReportFixture.grokked(plan.trials[3], at: 1100)).line()
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(line.prefix(line.count / 2).utf8))
        try handle.close()

        try ReportCommand.parse([directory, "--quiet"]).run()
        let markdown = try file(directory, "report.md")
        #expect(markdown.contains("**PARTIAL**") && markdown.contains("1 of 4 trials finished"))
        #expect(try file(directory, "report.html").contains("class=\"survival\""))
    }

    @Test func sweepWithNoResultsYetReportsWithoutPlots() throws {
        let directory = ReportFixture.temporaryDirectory()
        _ = try Journal.start(plan: try ReportFixture.weightDecayPlan(seeds: 1), runDirectory: directory)
        try ReportCommand.parse([directory, "--quiet"]).run()
        let html = try file(directory, "report.html")
        #expect(html.contains("No trial has an outcome yet") && html.contains("PARTIAL"))
        #expect(try file(directory, "report.md").contains("0 of 2 trials finished"))
    }
}
