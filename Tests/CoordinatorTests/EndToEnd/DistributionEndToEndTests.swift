import Foundation
import Protocol
import Testing

@testable import Coordinator

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The distribution promises of PRODUCT §6, checked over real `grok-coord` and `grok-worker`
/// processes and real ZeroMQ sockets on loopback: killed workers, a killed coordinator, a worker
/// that starts first, a garbage peer, and Ctrl-C. Serialized: each test keeps both cores busy.
@Suite("End to end: distribution over real processes", .serialized, .timeLimit(.minutes(6)))
struct DistributionEndToEndTests {
    // MARK: Helpers

    private struct Run {
        let directory: String
        let sweep: String
        var runDirectory: String { (directory as NSString).appendingPathComponent("run") }

        init(_ label: String, seeds: Int, budget: Int) throws {
            directory = try EndToEnd.scratchDirectory(label)
            sweep = try EndToEnd.writeSweep(in: directory, name: label, seeds: seeds, budget: budget)
        }

        func coordinator(_ name: String, extra: [String]) throws -> ChildProcess {
            try ChildProcess(
                EndToEnd.binary("grok-coord"), [sweep, "--run-dir", runDirectory] + extra,
                name: name, logDirectory: directory)
        }

        func worker(_ id: String, port: Int) throws -> ChildProcess {
            try ChildProcess(
                EndToEnd.binary("grok-worker"), ["--connect", "tcp://127.0.0.1:\(port)", "--id", id],
                name: id, logDirectory: directory)
        }

        func journal() throws -> JournalLines { try JournalLines(runDirectory: runDirectory) }

        /// Removes the scratch directory, unless GROKSWEEP_E2E_KEEP is set (then prints where it is).
        func cleanUp() {
            if ProcessInfo.processInfo.environment["GROKSWEEP_E2E_KEEP"] != nil {
                print("end-to-end scratch directory kept: \(directory)")
            } else {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    /// Every trial of the sweep has exactly one `finished` record.
    private func expectEachTrialFinishedOnce(
        _ journal: JournalLines, trials: Int, _ context: @autoclosure () -> String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let counts = journal.finishedCounts
        #expect(journal.trialIds.count == trials, sourceLocation: sourceLocation)
        #expect(
            counts.count == trials && counts.values.allSatisfy { $0 == 1 },
            "finished records per trial: \(counts.values.sorted())\n\(context())", sourceLocation: sourceLocation)
        #expect(journal.of("failed").isEmpty, sourceLocation: sourceLocation)
    }

    // MARK: 1. A worker killed mid-trial

    @Test("kill -9 of a worker mid-trial: its trial re-runs elsewhere; every trial finishes exactly once")
    func killedWorkerTrialRunsElsewhere() throws {
        let run = try Run("killworker", seeds: 5, budget: 3000)
        let port = try EndToEnd.freePort()
        let coordinator = try run.coordinator("coord", extra: ["--bind", "tcp://127.0.0.1:\(port)", "--local-workers", "0"])
        var processes = [coordinator]
        defer {
            processes.forEach { $0.reap() }
            run.cleanUp()
        }
        let victim = try run.worker("w-victim", port: port)
        processes.append(victim)
        let survivor = try run.worker("w-survivor", port: port)
        processes.append(survivor)
        let logs = { processes.map { $0.logTail() }.joined(separator: "\n") }

        // Kill the victim as soon as the journal shows it holding a trial (before it can finish it).
        var victimTrial: String?
        try EndToEnd.waitUntil("a trial assigned to w-victim", timeout: .seconds(20), context: logs) {
            let journal = try run.journal()
            guard let assigned = journal.of("assigned").last(where: { $0.worker == "w-victim" }) else { return false }
            victimTrial = assigned.trial
            return true
        }
        victim.signal(SIGKILL)
        let killedAt = Date().timeIntervalSince1970
        #expect(victim.waitForExit(timeout: .seconds(5)) != nil)
        let trial = try #require(victimTrial)

        let status = coordinator.waitForExit(timeout: .seconds(90))
        #expect(status == 0, "coordinator exit status\n\(logs())")
        let journal = try run.journal()
        expectEachTrialFinishedOnce(journal, trials: 5, journal.summary + "\n" + logs())

        // The killed attempt ended as a failed attempt (the worker went silent) about one
        // liveness timeout (3 × 1 s heartbeats) after the kill, and the trial ran again elsewhere.
        let attemptFailed = journal.of("attemptFailed").filter { $0.trial == trial }
        #expect(attemptFailed.count == 1, "\(journal.summary)")
        if let failure = attemptFailed.first {
            #expect(failure.worker == "w-victim" && failure.attempt == 1)
            #expect(failure.error?.contains("silent") == true, "error: \(failure.error ?? "none")")
            if let at = failure.at {
                #expect(at - killedAt > 1.5 && at - killedAt < 10, "silence detected \(at - killedAt) s after the kill")
            }
        }
        let reassigned = journal.of("assigned").filter { $0.trial == trial }
        #expect(
            reassigned.map(\.worker) == ["w-victim", "w-survivor"] && reassigned.map(\.attempt) == [1, 2],
            "\(journal.summary)")
        #expect(
            !journal.of("assigned").contains { $0.worker == "w-victim" && $0.trial != trial },
            "the dead worker never got another trial")
        // The survivor was told to shut down at the end and exited cleanly.
        #expect(survivor.waitForExit(timeout: .seconds(10)) == 0, "\(survivor.logTail())")
    }

