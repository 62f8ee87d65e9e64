import Foundation
import Protocol
import Testing
import TrialSchema

@testable import Coordinator

/// A fresh run directory under the system temporary directory.
func temporaryRunDirectory() -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("groksweep-journal-\(UUID().uuidString)")
    return url.path
}

/// A two-cell, two-seed plan; `widths` adds cells for the extend tests.
func journalPlan(weightDecays: [Double] = [0.1, 1]) throws -> SweepPlan {
    let values = weightDecays.map { JSONValue.number($0).canonicalText }.joined(separator: ", ")
    return try expandSweep(
        #"{ "name": "j", "budget": 100, "grid": [{ "path": "target.weightDecay", "values": [\#(values)] }], "seeds": [0, 1] }"#)
}

func result(_ trial: String, tGrok: Int? = 50, host: String = "node-a") -> TrialResult {
    TrialResult(
        trialId: trial, outcome: tGrok == nil ? .censored : .grokked, tMem: 20, tGrok: tGrok, steps: 60,
        seconds: 1.5, flops: 1e9, blasThreads: 1, host: host,
        curve: [CurvePoint(step: 0, trainLoss: 3, trainAccuracy: 0.1, testLoss: .nan, testAccuracy: 0.05)])
}

func journalLines(_ directory: String) throws -> [String] {
    let text = try String(contentsOfFile: (directory as NSString).appendingPathComponent(Journal.fileName), encoding: .utf8)
    return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

@Suite struct JournalTests {
    // MARK: Append and replay

    @Test func appendedRecordsReplayToTheSameState() throws {
        let directory = temporaryRunDirectory()
        let plan = try journalPlan()
        let ids = plan.trialIds
        do {
            let journal = try Journal.start(plan: plan, runDirectory: directory)
            try journal.append(.assigned(trial: ids[0], worker: "w1", attempt: 1))
            try journal.append(.finished(result(ids[0])))
            try journal.append(.assigned(trial: ids[1], worker: "w2", attempt: 1))
            try journal.append(.attemptFailed(trial: ids[1], worker: "w2", attempt: 1, error: "worker lost"))
            try journal.append(.assigned(trial: ids[1], worker: "w1", attempt: 2))
            try journal.append(.failed(trial: ids[1], attempts: 2, error: "segfault"))
            try journal.append(.interrupted(reason: "Ctrl-C"))
            #expect(journal.state.finished == [ids[0]])
        }
        let lines = try journalLines(directory)
        #expect(lines.count == 9 && lines.last == "", "8 records, each ending in a newline")
        let state = try Journal.read(runDirectory: directory)
        #expect(state.sweep?.name == "j")
        #expect(state.trials.map(\.id) == ids)
        #expect(state.trials[2].cellLabel == [LabelPart(path: "target.weightDecay", value: .number(1))])
        #expect(state.trials[3].config == plan.trials[3].config, "configs survive the journal")
        #expect(state.finished == [ids[0]] && state.failed == [ids[1]] && state.queued == [ids[2], ids[3]])
        #expect(state.results[ids[0]]?.tGrok == 50)
        #expect(state.results[ids[0]]?.curve[0].testLoss.isNaN == true)
        #expect(state.progress[ids[1]]?.attempts == 2 && state.progress[ids[1]]?.lastError == "segfault")
        #expect(state.interruptions == 1)
    }

    @Test func duplicateResultsAreIgnoredAndNotWritten() throws {
        let directory = temporaryRunDirectory()
        let plan = try journalPlan()
        let trial = plan.trialIds[0]
        let journal = try Journal.start(plan: plan, runDirectory: directory)
        try journal.append(.assigned(trial: trial, worker: "w1", attempt: 1))
        #expect(try journal.append(.finished(result(trial, tGrok: 40))))
        #expect(try journal.append(.finished(result(trial, tGrok: 90, host: "late"))) == false)
        #expect(journal.state.results[trial]?.tGrok == 40)
        #expect(try journalLines(directory).count == 4)

        // A duplicate that did reach a journal (another writer, an old build) is ignored on replay.
        let lines = try journalLines(directory).dropLast() + [JournalRecord.finished(result(trial, tGrok: 90)).line()]
        let state = try JournalReplay.replay(lines: Array(lines))
        #expect(state.results[trial]?.tGrok == 40 && state.duplicateResults == 1)
    }

    // MARK: Crash tolerance

    @Test(arguments: [#"{"type":"assigned","tri"#, "garbage", #"{"type":"assigned"}"#])
    func tornLastLineIsIgnoredAndCutBeforeAppending(tail: String) throws {
        let directory = temporaryRunDirectory()
        let plan = try journalPlan()
        let path = (directory as NSString).appendingPathComponent(Journal.fileName)
        do {
            let journal = try Journal.start(plan: plan, runDirectory: directory)
            try journal.append(.assigned(trial: plan.trialIds[0], worker: "w1", attempt: 1))
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(tail.utf8))
        try handle.close()

        let outcome = try JournalReplay.replay(data: Data(contentsOf: URL(fileURLWithPath: path)), file: path)
        #expect(outcome.tornLineNumber == 3)
        #expect(outcome.state.inFlight == [plan.trialIds[0]])

        let journal = try Journal.start(plan: plan, runDirectory: directory)
        try journal.append(.assigned(trial: plan.trialIds[1], worker: "w2", attempt: 1))
        let lines = try journalLines(directory)
        #expect(!lines.contains(tail))
        #expect(lines.dropLast().allSatisfy { (try? JournalRecord(json: JSONValue.parse($0))) != nil }, "valid JSONL again")
    }

    @Test func corruptLineInTheMiddleIsAnErrorNamingTheLine() throws {
        let plan = try journalPlan()
        let lines = [
            JournalRecord.sweep(SweepRecord(plan: plan)).line(),
            "{ not json",
            JournalRecord.assigned(trial: plan.trialIds[0], worker: "w1", attempt: 1).line(),
        ]
        #expect {
            try JournalReplay.replay(lines: lines, file: "runs/x/journal.jsonl")
        } throws: { error in
            "\(error)".hasPrefix("runs/x/journal.jsonl: line 2: not a journal record")
        }
    }

    @Test func repairSetsCorruptLinesAsideKeepsTheOriginalAndTheTrialsRunAgain() throws {
        let directory = temporaryRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plan = try journalPlan()
        let ids = plan.trialIds
        do {
            let journal = try Journal.start(plan: plan, runDirectory: directory)
            try journal.append(.assigned(trial: ids[0], worker: "w1", attempt: 1))
            try journal.append(.finished(result(ids[0])))
            try journal.append(.assigned(trial: ids[1], worker: "w2", attempt: 1))
            try journal.append(.finished(result(ids[1])))
        }
        // Line 3, trial 0's result, is corrupted.
        let path = (directory as NSString).appendingPathComponent(Journal.fileName)
        var lines = try journalLines(directory)
        let before = lines.joined(separator: "\n")
        lines[2] = String(lines[2].prefix(20)) + "\u{0}#" + String(lines[2].dropFirst(22))
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try Journal.read(runDirectory: directory)
        } throws: { error in
            "\(error)".contains("line 3: not a journal record") && "\(error)".contains("grok-coord repair \(directory)")
        }

        let outcome = try JournalRepair.repair(runDirectory: directory)
        #expect(outcome.setAside.map(\.line) == [3] && outcome.kept == 4)
        let original = try #require(outcome.original)
        #expect(try String(contentsOfFile: original, encoding: .utf8) != before, "the corrupted original, as it was")
        #expect(try String(contentsOfFile: original, encoding: .utf8).contains("\u{0}#"))
        let state = try Journal.read(runDirectory: directory)
        #expect(state.finished == [ids[1]], "trial 1's result survives")
        #expect(state.progress[ids[0]]?.state == .running(worker: "w1", attempt: 1), "back to running: a resumed run requeues it")
        // A journal that replays needs nothing.
        #expect(try JournalRepair.repair(runDirectory: directory).original == nil)
        // While a coordinator holds the run, repair refuses.
        let journal = try Journal.open(runDirectory: directory)
        withExtendedLifetime(journal) {
            #expect(throws: JournalError.locked(file: path)) { try JournalRepair.repair(runDirectory: directory) }
        }
    }

    @Test func impossibleRecordIsAnErrorNamingTheLine() throws {
        let plan = try journalPlan()
        let lines = [
            JournalRecord.sweep(SweepRecord(plan: plan)).line(),
            JournalRecord.finished(result("0000000000000000")).line(),
            JournalRecord.interrupted(reason: "x").line(),
        ]
        #expect(throws: JournalError.badLine(file: "journal.jsonl", line: 2, reason: "unknown trial 0000000000000000")) {
            try JournalReplay.replay(lines: lines)
        }
    }

    // MARK: Resume

    @Test func inFlightTrialsAreRequeuedOnResume() throws {
        let directory = temporaryRunDirectory()
        let plan = try journalPlan()
        let ids = plan.trialIds
        do {
            let journal = try Journal.start(plan: plan, runDirectory: directory)
            try journal.append(.assigned(trial: ids[0], worker: "w1", attempt: 1))
            try journal.append(.finished(result(ids[0])))
            try journal.append(.assigned(trial: ids[1], worker: "w2", attempt: 1))
        }
        let replayed = try Journal.read(runDirectory: directory)
        #expect(replayed.inFlight == [ids[1]])

        let journal = try Journal.start(plan: plan, runDirectory: directory)
        #expect(journal.state.inFlight.isEmpty)
        #expect(journal.state.queued == [ids[1], ids[2], ids[3]], "the in-flight trial runs again; the finished one never")
        #expect(journal.state.finished == [ids[0]])
        // The next attempt of the requeued trial is attempt 2, and replaying the whole file agrees.
        try journal.append(.assigned(trial: ids[1], worker: "w3", attempt: 2))
        #expect(try Journal.read(runDirectory: directory).state(of: ids[1]) == .running(worker: "w3", attempt: 2))
    }

    @Test func changedSpecIsRefusedAndExtendAddsOnlyNewTrials() throws {
        let directory = temporaryRunDirectory()
        let original = try journalPlan()
        do {
            let journal = try Journal.start(plan: original, runDirectory: directory)
            try journal.append(.assigned(trial: original.trialIds[0], worker: "w1", attempt: 1))
            try journal.append(.finished(result(original.trialIds[0])))
        }
        let grown = try journalPlan(weightDecays: [0.1, 1, 3])
        #expect {
            try Journal.start(plan: grown, runDirectory: directory)
        } throws: { error in
            "\(error)".contains("adds 2 trials") && "\(error)".contains("--extend")
        }
        let shrunk = try journalPlan(weightDecays: [0.1])
        #expect {
            try Journal.start(plan: shrunk, runDirectory: directory, extend: true)
        } throws: { error in
            "\(error)".contains("drops 2 trials") && "\(error)".contains("new run directory")
        }

        do {
            let journal = try Journal.start(plan: grown, runDirectory: directory, extend: true)
            #expect(journal.state.trialIds == grown.trialIds)
            #expect(journal.state.fingerprint == grown.fingerprint)
            #expect(journal.state.finished == [original.trialIds[0]], "finished trials stay finished")
            #expect(journal.state.queued.count == 5)
        }
        let lines = try journalLines(directory)
        #expect(lines.filter { $0.contains(#""type":"extended""#) }.count == 1)
        // Same spec again: continues without writing anything.
        _ = try Journal.start(plan: grown, runDirectory: directory)
        #expect(try journalLines(directory) == lines)
    }

    @Test func raisedBudgetRenamesTrialsKeepsGrokkedResultsAndRequeuesCensoredOnes() throws {
        let directory = temporaryRunDirectory()
        func plan(budget: Int) throws -> SweepPlan {
            try expandSweep(#"{ "name": "j", "budget": \#(budget), "seeds": [0, 1, 2] }"#)
        }
        let original = try plan(budget: 100)
        let ids = original.trialIds
        do {
            let journal = try Journal.start(plan: original, runDirectory: directory)
            try journal.append(.assigned(trial: ids[0], worker: "w1", attempt: 1))
            try journal.append(.finished(result(ids[0], tGrok: 50)))
            try journal.append(.assigned(trial: ids[1], worker: "w1", attempt: 1, fromStep: nil))
            try journal.append(.checkpoint(trial: ids[1], worker: "w1", step: 100, bytes: 4096))
            try journal.append(.finished(result(ids[1], tGrok: nil)))
            try journal.append(.assigned(trial: ids[2], worker: "w2", attempt: 1))
            try journal.append(.attemptFailed(trial: ids[2], worker: "w2", attempt: 1, error: "killed", reached: 70))
        }
        #expect {
            try Journal.start(plan: try plan(budget: 50), runDirectory: directory)
        } throws: { error in
            guard case .budgetLowered(_, _, let trials, let from, let to) = error as? JournalError else { return false }
            return trials == 3 && from == 100 && to == 50
        }
        let raised = try plan(budget: 300)
        let state: JournalState
        do {
            let journal = try Journal.start(plan: raised, runDirectory: directory)
            state = journal.state
        }
        let newIds = raised.trialIds
        #expect(state.trialIds == newIds, "the trials take their ids under the new budget")
        #expect(state.results[newIds[0]]?.tGrok == 50 && state.state(of: newIds[0]) == .finished, "grokked: kept")
        #expect(state.state(of: newIds[1]) == .queued && state.results[newIds[1]] == nil, "censored: runs on")
        #expect(state.progress[newIds[1]]?.checkpointStep == 100, "from its final state")
        #expect(state.progress[newIds[2]]?.reachedStep == 70 && state.progress[newIds[2]]?.attempts == 1)
        #expect(state.counts.finished == 1 && state.counts.censored == 0 && state.counts.queued == 2)
        #expect(try Journal.read(runDirectory: directory).counts == state.counts, "replay agrees")
        // Continuing from step 100 after the killed attempt reached 70 recomputes nothing; from 0, 70.
        var progress = try #require(state.progress[newIds[2]])
        progress.continued(from: 0)
        #expect(progress.recomputedSteps == 70)
        // The same raised file again: nothing more is written.
        let lines = try journalLines(directory)
        _ = try Journal.start(plan: raised, runDirectory: directory)
        #expect(try journalLines(directory) == lines)
        #expect(lines.filter { $0.contains(#""type":"budgetRaised""#) }.count == 1)
    }

    @Test func illegalTransitionsNeverReachTheDisk() throws {
        let directory = temporaryRunDirectory()
        let plan = try journalPlan()
        let trial = plan.trialIds[0]
        let journal = try Journal.start(plan: plan, runDirectory: directory)
        #expect(throws: IllegalTransition.self) { try journal.append(.attemptFailed(trial: trial, worker: "w1", attempt: 1, error: "x")) }
        #expect(throws: IllegalTransition.self) { try journal.append(.assigned(trial: trial, worker: "w1", attempt: 2)) }
        #expect(throws: JournalError.invalidRecord("unknown trial nope")) {
            try journal.append(.assigned(trial: "nope", worker: "w1", attempt: 1))
        }
        #expect(try journalLines(directory).count == 2, "only the sweep record")
    }

    @Test func secondCoordinatorOnTheSameRunIsRefused() throws {
        let directory = temporaryRunDirectory()
        let plan = try journalPlan()
        let journal = try Journal.start(plan: plan, runDirectory: directory)
        #expect(throws: JournalError.self) { try Journal.start(plan: plan, runDirectory: directory) }
        withExtendedLifetime(journal) {}
    }
}
