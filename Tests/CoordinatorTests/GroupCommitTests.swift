import Foundation
import Protocol
import Testing

@testable import Coordinator

/// Group commit: staged records change the state at once but reach the file only on `commit`,
/// all together; `append` is stage + commit. Plus the O(1) queue and roster behind dispatch.
@Suite struct GroupCommitTests {
    @Test("staged records are in the state at once and in the file only after commit")
    func stagedRecordsReachDiskOnCommit() throws {
        let directory = temporaryRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plan = try journalPlan()
        let ids = plan.trialIds
        let journal = try Journal.start(plan: plan, runDirectory: directory)
        let linesBefore = try journalLines(directory).count
        #expect(try journal.stage(.assigned(trial: ids[0], worker: "w1", attempt: 1)))
        #expect(try journal.stage(.finished(result(ids[0]))))
        #expect(try !journal.stage(.finished(result(ids[0], host: "late"))), "a duplicate stages nothing")
        #expect(journal.state.state(of: ids[0]) == .finished && journal.hasStagedRecords)
        #expect(try journalLines(directory).count == linesBefore, "nothing written before commit")
        #expect(throws: IllegalTransition.self) { try journal.stage(.assigned(trial: ids[0], worker: "w2", attempt: 2)) }
        try journal.commit()
        #expect(!journal.hasStagedRecords)
        #expect(try journalLines(directory).count == linesBefore + 2)
        let replayed = try Journal.read(runDirectory: directory)
        #expect(replayed.counts == journal.state.counts)
        #expect(replayed.counts.finished == 1 && replayed.counts.queued == ids.count - 1)
        #expect(replayed.progress[ids[0]]?.assignedWorkers == ["w1"])
    }

    @Test("state counts follow every transition and survive replay")
    func stateCounts() throws {
        let directory = temporaryRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plan = try journalPlan()
        let ids = plan.trialIds
        let journal = try Journal.start(plan: plan, runDirectory: directory)
        try journal.append(.assigned(trial: ids[0], worker: "w1", attempt: 1))
        try journal.append(.assigned(trial: ids[1], worker: "w2", attempt: 1))
        try journal.append(.attemptFailed(trial: ids[1], worker: "w2", attempt: 1, error: "gone"))
        try journal.append(.finished(result(ids[0], tGrok: nil)))
        try journal.append(.failed(trial: ids[2], attempts: 0, error: "given up"))
        let expected = StateCounts(queued: ids.count - 2, running: 0, finished: 1, failed: 1, censored: 1)
        #expect(journal.state.counts == expected)
        #expect(try Journal.read(runDirectory: directory).counts == expected)
    }

    @Test("the trial queue: retries first, sweep order after, lazily skipped entries")
    func trialQueue() {
        var queue = TrialQueue(["a", "b", "c", "d"])
        #expect(queue.next { _ in true } == "a")
        queue.requeueFirst("a")
        #expect(queue.next { _ in true } == "a")
        #expect(queue.next { $0 != "b" } == "c", "b was finished meanwhile: skipped")
        #expect(queue.next { _ in true } == "d")
        #expect(queue.next { _ in true } == nil && queue.count == 0)
    }

    @Test("the roster hands out idle workers oldest first, once each, and forgets the silent")
    func rosterIdleOrder() {
        var roster = WorkerRoster()
        let now = ContinuousClock.now
        let info = WorkerInfo(workerId: "x", host: "h", cores: 1, build: "b", blasThreads: 1, pid: 1)
        for name in ["w1", "w2", "w3"] { roster.greet(PeerID(name), info: info, now: now) }
        roster.setIdle(PeerID("w2"), now: now)
        roster.setIdle(PeerID("w1"), now: now)
        roster.setIdle(PeerID("w2"), now: now)
        #expect(roster.takeIdle() == PeerID("w2"))
        roster.hold(PeerID("w2"), trial: "t", attempt: 1, now: now)
        #expect(roster.holder(of: "t") == PeerID("w2"))
        #expect(roster.takeIdle() == PeerID("w1"))
        roster.returnIdle(PeerID("w1"))
        #expect(roster.takeIdle() == PeerID("w1"))
        #expect(roster.takeIdle() == nil)
        roster.heard(PeerID("w1"), now: now + .seconds(10))
        let silent = roster.removeSilent(before: now + .seconds(5)).map(\.0)
        #expect(Set(silent) == [PeerID("w2"), PeerID("w3")])
        #expect(roster.holder(of: "t") == nil && roster.count == 1)
    }

    @Test("regression: coordinator restarts do not count as failed attempts; worker failures do")
    func interruptionsAreNotFailures() throws {
        let directory = temporaryRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plan = try journalPlan()
        let trial = plan.trialIds[0]
        let journal = try Journal.start(plan: plan, runDirectory: directory)
        for attempt in 1...2 {
            try journal.append(.assigned(trial: trial, worker: "w1", attempt: attempt))
            try journal.append(.interrupted(reason: "restart"))
        }
        try journal.append(.assigned(trial: trial, worker: "w1", attempt: 3))
        try journal.append(.attemptFailed(trial: trial, worker: "w1", attempt: 3, error: "killed"))
        #expect(journal.progress(of: trial)?.attempts == 3)
        #expect(journal.progress(of: trial)?.failedAttempts == 1)
        #expect(try Journal.read(runDirectory: directory).progress[trial]?.failedAttempts == 1)
    }
}
