import Foundation
import Protocol
import Testing

@testable import Coordinator

/// Peers that break the protocol's manners over real ZeroMQ sockets against a real `grok-coord`:
/// whatever they do, every trial finishes exactly once and none is given up because of them.
@Suite("End to end: misbehaving workers", .serialized, .timeLimit(.minutes(6)))
struct MisbehavingWorkerTests {
    @Test("a worker flooding `ready` while it holds a trial costs that trial nothing; the sweep completes")
    func readyFlood() async throws {
        let directory = try EndToEnd.scratchDirectory("readyflood")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "readyflood", seeds: 6, budget: 2000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        let port = try EndToEnd.freePort()
        // The watchdog kept well away: on a busy test pool this test may resume a minute late,
        // and the flood must still meet a trial the flooder holds.
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [
                sweep, "--run-dir", runDirectory, "--bind", "tcp://127.0.0.1:\(port)",
                "--local-workers", "1", "--progress-timeout", "600",
            ],
            name: "coord", logDirectory: directory)
        defer {
            coordinator.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
        }

        // The flooder: a real DEALER that says hello, asks once, takes a trial, then sends 100
        // `ready` in a burst while heartbeating, and finally goes silent without a result.
        let flooder = try ZeroMQWorkerTransport(connect: "tcp://127.0.0.1:\(port)", routingId: PeerID("flooder"))
        defer { flooder.close() }
        let info = WorkerInfo(
            workerId: "flooder", host: "test", cores: 1, build: "test", blasThreads: 1,
            pid: Int(ProcessInfo.processInfo.processIdentifier))
        try flooder.send(.hello(info))
        try flooder.send(.ready)
        // Heartbeats on a thread of their own: the test may resume late on a busy test pool, and
        // a silent flooder would be presumed dead before its flood.
        let beats = BackgroundLoop(every: 0.3) { try? flooder.send(.heartbeat) }
        var held: (trial: String, attempt: Int)?
        try await EndToEnd.waitUntil("an assignment to the flooder", timeout: .seconds(20), context: { coordinator.logTail() }) {
            // Heartbeats while waiting: a busy machine may take longer than the liveness timeout
            // to hand out the first trial, and a silent flooder would be presumed dead.
            try flooder.send(.heartbeat)
            if case .assign(let trial, let attempt, _)? = flooder.receive(timeout: .milliseconds(20)) { held = (trial, attempt) }
            return held != nil
        }
        let trial = try #require(held).trial
        for _ in 0..<100 { try flooder.send(.ready) }
        // Wait for the repeated assignment (however busy the machine), then keep listening a
        // while longer: the rate limit allows at most one more per heartbeat interval.
        var repeated = 0
        var lastBeat = ContinuousClock.now
        func drain() throws {
            if ContinuousClock.now - lastBeat > .milliseconds(500) {
                try flooder.send(.heartbeat)
                lastBeat = ContinuousClock.now
            }
            while let message = flooder.receive(timeout: .milliseconds(20)) {
                if case .assign(let again, let attempt, _) = message {
                    #expect(again == trial && attempt == 1, "only the held trial is repeated")
                    repeated += 1
                }
            }
        }
        try await EndToEnd.waitUntil("the repeated assignment", timeout: .seconds(30), context: { coordinator.logTail() }) {
            try drain()
            return repeated > 0
        }
        let listenUntil = ContinuousClock.now + .milliseconds(1500)
        while ContinuousClock.now < listenUntil { try drain() }
        beats.stop()
        flooder.close()
        #expect(repeated >= 1 && repeated <= 3, "assignment repeated \(repeated) times for 100 readies")