    // MARK: 2. The coordinator killed mid-sweep

    @Test(
        "kill -9 of the coordinator mid-sweep: a partial report from its journal; a restart completes it without re-running finished trials"
    )
    func killedCoordinatorResumes() throws {
        let run = try Run("killcoord", seeds: 8, budget: 2000)
        let first = try run.coordinator("coord-1", extra: ["--local-workers", "2"])
        var processes = [first]
        var localWorkers: [Int32] = []
        defer {
            processes.forEach { $0.reap() }
            localWorkers += processes.flatMap { EndToEnd.localWorkerPids(of: $0.pid) }
            EndToEnd.killLeftovers(localWorkers)
            run.cleanUp()
        }
        let logs = { processes.map { $0.logTail() }.joined(separator: "\n") }

        try EndToEnd.waitUntil("≥ 1 finished trial with ≥ 2 to go", timeout: .seconds(30), context: logs) {
            let journal = try run.journal()
            localWorkers = Array(Set(localWorkers + EndToEnd.localWorkerPids(of: first.pid)))
            return journal.finishedTrials.count >= 1 && journal.finishedTrials.count <= 6
        }
        // Regression: local workers were spawned with SIGTERM (and SIGINT, SIGHUP…) blocked, the
        // mask of the Dispatch thread that started them, so `LocalWorkers.stop()` hung forever on
        // a worker that did not exit by itself.
        for pid in localWorkers {
            #expect(EndToEnd.blocksSIGTERM(pid) != true, "local worker \(pid) blocks SIGTERM")
        }
        first.signal(SIGKILL)
        _ = first.waitForExit(timeout: .seconds(5))
        let killedAt = ContinuousClock.now
        #expect(localWorkers.count == 2, "both local workers were seen: \(localWorkers)")
        #expect(!first.log.contains("local worker exited"), "no local worker died\n\(first.logTail())")

        // The journal as the killed coordinator left it: it must replay.
        let before = try run.journal()
        let finishedBefore = before.finishedTrials
        let linesBefore = before.records.count
        let stateBefore = try Journal.read(runDirectory: run.runDirectory)
        #expect(Set(stateBefore.finished) == finishedBefore)
        #expect(finishedBefore.count < 8)

        // `grok-coord report` rebuilds a partial report from the journal the kill left behind.
        let report = try ChildProcess(
            EndToEnd.binary("grok-coord"), ["report", run.runDirectory], name: "report",
            logDirectory: run.directory)
        processes.append(report)
        #expect(report.waitForExit(timeout: .seconds(20)) == 0, "\(report.logTail())")
        #expect(report.log.contains("partial: \(finishedBefore.count) of 8 trials finished"), "\(report.logTail())")
        let markdown =
            (try? String(
                contentsOfFile: (run.runDirectory as NSString).appendingPathComponent("report.md"),
                encoding: .utf8)) ?? ""
        #expect(markdown.contains("**PARTIAL**"), "\(markdown)")
        for name in ["report.html", "cells.csv", "trials.csv"] {
            #expect(FileManager.default.fileExists(atPath: (run.runDirectory as NSString).appendingPathComponent(name)))
        }

        let second = try run.coordinator("coord-2", extra: ["--local-workers", "2"])
        processes.append(second)
        let status = second.waitForExit(timeout: .seconds(90))
        #expect(status == 0, "restarted coordinator exit status\n\(logs())")
        #expect(!second.log.contains("local worker exited"), "\(second.logTail())")

        let journal = try run.journal()
        expectEachTrialFinishedOnce(journal, trials: 8, journal.summary + "\n" + logs())
        let after = journal.records.dropFirst(linesBefore)
        let reassignedFinished = after.filter { $0.type == "assigned" && finishedBefore.contains($0.trial ?? "") }
        #expect(reassignedFinished.isEmpty, "trials finished before the kill were assigned again\n\(journal.summary)")
        // Trials in flight at the kill were requeued by an `interrupted` record on resume.
        if !stateBefore.inFlight.isEmpty {
            #expect(after.first?.type == "interrupted", "\(journal.summary)")
        }
        #expect(try Journal.read(runDirectory: run.runDirectory).finished.count == 8)

        // The orphaned local workers of the killed coordinator exit by themselves (≈ 3 s of silence).
        let remaining = max(.zero, .seconds(12) - (ContinuousClock.now - killedAt))
        try EndToEnd.waitUntil("orphaned local workers to exit", timeout: remaining) {
            localWorkers.allSatisfy { !EndToEnd.isAlive($0) }
        }
    }

