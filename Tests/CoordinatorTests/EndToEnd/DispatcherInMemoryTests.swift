import Foundation
import Logging
import Protocol
import Testing

@testable import Coordinator

/// A scripted worker on the in-memory network: heartbeats on its own thread (until told to go
/// silent) and collects everything but heartbeats for the test to inspect.
// @unchecked Sendable: inbox, beating and running are touched only with `lock` held.
private final class FakeWorker: @unchecked Sendable {
    let id: String
    private let end: InMemoryWorkerTransport
    private let lock = NSLock()
    private var inbox: [Message] = []
    private var beating = true
    private var running = true
    private let stopped = DispatchSemaphore(value: 0)

    init(_ network: InMemoryNetwork, id: String) {
        self.id = id
        end = network.connectWorker(PeerID(id))
        let thread = Thread { [self] in loop() }
        thread.name = "fake-\(id)"
        thread.start()
    }

    private func loop() {
        let clock = ContinuousClock()
        var lastBeat = clock.now
        while lock.withLock({ running }) {
            if let message = end.receive(timeout: .milliseconds(5)), message != .heartbeat {
                lock.withLock { inbox.append(message) }
            }
            if lock.withLock({ beating }), clock.now - lastBeat >= .milliseconds(15) {
                try? end.send(.heartbeat)
                lastBeat = clock.now
            }
        }
        stopped.signal()
    }

    func send(_ message: Message) { try? end.send(message) }
    func hello(pid: Int = 1) { send(.hello(WorkerInfo(workerId: id, host: "test", cores: 1, build: "test", blasThreads: 1, pid: pid))) }
    func goSilent() { lock.withLock { beating = false } }

    /// The next non-heartbeat message, waiting up to `timeout`.
    func next(timeout: Duration = .seconds(3)) -> Message? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let message = lock.withLock({ inbox.isEmpty ? nil : inbox.removeFirst() }) { return message }
            Thread.sleep(forTimeInterval: 0.002)
        } while ContinuousClock.now < deadline
        return nil
    }

    /// The next message, which must be an assignment.
    func nextAssignment(
        timeout: Duration = .seconds(3), sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (trial: String, attempt: Int) {
        let message = next(timeout: timeout)
        guard case .assign(let trial, let attempt, _)? = message else {
            throw DispatcherHarness.Unexpected(description: "\(id): expected an assignment, got \(String(describing: message))")
        }
        return (trial, attempt)
    }

    func stop() {
        lock.withLock { running = false }
        _ = stopped.wait(timeout: .now() + 2)
        end.close()
    }
}

/// A Dispatcher on a background thread over an `InMemoryNetwork`, with a journal in a temp dir
/// and short timings: heartbeats every 50 ms, dead after 3 missed (150 ms).
// @unchecked Sendable: stopRequested and outcome only with `lock` held; `dispatcher` runs on its own thread (read after).
private final class DispatcherHarness: @unchecked Sendable {
    struct Unexpected: Error, CustomStringConvertible { var description: String }

