import Foundation
import Testing

@testable import Coordinator

@Suite("Sweep status: ETA and the live view's lines")
struct SweepStatusTests {
    private func trial(_ id: String, step: Int?, rate: Double?, budget: Int = 1000) -> SweepStatus.RunningTrial {
        SweepStatus.RunningTrial(
            trial: id, label: "wd=\(id)", seed: 0, worker: "w-\(id)", attempt: 1, budget: budget, step: step,
            trainAccuracy: step == nil ? nil : 1, testAccuracy: step == nil ? nil : 0.25, stepsPerSecond: rate)
    }

    private func status(_ running: [SweepStatus.RunningTrial], queued: Int) -> SweepStatus {
        SweepStatus(
            sweep: "s", phase: .running, updatedAt: 0, coordinatorPid: 1, total: 10, finished: 2, failed: 0, censored: 0,
            queued: queued, runningCount: running.count, workers: 2, elapsed: 65, etaSeconds: 125, running: running, failures: [])
    }

    @Test("ETA: running trials' time left plus queued trials at the measured rate, over the workers")
    func eta() {
        // Two workers at 10 steps/s on 1000-step trials: 100 s a trial. Left: 50 s and 90 s; 3 queued.
        let running = [trial("a", step: 500, rate: 10), trial("b", step: 100, rate: 10)]
        let eta = SweepStatus.eta(running: running, queued: 3, workers: 2, finishedSecondsThisSession: [])
        #expect(eta == 220.0)
        // Nothing queued: the slowest running trial decides.
        #expect(SweepStatus.eta(running: running, queued: 0, workers: 2, finishedSecondsThisSession: []) == 90)
        // No rate anywhere: finished trials' durations, else unknown.
        let starting = [trial("c", step: nil, rate: nil)]
        #expect(SweepStatus.eta(running: starting, queued: 1, workers: 2, finishedSecondsThisSession: [40]) == 40)
        #expect(SweepStatus.eta(running: starting, queued: 1, workers: 2, finishedSecondsThisSession: []) == nil)
    }

    @Test("one summary line, one line per running trial, cut to the width and to the trial limit")
    func lines() {
        let running = (0..<5).map { trial("\($0)", step: $0 == 0 ? nil : 100 * $0, rate: 12.5) }
        let lines = LiveView.lines(status(running, queued: 3), width: 80, maximumTrials: 3)
        #expect(lines.count == 1 + 3 + 1)
        #expect(lines[0].hasPrefix("[2/10] ETA 2m05s  running 5  queued 3"))
        #expect(lines[1].contains("wd=0 s0") && lines[1].contains("starting"))
        #expect(
            lines[2].contains("step 100/1000") && lines[2].contains("test 0.250") && lines[2].contains("12.5 steps/s")
                && lines[2].contains("ETA 1m12s"))
        #expect(lines.last == "  … and 2 more running")
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(LiveView.lines(status(running, queued: 3), width: 30, maximumTrials: 9).allSatisfy { $0.count <= 30 })
    }

    @Test("status of a stopped coordinator says so; failures are listed with their errors")
    func staleAndFailures() {
        var stale = status([trial("a", step: 10, rate: 1)], queued: 0)
        stale.failures = [SweepStatus.FailedTrial(trial: "t1", label: "wd=1", seed: 2, error: "out of memory")]
        let lines = StatusCommand.render(stale, width: 200, now: 100)
        #expect(lines[0].contains("coordinator (pid 1) seems stopped"))
        #expect(lines.contains { $0.contains("wd=1 s2") && $0.contains("out of memory") })
        #expect(!StatusCommand.render(stale, width: 200, now: 5)[0].contains("stopped"))
    }
}