    // MARK: 3. A worker that starts before the coordinator

    @Test("a worker started before the coordinator connects once it comes up; the sweep completes")
    func workerStartedFirstConnects() throws {
        let run = try Run("workerfirst", seeds: 3, budget: 2000)
        let port = try EndToEnd.freePort()
        let worker = try run.worker("early", port: port)
        var processes = [worker]
        defer {
            processes.forEach { $0.reap() }
            run.cleanUp()
        }
        let logs = { processes.map { $0.logTail() }.joined(separator: "\n") }

        // Let the worker give up its first connection (no coordinator for 3 heartbeats) and enter
        // its reconnect backoff, so the coordinator meets a worker that has been waiting a while.
        try EndToEnd.waitUntil("the worker to notice the missing coordinator", timeout: .seconds(10), context: logs) {
            worker.log.contains("reconnecting")
        }
        #expect(worker.isRunning)
        let coordinator = try run.coordinator("coord", extra: ["--bind", "tcp://127.0.0.1:\(port)", "--local-workers", "0"])
        processes.append(coordinator)
        let status = coordinator.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "coordinator exit status\n\(logs())")

        let journal = try run.journal()
        expectEachTrialFinishedOnce(journal, trials: 3, journal.summary + "\n" + logs())
        #expect(journal.of("assigned").allSatisfy { $0.worker == "early" })
        #expect(worker.waitForExit(timeout: .seconds(10)) == 0, "the worker exits on the coordinator's shutdown\n\(logs())")
    }

    // MARK: 4. A garbage peer

    static let garbageScript = #"""
        import os, sys, time, zmq
        endpoint, limit = sys.argv[1], int(sys.argv[2])
        valid = [bytes.fromhex(h) for h in sys.argv[3:]]
        context = zmq.Context()
        def dealer(identity):
            socket = context.socket(zmq.DEALER)
            socket.setsockopt(zmq.IDENTITY, identity)
            socket.setsockopt(zmq.LINGER, 2000)
            socket.connect(endpoint)
            return socket
        junk = [
            [os.urandom(512)],
            [b"\xff" + os.urandom(63)],
            [b"multi", b"frame", os.urandom(32)],
            [b""],
            [b'{"v":99,"type":"ready","body":{}}'],
            [b'{"v":99,"type":"result","body":{"anything":1}}'],
            [b'{"v":1,"type":"teleport","body":{}}'],
            [b'{"v":1,"type":"result","body":{"trialId":"x"'],
            [b'{"v":1,"type":"ready","body":{}}'],
        ] + [[frame] for frame in valid]
        noisy = dealer(b"py-garbage")
        for frames in junk:
            noisy.send_multipart(frames)
            time.sleep(0.01)
        huge = dealer(b"py-oversized")
        huge.send(b" " * (limit + 1))
        time.sleep(0.5)
        noisy.close()
        huge.close()
        context.term()
        print(len(junk))
        """#

    @Test(
        "a garbage peer (random bytes, multi-frame junk, wrong version, unknown type, foreign result) changes nothing",
        .enabled(if: EndToEnd.pythonHasZMQ, "skipped: python3 with pyzmq is not available (python3 -c 'import zmq' failed)"))
    func garbagePeerIsHarmless() throws {
        let run = try Run("garbage", seeds: 6, budget: 2000)
        let port = try EndToEnd.freePort()
        let coordinator = try run.coordinator("coord", extra: ["--bind", "tcp://127.0.0.1:\(port)", "--local-workers", "1"])
        defer {
            coordinator.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
            run.cleanUp()
        }
        try EndToEnd.waitUntil("the first assignment", timeout: .seconds(20), context: { coordinator.logTail() }) {
            try !run.journal().of("assigned").isEmpty
        }

        // Well-formed messages the coordinator must refuse on meaning: a result, a failure and a
        // progress report for a trial that is not in the sweep, from a peer that never said hello.
        let foreign = "not-in-this-sweep"
        let valid: [Message] = [
            .result(
                TrialResult(
                    trialId: foreign, outcome: .grokked, tMem: 10, tGrok: 20, steps: 30, seconds: 0.1,
                    flops: 1, blasThreads: 1, host: "py")),
            .failure(trialId: foreign, message: "nope"),
            .progress(trialId: foreign, step: 1, trainAccuracy: 0.5, testAccuracy: 0.5, trainLoss: 1, testLoss: 1),
        ]
        let hex = try valid.map { try MessageCodec.encode($0).map { String(format: "%02x", $0) }.joined() }
        let python = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c", Self.garbageScript, "tcp://127.0.0.1:\(port)",
                String(MessageCodec.maximumFrameBytes),
            ] + hex,
            name: "python", logDirectory: run.directory)
        defer { python.reap() }
        let pythonStatus = python.waitForExit(timeout: .seconds(20))
        #expect(pythonStatus == 0, "\(python.logTail())")
        #expect(
            coordinator.isRunning || coordinator.waitForExit(timeout: .zero) == 0,
            "the coordinator survived the garbage\n\(coordinator.logTail())")
        let midSweep = try run.journal().finishedTrials.count < 6
        #expect(midSweep, "the garbage arrived while the sweep was still running")

        let status = coordinator.waitForExit(timeout: .seconds(90))
        #expect(status == 0, "coordinator exit status\n\(coordinator.logTail())")
        let journal = try run.journal()
        expectEachTrialFinishedOnce(journal, trials: 6, journal.summary + "\n" + coordinator.logTail())
        #expect(!journal.records.contains { $0.trial == foreign })
        #expect(journal.of("assigned").allSatisfy { $0.worker == "local-0" }, "no trial went to the garbage peer")
        let log = coordinator.log
        #expect(log.contains("result for a trial not in this sweep dropped"), "\(coordinator.logTail(60))")
        #expect(log.contains("dropped an invalid frame"))
        #expect(!log.contains("Fatal error"))
        #expect(!log.contains("local worker exited"), "the local worker was never restarted")
        let state = try Journal.read(runDirectory: run.runDirectory)
        #expect(state.finished.count == 6 && state.results[foreign] == nil)
    }

    // MARK: 5. Ctrl-C

    @Test("SIGINT mid-sweep: exit 130, a consistent journal with in-flight trials requeued, and a restart completes")
    func interruptThenResume() throws {
        let run = try Run("interrupt", seeds: 10, budget: 2000)
        let first = try run.coordinator("coord-1", extra: ["--local-workers", "2"])
        var processes = [first]
        var localWorkers: [Int32] = []
        defer {
            processes.forEach { $0.reap() }
            localWorkers += processes.flatMap { EndToEnd.localWorkerPids(of: $0.pid) }
            EndToEnd.killLeftovers(localWorkers)
            run.cleanUp()
        }
        let logs = { processes.map { $0.logTail() }.joined(separator: "\n") }

        try EndToEnd.waitUntil("≥ 1 finished trial and one in flight", timeout: .seconds(30), context: logs) {
            let journal = try run.journal()
            localWorkers = Array(Set(localWorkers + EndToEnd.localWorkerPids(of: first.pid)))
            return journal.finishedTrials.count >= 1 && journal.finishedTrials.count <= 7 && !journal.inFlight.isEmpty
        }
        for pid in localWorkers {
            #expect(EndToEnd.blocksSIGTERM(pid) != true, "local worker \(pid) blocks SIGTERM")
        }
        first.signal(SIGINT)
        let status = first.waitForExit(timeout: .seconds(15))
        #expect(status == 130 && first.exitedNormally(), "exit status \(String(describing: status))\n\(logs())")
        #expect(first.log.contains("interrupted:"), "\(first.logTail())")
        // Regression: the last progress callback came after the workers were told to shut down
        // and restarted any that had already exited; the coordinator then hung stopping them.
        #expect(!first.log.contains("local worker exited"), "no worker is restarted after Ctrl-C\n\(first.logTail())")
        // The coordinator told its workers to stop and waited for them.
        try EndToEnd.waitUntil("local workers to exit after Ctrl-C", timeout: .seconds(5), context: logs) {
            localWorkers.allSatisfy { !EndToEnd.isAlive($0) }
        }

        // A consistent journal: the coordinator's own replay accepts it; nothing is left in flight.
        // The trials in flight were handed over (their workers stopped them and sent their states:
        // an `attemptFailed` blamed on the worker each) or, if a worker did not answer in time,
        // requeued by an `interrupted` record after the last assignment.
        let state = try Journal.read(runDirectory: run.runDirectory)
        #expect(state.inFlight.isEmpty)
        let before = try run.journal()
        #expect(before.inFlight.isEmpty)
        let lastAssigned = before.records.lastIndex { $0.type == "assigned" } ?? 0
        let requeued = before.records[(lastAssigned + 1)...].filter {
            $0.type == "interrupted" || ($0.type == "attemptFailed" && $0.error?.contains("stopped by its worker") == true)
        }
        #expect(!requeued.isEmpty && state.interruptions <= 1, "\(before.summary)")
        #expect(state.finished.count + state.queued.count == 10 && !state.queued.isEmpty)
        #expect(
            FileManager.default.fileExists(atPath: (run.runDirectory as NSString).appendingPathComponent("trials.csv")),
            "the partial report is written")
        let finishedBefore = before.finishedTrials
        let linesBefore = before.records.count

        let second = try run.coordinator("coord-2", extra: ["--local-workers", "2"])
        processes.append(second)
        #expect(second.waitForExit(timeout: .seconds(90)) == 0, "restart exit status\n\(logs())")
        let journal = try run.journal()
        expectEachTrialFinishedOnce(journal, trials: 10, journal.summary + "\n" + logs())
        // Regression: a (re)started local worker truncated its predecessor's log.
        let workerLog =
            (try? String(
                contentsOfFile: (run.runDirectory as NSString).appendingPathComponent("worker-local-0.log"),
                encoding: .utf8)) ?? ""
        #expect(
            workerLog.contains("sweep interrupted") && workerLog.contains("sweep complete"),
            "worker-local-0.log keeps both sessions:\n\(workerLog.suffix(2000))")
        let reassignedFinished = journal.records.dropFirst(linesBefore)
            .filter { $0.type == "assigned" && finishedBefore.contains($0.trial ?? "") }
        #expect(reassignedFinished.isEmpty, "\(journal.summary)")
        #expect(
            !journal.records.dropFirst(linesBefore).contains { $0.type == "interrupted" },
            "nothing was in flight when the restart opened the journal")
    }
}