        let status = await coordinator.exitStatus(within: .seconds(60))
        #expect(status == 0, "coordinator exit status\n\(coordinator.logTail())")
        let journal = try JournalLines(runDirectory: runDirectory)
        let counts = journal.finishedCounts
        #expect(counts.count == 6 && counts.values.allSatisfy { $0 == 1 }, "\(journal.summary)")
        #expect(journal.of("failed").isEmpty, "no trial was given up\n\(journal.summary)")
        // The only failed attempt is the flooder's silence; the burst itself cost nothing.
        let failures = journal.of("attemptFailed")
        #expect(
            failures.count == 1 && failures.first?.trial == trial && failures.first?.worker == "flooder"
                && failures.first?.error?.contains("silent") == true, "\(journal.summary)")
    }

    @Test("a local worker killed mid-trial: the failed attempt says how it died, and the trial runs again")
    func localWorkerDeathIsExplained() async throws {
        let directory = try EndToEnd.scratchDirectory("localdeath")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Trials long enough (~10 s each on a quiet core) that the kill lands mid-trial even when
        // this test resumes late on a busy test pool.
        let sweep = try EndToEnd.writeSweep(in: directory, name: "localdeath", seeds: 2, budget: 30000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"), [sweep, "--run-dir", runDirectory, "--local-workers", "1"],
            name: "coord", logDirectory: directory)
        defer {
            coordinator.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
        }
        try await EndToEnd.waitUntil("an assignment", timeout: .seconds(20), context: { coordinator.logTail() }) {
            try !JournalLines(runDirectory: runDirectory).of("assigned").isEmpty
        }
        let victims = EndToEnd.localWorkerPids(of: coordinator.pid)
        try #require(victims.count == 1, "one live local worker: \(victims)\n\(coordinator.logTail())")
        kill(victims[0], SIGKILL)

        #expect(await coordinator.exitStatus(within: .seconds(180)) == 0, "\(coordinator.logTail())")
        let journal = try JournalLines(runDirectory: runDirectory)
        let failures = journal.of("attemptFailed")
        #expect(failures.count == 1 && failures.first?.error?.contains("killed by signal 9") == true, "\(journal.summary)")
        #expect(journal.finishedCounts.values.sorted() == [1, 1] && journal.of("failed").isEmpty)
    }

    @Test("a worker that takes a trial, heartbeats and never reports progress: the watchdog runs the trial elsewhere")
    func hungWorker() async throws {
        let directory = try EndToEnd.scratchDirectory("hung")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "hung", seeds: 6, budget: 2000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        let port = try EndToEnd.freePort()
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [
                sweep, "--run-dir", runDirectory, "--bind", "tcp://127.0.0.1:\(port)",
                "--local-workers", "1", "--progress-timeout", "2",
            ],
            name: "coord", logDirectory: directory)
        defer {
            coordinator.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
        }
        // The hung peer: hello, ready, takes a trial, then only heartbeats until the sweep ends.
        let hung = try ZeroMQWorkerTransport(connect: "tcp://127.0.0.1:\(port)", routingId: PeerID("hung"))
        defer { hung.close() }
        try hung.send(.hello(WorkerInfo(workerId: "hung", host: "test", cores: 1, build: "test", blasThreads: 1, pid: 1)))
        try hung.send(.ready)
        let beats = BackgroundLoop(every: 0.3) { try? hung.send(.heartbeat) }
        defer { beats.stop() }
        var trial: String?
        var lastBeat = ContinuousClock.now
        try await EndToEnd.waitUntil(
            "the sweep to end while the hung peer heartbeats", timeout: .seconds(60),
            context: { coordinator.logTail() }
        ) {
            if case .assign(let id, _, _)? = hung.receive(timeout: .milliseconds(20)), trial == nil { trial = id }
            if ContinuousClock.now - lastBeat > .milliseconds(500) {
                try? hung.send(.heartbeat)
                lastBeat = ContinuousClock.now
            }
            return !coordinator.isRunning
        }
        #expect(await coordinator.exitStatus(within: .seconds(5)) == 0, "\(coordinator.logTail())")
        let held = try #require(trial, "the hung peer was given a trial")
        let journal = try JournalLines(runDirectory: runDirectory)
        #expect(journal.finishedCounts.count == 6 && journal.finishedCounts.values.allSatisfy { $0 == 1 }, "\(journal.summary)")
        #expect(journal.of("failed").isEmpty)
        let failures = journal.of("attemptFailed")
        #expect(
            failures.count == 1 && failures.first?.trial == held && failures.first?.worker == "hung"
                && failures.first?.error?.hasPrefix("no progress for") == true, "\(journal.summary)")
    }
}