    let network = InMemoryNetwork()
    let directory = temporaryRunDirectory()
    let journal: Journal
    let dispatcher: Dispatcher
    let trials: [String]
    private let lock = NSLock()
    private var stopRequested = false
    private var outcome: Result<Dispatcher.Ending, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(
        trials count: Int, adjust: (inout Dispatcher.Settings) -> Void = { _ in },
        transport wrap: (CoordinatorTransport) -> CoordinatorTransport = { $0 }
    ) throws {
        let plan = try expandSweep(#"{ "name": "dispatch", "budget": 100, "seeds": { "count": \#(count), "start": 0 } }"#)
        trials = plan.trialIds
        journal = try Journal.start(plan: plan, runDirectory: directory)
        var logger = Logger(label: "dispatcher-test")
        logger.logLevel = .critical
        var settings = Dispatcher.Settings(heartbeatInterval: .milliseconds(50), liveness: 3, maximumAttempts: 3)
        adjust(&settings)
        dispatcher = Dispatcher(journal: journal, transport: wrap(network.coordinator), settings: settings, logger: logger)
        let thread = Thread { [self] in
            let result = Result { try dispatcher.run(shouldStop: { self.lock.withLock { self.stopRequested } }) }
            lock.withLock { outcome = result }
            done.signal()
        }
        thread.name = "dispatcher"
        thread.start()
    }

    func worker(_ id: String) -> FakeWorker { FakeWorker(network, id: id) }

    /// How the dispatcher's run ended, waiting up to `timeout`; nil if it is still running.
    func ending(timeout: Duration = .seconds(5)) throws -> Dispatcher.Ending? {
        if lock.withLock({ outcome == nil }) {
            guard done.wait(timeout: .now() + timeout.seconds) == .success else { return nil }
            done.signal()
        }
        return try lock.withLock { outcome }?.get()
    }

    /// Stops the loop if it still runs (so a failing test never leaves it spinning).
    func shutDown() {
        lock.withLock { stopRequested = true }
        if done.wait(timeout: .now() + 5) == .success { done.signal() }
        network.coordinator.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func records(_ type: String) throws -> [JournalLines.Record] {
        try JournalLines(runDirectory: directory).of(type)
    }
}

/// The coordinator's transport with a pause on demand: the next `receive` (before the loop reads
/// its clock) or the next `send` (after it) first sleeps, as the dispatch loop does when the
/// coordinator is stopped (SIGSTOP) while workers go on sending.
// @unchecked Sendable: pending is touched only with `lock` held.
private final class PausingTransport: CoordinatorTransport, @unchecked Sendable {
    enum Place: Sendable { case receive, send }

    private let inner: CoordinatorTransport
    private let lock = NSLock()
    private var pending: (duration: Duration, place: Place)?
    let resumed = DispatchSemaphore(value: 0)

    init(_ inner: CoordinatorTransport) { self.inner = inner }

    func pause(for duration: Duration, in place: Place) { lock.withLock { pending = (duration, place) } }

    private func pauseIfDue(_ place: Place) {
        let due = lock.withLock { () -> Duration? in
            guard let pause = pending, pause.place == place else { return nil }
            pending = nil
            return pause.duration
        }
        guard let due else { return }
        Thread.sleep(forTimeInterval: due.seconds)
        resumed.signal()
    }

    func send(_ message: Message, to peer: PeerID) throws {
        pauseIfDue(.send)
        try inner.send(message, to: peer)
    }

    func receive(timeout: Duration) -> Incoming? {
        pauseIfDue(.receive)
        return inner.receive(timeout: timeout)
    }

    func close() { inner.close() }
}

private func result(_ trial: String, host: String) -> Message {
    .result(
        TrialResult(
            trialId: trial, outcome: .censored, tMem: 10, steps: 100, seconds: 0.01, flops: 1,
            blasThreads: 1, host: host))
}

@Suite("Dispatcher over the in-memory network", .timeLimit(.minutes(6)))
struct DispatcherInMemoryTests {
    @Test("pull dispatch: only workers that asked get work, and each holds at most one trial")
    func pullDispatchHoldsOneTrialEach() throws {
        let harness = try DispatcherHarness(trials: 3)
        let (w1, w2) = (harness.worker("w1"), harness.worker("w2"))
        defer {
            w1.stop()
            w2.stop()
            harness.shutDown()
        }
        let t = harness.trials

        w1.hello()
        w1.send(.ready)
        let first = try w1.nextAssignment()
        #expect(first.trial == t[0] && first.attempt == 1, "trials go out in sweep order")
        // Trials are queued, but w1 holds one and w2 has not asked: nobody gets more.
        w2.hello()
        #expect(w1.next(timeout: .milliseconds(300)) == nil, "a worker holding a trial gets no second one")
        #expect(w2.next(timeout: .milliseconds(1)) == nil, "a worker that did not say ready gets nothing")
        w2.send(.ready)
        #expect(try w2.nextAssignment().trial == t[1])
        #expect(harness.journal.state.inFlight == [t[0], t[1]])

        w1.send(result(t[0], host: "w1"))
        #expect(w1.next(timeout: .milliseconds(200)) == nil, "a result alone is not a request for work")
        w1.send(.ready)
        #expect(try w1.nextAssignment().trial == t[2])
        w2.send(result(t[1], host: "w2"))
        w1.send(result(t[2], host: "w1"))

        #expect(try harness.ending() == .completed)
        #expect(try harness.records("assigned").count == 3, "no trial was handed out twice")
        #expect(harness.journal.state.finished == t)
        #expect(w1.next() == .shutdown(reason: "sweep complete") && w2.next() == .shutdown(reason: "sweep complete"))
    }

    @Test("a silent worker's trial is requeued after the liveness timeout and runs on another worker")
    func silentWorkerTrialIsRequeued() throws {
        let harness = try DispatcherHarness(trials: 2)
        let (w1, w2) = (harness.worker("w1"), harness.worker("w2"))
        defer {
            w1.stop()
            w2.stop()
            harness.shutDown()
        }
        let t = harness.trials

        w1.hello()
        w1.send(.ready)
        #expect(try w1.nextAssignment().trial == t[0])
        w2.hello()
        w2.send(.ready)
        #expect(try w2.nextAssignment().trial == t[1])

        w1.goSilent()
        let silentFrom = ContinuousClock.now
        w2.send(result(t[1], host: "w2"))
        w2.send(.ready)
        let again = try w2.nextAssignment(timeout: .seconds(3))
        let waited = ContinuousClock.now - silentFrom
        #expect(again.trial == t[0] && again.attempt == 2)
        #expect(waited >= .milliseconds(100), "requeued only after ~3 missed heartbeats (took \(waited))")
        #expect(waited < .seconds(2), "requeued promptly (took \(waited))")
        let failures = try harness.records("attemptFailed")
        #expect(
            failures.count == 1 && failures.first?.trial == t[0] && failures.first?.worker == "w1"
                && failures.first?.attempt == 1 && failures.first?.error?.contains("silent") == true)

        w2.send(result(t[0], host: "w2"))
        #expect(try harness.ending() == .completed)
        #expect(harness.journal.state.results[t[0]]?.host == "w2")
        #expect(w2.next() == .shutdown(reason: "sweep complete"))
    }

    @Test(
        "a pause of the coordinator beyond the liveness window, with a backlog after it, fails no attempt",
        arguments: [PausingTransport.Place.receive, .send])
    fileprivate func coordinatorPauseIsNotTheWorkersSilence(place: PausingTransport.Place) throws {
        var pausing: PausingTransport?
        // Batches of 2: the heartbeats queued during the pause take many loop turns to read.
        let harness = try DispatcherHarness(trials: 12, adjust: { $0.batchLimit = 2 }) { inner in
            let transport = PausingTransport(inner)
            pausing = transport
            return transport
        }
        let workers = (0..<12).map { harness.worker("w\($0)") }
        defer {
            workers.forEach { $0.stop() }
            harness.shutDown()
        }
        var held: [String: String] = [:]
        for worker in workers {
            worker.hello()
            worker.send(.ready)
            held[worker.id] = try worker.nextAssignment().trial
        }
        // Four liveness windows (150 ms each) without reading, while every worker heartbeats.
        pausing?.pause(for: .milliseconds(600), in: place)
        #expect(pausing?.resumed.wait(timeout: .now() + 5) == .success)
        for worker in workers { worker.send(result(held[worker.id]!, host: worker.id)) }
        #expect(try harness.ending() == .completed)
        #expect(try harness.records("attemptFailed").isEmpty)
        for worker in workers { #expect(harness.journal.state.results[held[worker.id]!]?.host == worker.id) }
    }

    @Test("a trial that fails 3 times is marked failed with its last error")
    func trialFailingThreeTimesIsGivenUp() throws {
        let harness = try DispatcherHarness(trials: 1)
        let w1 = harness.worker("w1")
        defer {
            w1.stop()
            harness.shutDown()
        }
        let trial = harness.trials[0]

        w1.hello()
        for attempt in 1...3 {
            w1.send(.ready)
            let assignment = try w1.nextAssignment()
            #expect(assignment.trial == trial && assignment.attempt == attempt)
            w1.send(.failure(trialId: trial, message: "boom \(attempt)"))
        }
        #expect(try harness.ending() == .completed, "a failed trial ends the sweep like a finished one")
        let state = harness.journal.state
        #expect(state.failed == [trial] && state.finished.isEmpty)
        #expect(state.progress[trial]?.attempts == 3)
        #expect(state.progress[trial]?.lastError == "boom 3")
        let failed = try harness.records("failed")
        #expect(failed.count == 1 && failed.first?.error == "boom 3")
        #expect(try harness.records("attemptFailed").map(\.error) == ["boom 1", "boom 2", "boom 3"])
        #expect(try Journal.read(runDirectory: harness.directory).failed == [trial], "the journal replays to the same state")
    }

    @Test("a flood of ready (and hello) from a worker holding a trial costs no trial an attempt")
    func readyFloodIsIdempotent() throws {
        let harness = try DispatcherHarness(trials: 6)
        let flooder = harness.worker("flooder")
        defer {
            flooder.stop()
            harness.shutDown()
        }
        let t = harness.trials

        flooder.hello()
        flooder.send(.ready)
        let held = try flooder.nextAssignment()
        #expect(held.trial == t[0] && held.attempt == 1)
        for _ in 0..<100 {
            flooder.send(.ready)
            flooder.hello()
        }
        // The repeated assignment (rate-limited to one per heartbeat interval) names the same
        // trial and attempt; nothing else is handed out and no attempt is charged.
        var repeats = 0
        while let message = flooder.next(timeout: .milliseconds(200)) {
            #expect(message == .assign(trialId: t[0], attempt: 1, config: harness.journal.state.trials[0].config.json))
            repeats += 1
        }
        #expect(repeats >= 1 && repeats <= 3, "assignment repeated \(repeats) times for 100 readies")
        #expect(try harness.records("attemptFailed").isEmpty)
        #expect(try harness.records("assigned").count == 1)

        // The worker then serves the whole sweep; every trial finishes once on its first attempt.
        flooder.send(result(t[0], host: "flooder"))
        for _ in 1..<6 {
            flooder.send(.ready)
            let next = try flooder.nextAssignment()
            #expect(next.attempt == 1)
            flooder.send(result(next.trial, host: "flooder"))
        }
        #expect(try harness.ending() == .completed)
        let state = harness.journal.state
        #expect(state.finished.count == 6 && state.failed.isEmpty)
        #expect(try harness.records("attemptFailed").isEmpty)
    }

    @Test("the same worker id from a new process (another pid) while holding a trial: that attempt failed, the trial runs again")
    func restartedWorkerLosesItsAttempt() throws {
        let harness = try DispatcherHarness(trials: 1)
        let worker = harness.worker("w1")
        defer {
            worker.stop()
            harness.shutDown()
        }
        let trial = harness.trials[0]

        worker.hello(pid: 100)
        worker.send(.ready)
        let first = try worker.nextAssignment()
        #expect(first.trial == trial && first.attempt == 1)
        worker.hello(pid: 100)
        #expect(worker.next(timeout: .milliseconds(200)) == nil, "a reconnect of the same process keeps its trial")
        worker.hello(pid: 101)
        worker.send(.ready)
        let second = try worker.nextAssignment()
        #expect(second.trial == trial && second.attempt == 2)
        let failures = try harness.records("attemptFailed")
        #expect(failures.count == 1 && failures.first?.error?.contains("restarted") == true)
        worker.send(result(trial, host: "w1"))
        #expect(try harness.ending() == .completed)
        #expect(harness.journal.state.failed.isEmpty)
    }

    @Test("a worker that heartbeats but reports no progress: the watchdog runs its trial elsewhere, blaming the worker")
    func watchdogStopsAStalledTrial() throws {
        let harness = try DispatcherHarness(trials: 1) { $0.watchdog.floor = .milliseconds(300) }
        let (stuck, healthy) = (harness.worker("stuck"), harness.worker("healthy"))
        defer {
            stuck.stop()
            healthy.stop()
            harness.shutDown()
        }
        let trial = harness.trials[0]

        stuck.hello()
        stuck.send(.ready)
        let started = ContinuousClock.now
        #expect(try stuck.nextAssignment().trial == trial)
        healthy.hello()
        healthy.send(.ready)
        let second = try healthy.nextAssignment(timeout: .seconds(3))
        let waited = ContinuousClock.now - started
        #expect(second.trial == trial && second.attempt == 2)
        #expect(waited >= .milliseconds(300), "not before the watchdog's bound (took \(waited))")
        let failures = try harness.records("attemptFailed")
        #expect(failures.count == 1 && failures.first?.worker == "stuck" && failures.first?.error?.hasPrefix("no progress for") == true)
        #expect(harness.journal.state.progress[trial]?.failedAttempts == 0, "the stall is the worker's fault, not the trial's")
        healthy.send(result(trial, host: "healthy"))
        #expect(try harness.ending() == .completed)
        #expect(harness.journal.state.failed.isEmpty)
    }

    @Test("a trial is given up only once it failed on two distinct workers; a worker losing 3 in a row is quarantined")
    func giveUpNeedsDistinctWorkersAndLosersAreQuarantined() throws {
        let harness = try DispatcherHarness(trials: 2)
        let (w1, w2) = (harness.worker("w1"), harness.worker("w2"))
        defer {
            w1.stop()
            w2.stop()
            harness.shutDown()
        }
        let t = harness.trials

        w1.hello()
        w2.hello()
        for attempt in 1...3 {
            w1.send(.ready)
            let assignment = try w1.nextAssignment()
            #expect(assignment.trial == t[0] && assignment.attempt == attempt)
            w1.send(.failure(trialId: t[0], message: "boom \(attempt)"))
        }
        // Three failures, all on w1: not given up; w1 is quarantined and gets nothing more.
        w1.send(.ready)
        #expect(w1.next(timeout: .milliseconds(300)) == nil, "a quarantined worker gets no work")
        #expect(harness.journal.state.failed.isEmpty)
        w2.send(.ready)
        let fourth = try w2.nextAssignment()
        #expect(fourth.trial == t[0] && fourth.attempt == 4)
        w2.send(.failure(trialId: t[0], message: "boom 4"))
        try #require(eventually(timeout: .seconds(2)) { harness.journal.state.failed == [t[0]] })
        w2.send(.ready)
        let other = try w2.nextAssignment()
        #expect(other.trial == t[1])
        w2.send(result(t[1], host: "w2"))
        #expect(try harness.ending() == .completed)
    }

    @Test("the first result of a trial wins; duplicates (same worker, another worker) are ignored")
    func duplicateResultsAreIgnored() throws {
        let harness = try DispatcherHarness(trials: 2)
        let (w1, w2) = (harness.worker("w1"), harness.worker("w2"))
        defer {
            w1.stop()
            w2.stop()
            harness.shutDown()
        }
        let t = harness.trials

        w1.hello()
        w1.send(.ready)
        #expect(try w1.nextAssignment().trial == t[0])
        w2.hello()
        w2.send(.ready)
        #expect(try w2.nextAssignment().trial == t[1])

        // In-memory delivery is ordered, so all of these reach the dispatcher in this order.
        w1.send(result(t[0], host: "first"))
        w1.send(result(t[0], host: "second"))
        w2.send(result(t[0], host: "third"))
        w2.send(result(t[1], host: "w2"))

        #expect(try harness.ending() == .completed)
        #expect(harness.dispatcher.duplicateResults == 2)
        let state = harness.journal.state
        #expect(state.results[t[0]]?.host == "first")
        let finished = try harness.records("finished")
        #expect(finished.filter { $0.trial == t[0] }.map(\.host) == ["first"])
        #expect(finished.count == 2)
    }

    @Test("results for trials a worker was never given are dropped and counted; the trial runs where it was sent")
    func resultsForTrialsNeverGivenAreDropped() throws {
        let harness = try DispatcherHarness(trials: 2)
        let (w1, forger) = (harness.worker("w1"), harness.worker("forger"))
        defer {
            w1.stop()
            forger.stop()
            harness.shutDown()
        }
        let t = harness.trials

        forger.hello()
        w1.hello()
        w1.send(.ready)
        #expect(try w1.nextAssignment().trial == t[0])
        // The forger claims both the running trial and the queued one, and never asks for work.
        forger.send(result(t[0], host: "forged"))
        forger.send(result(t[1], host: "forged"))
        forger.send(result("not-a-trial", host: "forged"))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(harness.journal.state.counts.finished == 0)
        w1.send(result(t[0], host: "w1"))
        w1.send(.ready)
        #expect(try w1.nextAssignment().trial == t[1])
        w1.send(result(t[1], host: "w1"))

        #expect(try harness.ending() == .completed)
        #expect(harness.dispatcher.unassignedResults == 2)
        print(
            "forged results: \(harness.dispatcher.unassignedResults) results for trials the sender was never given "
                + "and \(harness.dispatcher.strayMessages) for no trial of the sweep were dropped; 0 reached the journal")
        #expect(harness.dispatcher.strayMessages >= 1)
        #expect(harness.journal.state.results.values.allSatisfy { $0.host == "w1" })
        #expect(try harness.records("finished").count == 2)
    }

    @Test("a hello flood (one peer × 20 000, 2 000 peers × 5) does not stall dispatch, and the silent flooders are forgotten")
    func helloFlood() throws {
        let harness = try DispatcherHarness(trials: 2)
        let w1 = harness.worker("w1")
        defer {
            w1.stop()
            harness.shutDown()
        }
        let info = WorkerInfo(workerId: "flood", host: "flood", cores: 1, build: "x", blasThreads: 1, pid: 1)
        let hello = try MessageCodec.encode(.hello(info))
        let flooder = PeerID("flooder")
        var sent = 0
        for _ in 0..<20_000 {
            harness.network.injectFrame(hello, from: flooder)
            sent += 1
        }
        for index in 0..<2_000 {
            for _ in 0..<5 {
                harness.network.injectFrame(hello, from: PeerID("flood-\(index)"))
                sent += 1
            }
        }
        let floodEnded = ContinuousClock.now
        w1.hello()
        w1.send(.ready)
        let assignment = try w1.nextAssignment(timeout: .seconds(5))
        let waited = ContinuousClock.now - floodEnded
        #expect(assignment.trial == harness.trials[0])
        #expect(waited < .seconds(3), "the honest worker waited \(waited) behind the flood")
        // Flooders never heartbeat: after the liveness timeout (150 ms here) only w1 is left.
        #expect(eventually(timeout: .seconds(3)) { harness.dispatcher.status().workers == 1 })
        print(
            "hello flood: \(sent) hellos from 2 001 peers; the honest worker got its trial \(waited) after the flood; "
                + "roster back to \(harness.dispatcher.status().workers) worker")
        w1.send(result(assignment.trial, host: "w1"))
        w1.send(.ready)
        w1.send(result(try w1.nextAssignment().trial, host: "w1"))
        #expect(try harness.ending() == .completed)
    }
}

extension DispatcherInMemoryTests {
    private static func progress(_ trial: String, step: Int) -> Message {
        .progress(trialId: trial, step: step, trainAccuracy: 0.5, testAccuracy: 0.1, trainLoss: 1, testLoss: 2)
    }

    /// Two workers, two trials: `slow` holds the first and crawls, `fast` finishes the second and
    /// (nothing being queued) gets a backup copy of the first.
    private static func backupScenario(
        _ harness: DispatcherHarness, slow: FakeWorker, fast: FakeWorker,
        busy: FakeWorker? = nil
    ) throws -> String {
        let t = harness.trials
        slow.hello()
        slow.send(.ready)
        #expect(try slow.nextAssignment().trial == t[0])
        fast.hello()
        fast.send(.ready)
        #expect(try fast.nextAssignment().trial == t[1])
        if let busy {
            busy.hello()
            busy.send(.ready)
            #expect(try busy.nextAssignment().trial == t[2])
        }
        // The slow worker: 5 steps in 0.2 s (25 steps/s; 95 steps left ≈ 3.8 s). The fast one
        // finished its 100 steps in 0.01 s: a copy from step 0 would take ~0.01 s.
        slow.send(progress(t[0], step: 0))
        Thread.sleep(forTimeInterval: 0.2)
        slow.send(progress(t[0], step: 5))
        Thread.sleep(forTimeInterval: 0.05)
        fast.send(result(t[1], host: "fast"))
        fast.send(.ready)
        return t[0]
    }

    @Test("a GrokTransfer weak stage longer than the watchdog's floor is alive as long as it reports progress")
    func weakStageProgressKeepsTheWatchdogAway() throws {
        let harness = try DispatcherHarness(trials: 1) { $0.watchdog.floor = .milliseconds(300) }
        let worker = harness.worker("w1")
        defer {
            worker.stop()
            harness.shutDown()
        }
        worker.hello()
        worker.send(.ready)
        let trial = try worker.nextAssignment().trial
        // 1.2 s of weak-stage progress (4× the floor), then the target's.
        for step in stride(from: 0, to: 1200, by: 100) {
            worker.send(
                .progress(
                    trialId: trial, step: step, trainAccuracy: 0.5, testAccuracy: 0.1, trainLoss: 1, testLoss: 2,
                    stage: .weak))
            Thread.sleep(forTimeInterval: 0.1)
        }
        worker.send(Self.progress(trial, step: 0))
        #expect(try harness.records("attemptFailed").isEmpty, "the weak stage was not taken for a stall")
        #expect(
            eventually(timeout: .seconds(2)) { harness.dispatcher.status().running.first?.step == 0 },
            "weak-stage steps are not the trial's")
        worker.send(result(trial, host: "w1"))
        #expect(try harness.ending() == .completed)
    }

    @Test(
        "backup trials: an idle worker at the tail runs a copy of the straggler's trial; the first result wins, the other copy is cancelled"
    )
    func backupOfAStraggler() throws {
        let harness = try DispatcherHarness(trials: 2) { $0.backups.minimumSaving = .zero }
        let (slow, fast) = (harness.worker("slow"), harness.worker("fast"))
        defer {
            slow.stop()
            fast.stop()
            harness.shutDown()
        }
        let trial = try Self.backupScenario(harness, slow: slow, fast: fast)
        let copy = try fast.nextAssignment()
        #expect(copy.trial == trial && copy.attempt == 1, "the copy runs the straggler's attempt")
        #expect(try harness.records("backup").count == 1)
        fast.send(result(trial, host: "fast"))
        #expect(slow.next() == .cancel(trialId: trial, sendState: false), "the straggler's copy is stopped")
        #expect(try harness.ending() == .completed)
        #expect(harness.journal.state.results[trial]?.host == "fast")
        #expect(harness.dispatcher.backupsStarted == 1 && harness.dispatcher.mismatchedResults == 0)
        #expect(try harness.records("attemptFailed").isEmpty, "a backup costs the trial no attempt")
    }

    @Test("backup trials: a backup whose trial's holder dies becomes the next attempt without a restart")
    func backupIsPromoted() throws {
        let harness = try DispatcherHarness(trials: 2) { $0.backups.minimumSaving = .zero }
        let (slow, fast) = (harness.worker("slow"), harness.worker("fast"))
        defer {
            slow.stop()
            fast.stop()
            harness.shutDown()
        }
        let trial = try Self.backupScenario(harness, slow: slow, fast: fast)
        #expect(try fast.nextAssignment().trial == trial)
        slow.goSilent()
        #expect(eventually(timeout: .seconds(3)) { (try? harness.records("assigned").count) == 3 })
        let promoted = try #require(try harness.records("assigned").last)
        #expect(promoted.trial == trial && promoted.worker == "fast" && promoted.attempt == 2)
        #expect(fast.next(timeout: .milliseconds(200)) == nil, "the promoted copy is not sent again")
        fast.send(result(trial, host: "fast"))
        #expect(try harness.ending() == .completed)
    }

    @Test("two differing results of one trial from the same build and threads are flagged as non-determinism")
    func differingDuplicatesAreFlagged() throws {
        // A third worker holds the last trial (no progress: never a backup candidate) so the
        // sweep is still running when the second copy's result arrives.
        let harness = try DispatcherHarness(trials: 3) { $0.backups.minimumSaving = .zero }
        let (slow, fast, busy) = (harness.worker("slow"), harness.worker("fast"), harness.worker("busy"))
        defer {
            slow.stop()
            fast.stop()
            busy.stop()
            harness.shutDown()
        }
        let trial = try Self.backupScenario(harness, slow: slow, fast: fast, busy: busy)
        #expect(try fast.nextAssignment().trial == trial)
        fast.send(result(trial, host: "fast"))
        #expect(slow.next() == .cancel(trialId: trial, sendState: false))
        // The straggler finishes anyway (its result crossed the cancel), with another curve.
        slow.send(
            .result(
                TrialResult(
                    trialId: trial, outcome: .censored, tMem: 11, steps: 100, seconds: 0.01, flops: 1,
                    blasThreads: 1, host: "slow")))
        #expect(eventually(timeout: .seconds(3)) { harness.dispatcher.mismatchedResults == 1 })
        busy.send(result(harness.trials[2], host: "busy"))
        #expect(try harness.ending() == .completed)
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
private func eventually(timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}
