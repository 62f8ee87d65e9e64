import Engine
import Foundation
import Logging
import Protocol
import TrialSchema

/// The coordinator's event loop: hands queued trials to idle workers, records every state
/// change in the journal before acting on it, and keeps going through worker failures.
///
/// Pull-based (workers ask with `ready` and hold at most one trial), with heartbeats both ways:
/// a worker silent for `liveness` heartbeat intervals is dead and its trial goes back to the
/// queue; a trial whose attempts keep failing is given up after `maximumAttempts` with its last
/// error. The first result of a trial wins; later duplicates are ignored. Runs on the caller's
/// thread (a dedicated one) and blocks in `transport.receive`; never inside a Swift task.
final class Dispatcher {
    struct Settings {
        var heartbeatInterval: Duration = .seconds(1)
        var liveness = 3
        /// Failed attempts (those that may be the trial's fault) before a trial is given up —
        /// once they happened on `distinctWorkersToGiveUp` workers (or every worker seen, if
        /// fewer), or at twice this many wherever they happened.
        var maximumAttempts = 3
        var distinctWorkersToGiveUp = 2
        /// Running trials whose worker reports no progress beyond this bound are run again.
        var watchdog = ProgressWatchdog()
        var standing = WorkerStanding()
        /// Called at most this often with a progress snapshot.
        var progressInterval: Duration = .seconds(1)
        /// Messages handled per loop turn before journal records are committed and replies go
        /// out: one fsync covers the whole batch (group commit).
        var batchLimit = 256
        /// Keep every assignment's coordinator-side latency (`ready` received → `assign` handed
        /// to the transport, journal commit included) in `assignmentLatencies`: for benchmarks.
        var recordsAssignmentLatency = false
        /// Where running trials' curves so far are kept for `report` and `export` (none in
        /// benchmarks, which measure dispatch alone).
        var partialCurves: PartialCurves?
        /// Where trials' saved states are kept, so a trial that runs again continues from its
        /// latest one (none: states from workers are dropped and every attempt starts at 0).
        var states: TrialStateStore?
        /// Backup copies of the slowest running trials on workers left idle at the tail.
        var backups = BackupTrials()
    }

    enum Ending: Equatable { case completed, interrupted }

    private let journal: Journal
    private let transport: CoordinatorTransport
    private let settings: Settings
    private let logger: Logger
    private var roster = WorkerRoster()
    private var standing: WorkerStanding
    private var backups: BackupTrials
    /// Idle workers passed over while quarantined; they get work again once it ends.
    private var parked: [PeerID] = []
    /// Every worker id that said hello in this session.
    private var workersSeen: Set<String> = []
    private var queue: TrialQueue
    /// Trials without a final state (finished or failed), kept incrementally: the loop checks
    /// completion every iteration.
    private var open: Set<String>
    /// Each trial's config. Its JSON (and its `stateKey`, the name of its saved states) is built
    /// when needed: a JSON tree per trial would dominate memory at a million trials.
    private let configs: [String: TrialConfig]
    /// Chunks of states arriving from each worker.
    private var assemblers: [PeerID: StateAssembler] = [:]
    /// Stores complete states off the loop's thread.
    private let ingest: StateIngest?
    /// The last step each running trial reported in this session (the journal's `reached`).
    private var reportedStep: [String: Int] = [:]
    private(set) var statesStored = 0
    /// Two results of one trial that differ: non-determinism (same build and threads).
    private(set) var mismatchedResults = 0
    private(set) var backupsStarted = 0
    private(set) var statesRefused = 0
    /// Messages that announce staged journal records (assignments): sent only after `commit`.
    private var outbox: [(message: Message, peer: PeerID)] = []
    /// When each worker in `outbox` asked for work, for `assignmentLatencies`.
    private var outboxAskedAt: [ContinuousClock.Instant] = []
    private(set) var assignmentLatencies: [Duration] = []
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    /// Seconds each trial finished in this session took, for the ETA before any rate is known.
    private var finishedSeconds: [Double] = []
    /// What the live view shows of each trial: its cell's short label, seed and budget.
    private let trialFacts: [String: TrialFacts]
    private(set) var duplicateResults = 0
    /// Results from a worker the trial was never handed to: refused, whatever they say.
    private(set) var unassignedResults = 0
    private(set) var strayMessages = 0
    /// `ready` messages from workers holding a trial that were not answered (rate limit).
    private(set) var repeatedReadies = 0
    /// Workers declared dead for their silence (a load test's simulated workers never die).
    private(set) var presumedDead = 0

    init(journal: Journal, transport: CoordinatorTransport, settings: Settings = Settings(), logger: Logger) {
        self.journal = journal
        self.transport = transport
        self.settings = settings
        self.logger = logger
        standing = settings.standing
        backups = settings.backups
        let state = journal.state
        queue = TrialQueue(state.queued)
        open = Set(state.trialIds.filter { state.state(of: $0) != .finished && state.state(of: $0) != .failed })
        configs = Dictionary(state.trials.map { ($0.id, $0.config) }, uniquingKeysWith: { first, _ in first })
        trialFacts = TrialFacts.of(state.trials)
        ingest = settings.states.map(StateIngest.init(store:))
        started = clock.now
    }

    // MARK: Loop

    /// Runs until every trial is finished or failed, or `shouldStop()` turns true; then tells
    /// every known worker to shut down.
    func run(shouldStop: () -> Bool, onProgress: (SweepStatus) -> Void = { _ in }) throws -> Ending {
        var lastBeat = clock.now
        var lastReap = clock.now
        var lastProgress = clock.now - settings.progressInterval
        let reapInterval = settings.heartbeatInterval / 5
        var ending = Ending.completed
        // The previous turn's readings of the wall clock and of this thread's CPU time: a stop
        // anywhere in the loop (typically in a journal commit) shows up as wall time between two
        // readings that the thread did not spend computing.
        var previousNow = clock.now
        var previousCPU = Self.threadCPUTime()
        // Since when the loop has been behind its messages (batches that hit the limit).
        var behindSince: ContinuousClock.Instant?
        var saidOverloaded = false
        while !isComplete {
            if shouldStop() {
                ending = .interrupted
                break
            }
            let drained = try handleBatch(firstWait: .milliseconds(50))
            try journalStoredStates()
            let now = clock.now
            let cpu = Self.threadCPUTime()
            excuseOwnAbsence((now - previousNow) - (cpu - previousCPU), now: now)
            (previousNow, previousCPU) = (now, cpu)
            behindSince = drained ? nil : (behindSince ?? now)
            // Silence is judged from the messages received: while a backlog is still unread, a
            // worker's latest heartbeat may be in it (for at most one liveness window: past
            // that, the coordinator is overloaded and says so, and silence counts again).
            let overloaded = behindSince.map { now - $0 > settings.heartbeatInterval * settings.liveness } ?? false
            if overloaded, !saidOverloaded {
                logger.warning("the coordinator is a liveness window behind its messages; silence is judged again")
            }
            saidOverloaded = overloaded
            let caughtUp = behindSince == nil || overloaded
            if now - lastReap >= reapInterval, caughtUp {
                try reapSilentWorkers(now: now)
                try stopStalledTrials(now: now)
                unparkWorkers(now: now)
                lastReap = now
            }
            try dispatch()
            try commitAndSend()
            if now - lastBeat >= settings.heartbeatInterval {
                for peer in roster.peers { send(.heartbeat, to: peer) }
                lastBeat = now
            }
            if now - lastProgress >= settings.progressInterval {
                onProgress(status())
                lastProgress = now
            }
        }
        if ending == .interrupted { try handOverRunningTrials(within: .seconds(10)) }
        // States still being written are journaled before the end (a restart continues from them).
        ingest?.close()
        try journalStoredStates()
        if ending == .interrupted, journal.state.counts.running > 0 {
            try journal.append(.interrupted(reason: "stopped by the user"))
        }
        try commitAndSend()
        let reason = ending == .completed ? "sweep complete" : "sweep interrupted"
        for peer in roster.peers { send(.shutdown(reason: reason), to: peer) }
        onProgress(status(phase: ending == .completed ? .complete : .interrupted))
        return ending
    }

    /// Handles the messages waiting (at most `batchLimit`), waiting up to `firstWait` for one;
    /// false when the batch hit the limit (more may be waiting).
    @discardableResult
    private func handleBatch(firstWait: Duration) throws -> Bool {
        guard let first = transport.receive(timeout: firstWait) else { return true }
        try handle(first)
        var handled = 1
        while handled < settings.batchLimit, let next = transport.receive(timeout: .zero) {
            try handle(next)
            handled += 1
        }
        return handled < settings.batchLimit
    }

    /// The CPU time the calling thread has used.
    private static func threadCPUTime() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }

    /// The loop's own absence — the process stopped (SIGSTOP, a suspended VM), swapped out, or
    /// held up by a slow disk — is nobody's silence: every worker's clocks move on by it, so
    /// no worker is presumed dead and no trial stalled for the time the loop was not looking.
    /// Time the loop spent computing (a flood of messages) is not excused: the backlog rule
    /// covers it, for at most one liveness window.
    private func excuseOwnAbsence(_ away: Duration, now: ContinuousClock.Instant) {
        guard away > settings.heartbeatInterval else { return }
        roster.excuse(away, now: now)
        logger.notice(
            "the dispatch loop was away; its absence is not counted as the workers' silence", metadata: ["seconds": "\(away.seconds)"])
    }

    /// Ctrl-C: each worker holding a trial is asked to stop it at its next step and send its
    /// state first, so the resumed run continues where the trials stood, not from their last
    /// periodic checkpoint; waits up to `limit` for them (a second Ctrl-C exits at once).
    private func handOverRunningTrials(within limit: Duration) throws {
        guard settings.states != nil else { return }
        let holders = roster.holdingEntries.compactMap { peer, entry in entry.holding.map { (peer, $0.trial) } }
        guard !holders.isEmpty else { return }
        for (peer, trial) in holders { send(.cancel(trialId: trial, sendState: true), to: peer) }
        let deadline = clock.now + limit
        var lastBeat = clock.now
        while clock.now < deadline, !roster.holdingEntries.isEmpty {
            try handleBatch(firstWait: .milliseconds(50))
            try journal.commit()
            if clock.now - lastBeat >= settings.heartbeatInterval {
                for peer in roster.peers { send(.heartbeat, to: peer) }
                lastBeat = clock.now
            }
        }
    }

    /// Makes the batch's journal records durable, then sends the messages that announce them.
    private func commitAndSend() throws {
        try journal.commit()
        for (message, peer) in outbox { send(message, to: peer) }
        if settings.recordsAssignmentLatency {
            let now = clock.now
            assignmentLatencies += outboxAskedAt.map { now - $0 }
        }
        outbox.removeAll(keepingCapacity: true)
        outboxAskedAt.removeAll(keepingCapacity: true)
    }

    /// After `run`: answers every worker that still speaks with `shutdown`, until `finished()`
    /// or `limit` — a worker whose first shutdown was lost hears it on its next heartbeat.
    func drain(for limit: Duration, reason: String, until finished: () -> Bool) {
        let deadline = clock.now + limit
        while clock.now < deadline, !finished() {
            guard let incoming = transport.receive(timeout: .milliseconds(50)) else { continue }
            if case .result(let result) = incoming.message {
                // A result that raced the end of an interrupted sweep is still worth keeping.
                try? accept(result, from: incoming.peer)
                try? journal.commit()
            }
            send(.shutdown(reason: reason), to: incoming.peer)
        }
    }

    var isComplete: Bool { open.isEmpty }

    /// The sweep as the live view and the status file show it.
    func status(phase: SweepStatus.Phase = .running) -> SweepStatus {
        let state = journal.state
        let counts = state.counts
        let running = roster.holdingEntries.compactMap { peer, entry -> SweepStatus.RunningTrial? in
            guard let held = entry.holding else { return nil }
            let facts = trialFacts[held.trial] ?? TrialFacts(label: held.trial, seed: 0, budget: 0)
            return SweepStatus.RunningTrial(
                trial: held.trial, label: facts.label, seed: facts.seed, worker: peer.description,
                attempt: held.attempt, budget: facts.budget, step: entry.progress?.step,
                trainAccuracy: entry.progress?.trainAccuracy,
                testAccuracy: entry.progress?.testAccuracy,
                stepsPerSecond: entry.progress?.stepsPerSecond)
        }
        let failures = state.failed.map { trial in
            let facts = trialFacts[trial] ?? TrialFacts(label: trial, seed: 0, budget: 0)
            return SweepStatus.FailedTrial(
                trial: trial, label: facts.label, seed: facts.seed,
                error: state.progress[trial]?.lastError ?? "unknown error")
        }
        return SweepStatus(
            sweep: state.sweep?.name ?? "", phase: phase, updatedAt: Date().timeIntervalSince1970,
            coordinatorPid: Int(ProcessInfo.processInfo.processIdentifier), total: state.trials.count,
            finished: counts.finished, failed: counts.failed, censored: counts.censored, queued: counts.queued,
            runningCount: counts.running, workers: roster.count, elapsed: (clock.now - started).seconds,
            etaSeconds: SweepStatus.eta(
                running: running, queued: counts.queued, workers: roster.count,
                finishedSecondsThisSession: finishedSeconds),
            running: running, failures: failures)
    }

    // MARK: Messages

    private func handle(_ incoming: Incoming) throws {
        let peer = incoming.peer
        let now = clock.now
        switch incoming.message {
        case .hello(let info):
            let previous = roster.entry(peer)
            roster.greet(peer, info: info, now: now)
            workersSeen.insert(peer.description)
            guard let previous else {
                logger.info(
                    "worker joined",
                    metadata: [
                        "worker": "\(peer)", "host": "\(info.host)",
                        "blasThreads": "\(info.blasThreads)",
                    ])
                return
            }
            // The same id from another process (a local worker restarted after a crash): the
            // process that held the trial is gone, and so is the attempt. The same process
            // saying hello again (a reconnect) still runs its trial and keeps it.
            if let held = previous.holding, let old = previous.info, old.pid != info.pid || old.host != info.host {
                try failAttempt(
                    held.trial, attempt: held.attempt, worker: peer,
                    error: "worker restarted while holding the trial (pid \(old.pid) → \(info.pid))")
                roster.release(peer)
            }
        case .ready:
            guard roster.isKnown(peer) else { return stray(incoming) }
            roster.heard(peer, now: now)
            // A backup's worker asks for work once it is done with the copy (result or stop).
            backups.remove(peer)
            if let held = roster.entry(peer)?.holding {
                // A repeated `ready` (a retry, a reconnect, a buggy client) costs the trial
                // nothing: the worker runs it already or never got the assignment, so it hears
                // the assignment again (at most once per heartbeat interval; workers ignore an
                // assignment of the trial they run).
                return resendAssignment(held, to: peer, now: now)
            }
            roster.setIdle(peer, now: now)
        case .heartbeat:
            guard roster.isKnown(peer) else { return stray(incoming) }
            roster.heard(peer, now: now)
        case .progress(let trial, let step, let trainAccuracy, let testAccuracy, let trainLoss, let testLoss, let stage):
            guard roster.isKnown(peer) else { return stray(incoming) }
            roster.heard(peer, now: now)
            if stage == .weak {
                // GrokTransfer's weak model at work: alive for the watchdog, no curve point.
                if roster.entry(peer)?.holding?.trial == trial { roster.weakStageProgress(peer, now: now) }
                return
            }
            if roster.entry(peer)?.holding?.trial == trial {
                roster.progress(peer, step: step, trainAccuracy: trainAccuracy, testAccuracy: testAccuracy, now: now)
                reportedStep[trial] = step
                settings.partialCurves?.append(
                    trial,
                    CurvePoint(
                        step: step, trainLoss: trainLoss, trainAccuracy: trainAccuracy,
                        testLoss: testLoss, testAccuracy: testAccuracy))
            }
        case .result(let result):
            roster.heard(peer, now: now)
            try accept(result, from: peer)
        case .failure(let trial, let message):
            roster.heard(peer, now: now)
            guard let held = roster.entry(peer)?.holding, held.trial == trial else { return stray(incoming) }
            roster.release(peer)
            try failAttempt(trial, attempt: held.attempt, worker: peer, error: message)
        case .state(let chunk):
            guard roster.isKnown(peer) else { return stray(incoming) }
            roster.heard(peer, now: now)
            try receiveState(chunk, from: peer)
        case .stateStored(let trial, let step, let bytes):
            // Written by the worker into the shared states folder: only the record is ours to
            // make (the state's checks run when it is handed out, and in the worker that opens it).
            roster.heard(peer, now: now)
            guard settings.states != nil, roster.entry(peer)?.holding?.trial == trial else { return stray(incoming) }
            statesStored += 1
            try journal.stage(.checkpoint(trial: trial, worker: peer.description, step: step, bytes: bytes))
        case .stopped(let trial, let step):
            roster.heard(peer, now: now)
            // A trial stopped by its holder (leaving on notice) runs again from the state it
            // sent; a stop acknowledging a cancel (backup lost, watchdog) needs nothing.
            guard let held = roster.entry(peer)?.holding, held.trial == trial else { return }
            roster.release(peer)
            reportedStep[trial] = max(reportedStep[trial] ?? 0, step)
            try failAttempt(
                trial, attempt: held.attempt, worker: peer, error: "stopped by its worker at step \(step)",
                blame: .worker)
        case .leaving(let reason):
            guard let entry = roster.remove(peer) else { return stray(incoming) }
            assemblers[peer] = nil
            backups.remove(peer)
            logger.notice("worker leaving", metadata: ["worker": "\(peer)", "reason": "\(reason)"])
            if let held = entry.holding {
                try failAttempt(
                    held.trial, attempt: held.attempt, worker: peer, error: "worker \(peer) left (\(reason))",
                    blame: .worker)
            }
        case .assign, .cancel, .shutdown, .reject:
            stray(incoming)
        }
    }

    private func stray(_ incoming: Incoming) {
        strayMessages += 1
        logger.debug("message dropped", metadata: ["worker": "\(incoming.peer)", "kind": "\(incoming.message.kind)"])
    }

    /// Records a result unless the trial already has one. A result is accepted only from a
    /// worker the trial was handed to at some point (per the journal, so across coordinator
    /// restarts): a worker declared dead, or one that served a previous coordinator, may still
    /// deliver a real result, and it is as good as any; a peer that was never given the trial
    /// has no business reporting on it.
    private func accept(_ result: TrialResult, from peer: PeerID) throws {
        guard let progress = journal.progress(of: result.trialId) else {
            strayMessages += 1
            logger.warning(
                "result for a trial not in this sweep dropped",
                metadata: ["worker": "\(peer)", "trial": "\(result.trialId)"])
            return
        }
        if roster.entry(peer)?.holding?.trial == result.trialId { roster.release(peer) }
        guard progress.state != .finished else {
            duplicateResults += 1
            compareDuplicate(result, from: peer)
            return
        }
        guard progress.assignedWorkers.contains(peer.description) else {
            unassignedResults += 1
            logger.warning(
                "result from a worker that was never given the trial dropped",
                metadata: ["worker": "\(peer)", "trial": "\(result.trialId)"])
            return
        }
        standing.delivered(peer)
        if try journal.stage(.finished(result)) {
            finishedSeconds.append(result.seconds)
            settings.partialCurves?.finished(result.trialId)
            open.remove(result.trialId)
            // Another worker may be running the same trial after a requeue: it is free now.
            if let other = roster.holder(of: result.trialId) {
                roster.release(other)
                send(.cancel(trialId: result.trialId, sendState: false), to: other)
            }
            // So may a backup copy: the first result won, the copy stops.
            if let copy = backups.end(result.trialId)?.worker, copy != peer {
                send(.cancel(trialId: result.trialId, sendState: false), to: copy)
            }
            // The trial's whole pace (a continued trial's seconds include its earlier attempts').
            backups.finished(steps: result.steps, seconds: result.seconds)
            reportedStep[result.trialId] = nil
            logger.info(
                "trial finished",
                metadata: [
                    "trial": "\(result.trialId)", "outcome": "\(result.outcome.rawValue)",
                    "worker": "\(peer)",
                ])
        } else {
            duplicateResults += 1
        }
    }

    // MARK: Dispatch and failures

    private func dispatch() throws {
        let now = clock.now
        while let peer = roster.takeIdle() {
            if standing.isQuarantined(peer, now: now) {
                parked.append(peer)
                continue
            }
            let next = queue.next { trial in journal.progress(of: trial)?.state == .queued && configs[trial] != nil }
            guard let trial = next, let config = configs[trial], let progress = journal.progress(of: trial) else {
                if try startBackup(on: peer) { continue }
                roster.returnIdle(peer)
                return
            }
            let attempt = progress.attempts + 1
            let resume = try savedState(of: trial, for: peer)
            // Journal first: the assignment goes out only after the batch's commit, so a crash
            // before it leaves a trial that simply runs again; nothing was promised.
            try journal.stage(.assigned(trial: trial, worker: peer.description, attempt: attempt, fromStep: resume?.step))
            roster.hold(peer, trial: trial, attempt: attempt, now: now)
            reportedStep[trial] = resume?.step
            settings.partialCurves?.started(trial, fromStep: resume?.step)
            if let resume {
                // The state goes just before the assignment, on the same connection: in order.
                for chunk in StateChunk.split(resume.data, trialId: trial, step: resume.step) {
                    outbox.append((.state(chunk), peer))
                }
            }
            outbox.append((.assign(trialId: trial, attempt: attempt, config: config.json), peer))
            if settings.recordsAssignmentLatency { outboxAskedAt.append(roster.entry(peer)?.idleSince ?? clock.now) }
        }
    }

    /// Nothing is queued and `peer` is idle: it runs a copy of the running trial expected to
    /// finish last, from that trial's latest state, when that is expected to save time.
    private func startBackup(on peer: PeerID) throws -> Bool {
        guard let info = roster.entry(peer)?.info,
            let choice = backups.choose(
                for: peer, info: info, roster: roster, budget: { self.trialFacts[$0]?.budget },
                startStep: { self.journal.progress(of: $0)?.checkpointStep ?? 0 }),
            let config = configs[choice.trial], let progress = journal.progress(of: choice.trial),
            case .running(_, let attempt) = progress.state
        else { return false }
        let resume = try savedState(of: choice.trial, for: peer)
        try journal.stage(.backup(trial: choice.trial, worker: peer.description))
        backups.started(choice.trial, on: peer, from: resume?.step ?? 0)
        backupsStarted += 1
        logger.notice(
            "backup started",
            metadata: [
                "trial": "\(choice.trial)", "worker": "\(peer)",
                "holderSeconds": "\(Int(choice.holderSeconds))", "backupSeconds": "\(Int(choice.backupSeconds))",
            ])
        if let resume {
            for chunk in StateChunk.split(resume.data, trialId: choice.trial, step: resume.step) { outbox.append((.state(chunk), peer)) }
        }
        outbox.append((.assign(trialId: choice.trial, attempt: attempt, config: config.json), peer))
        return true
    }

    /// A second result of a finished trial: from the same build and thread count it must equal
    /// the first (curves are deterministic); a difference means non-determinism, said loudly.
    private func compareDuplicate(_ result: TrialResult, from peer: PeerID) {
        guard let first = journal.state.results[result.trialId], first.build == result.build,
            first.blasThreads == result.blasThreads, first.outcome != .failed, result.outcome != .failed
        else { return }
        let same =
            first.outcome == result.outcome && first.tMem == result.tMem && first.tGrok == result.tGrok
            && first.steps == result.steps && first.curve == result.curve
        guard !same else { return }
        mismatchedResults += 1
        logger.error(
            "NON-DETERMINISM: two runs of one trial (same build and compute threads) differ",
            metadata: [
                "trial": "\(result.trialId)", "worker": "\(peer)",
                "first": "\(first.outcome.rawValue) t_grok \(first.tGrok.map(String.init) ?? "-") steps \(first.steps)",
                "second": "\(result.outcome.rawValue) t_grok \(result.tGrok.map(String.init) ?? "-") steps \(result.steps)",
            ])
    }

    /// The stored state `peer` can continue `trial` from (its build and thread count), if any.
    private func savedState(of trial: String, for peer: PeerID) throws -> (data: Data, step: Int)? {
        // A state still being stored (handed over by the worker that just stopped) comes first.
        if let ingest, ingest.isStoring(trial) {
            ingest.waitUntilStored(trial)
            try journalStoredStates()
        }
        guard let states = settings.states, let step = journal.progress(of: trial)?.checkpointStep, let key = configs[trial]?.stateKey,
            let info = roster.entry(peer)?.info
        else { return nil }
        let (data, refusals) = states.load(key: key, build: info.build, threads: info.blasThreads)
        for refusal in refusals {
            logger.warning("saved state passed over", metadata: ["trial": "\(trial)", "worker": "\(peer)", "why": "\(refusal)"])
        }
        guard let data else { return nil }
        // The previous state when the latest was passed over: its step is not journaled, and
        // only says how much is recomputed; the worker continues from whatever the state holds.
        return (data, refusals.isEmpty ? step : 0)
    }

    /// Assembles a state from the worker holding its trial and stores it; a state from anyone
    /// else, or one that fails its checks, is refused with the reason logged.
    private func receiveState(_ chunk: StateChunk, from peer: PeerID) throws {
        guard let ingest, roster.entry(peer)?.holding?.trial == chunk.trialId,
            let key = configs[chunk.trialId]?.stateKey, let build = roster.entry(peer)?.info?.build
        else {
            statesRefused += chunk.part == 0 ? 1 : 0
            return
        }
        switch assemblers[peer, default: StateAssembler()].add(chunk) {
        case .incomplete:
            return
        case .dropped(let why):
            logger.warning("state chunk dropped", metadata: ["worker": "\(peer)", "trial": "\(chunk.trialId)", "why": "\(why)"])
        case .complete(let data, let step):
            ingest.submit(
                StateIngest.Job(
                    trial: chunk.trialId, key: key, worker: peer.description, build: build,
                    step: step, data: data))
        }
    }

    /// Journals the states the ingest thread stored; logs the ones it refused (refused or not
    /// writable: the trial keeps its older state, nothing else is lost).
    private func journalStoredStates() throws {
        guard let ingest else { return }
        for completion in ingest.completed() {
            switch completion {
            case .stored(let trial, let worker, let step, let bytes):
                statesStored += 1
                // Also for a trial that finished meanwhile: a censored trial's final state is
                // what a raised budget continues from.
                try journal.stage(.checkpoint(trial: trial, worker: worker, step: step, bytes: bytes))
            case .refused(let trial, let worker, let why):
                statesRefused += 1
                logger.warning("state not stored", metadata: ["worker": "\(worker)", "trial": "\(trial)", "why": "\(why)"])
            }
        }
    }

    private func resendAssignment(_ held: WorkerRoster.Holding, to peer: PeerID, now: ContinuousClock.Instant) {
        guard let config = configs[held.trial], roster.claimResend(peer, now: now, interval: settings.heartbeatInterval) else {
            repeatedReadies += 1
            return
        }
        logger.info(
            "ready from a worker holding a trial; assignment sent again",
            metadata: ["worker": "\(peer)", "trial": "\(held.trial)"])
        outbox.append((.assign(trialId: held.trial, attempt: held.attempt, config: config.json), peer))
    }

    /// A worker process this coordinator started has died (`how`: its exit status or signal):
    /// the attempt it held failed for that reason, without waiting for the liveness timeout.
    func workerDied(_ peer: PeerID, how: String) throws {
        guard let entry = roster.remove(peer) else { return }
        backups.remove(peer)
        logger.warning("worker died", metadata: ["worker": "\(peer)", "how": "\(how)"])
        if let held = entry.holding {
            try failAttempt(held.trial, attempt: held.attempt, worker: peer, error: "worker \(peer) \(how) while running the trial")
        }
    }

    /// The progress watchdog: a trial whose worker heartbeats but reports no progress beyond
    /// its bound runs again elsewhere; the attempt is the worker's fault, not the trial's.
    private func stopStalledTrials(now: ContinuousClock.Instant) throws {
        for stalled in settings.watchdog.overdue(in: roster, now: now) {
            let error = "no progress for \(Int(stalled.silentFor.seconds)) s (watchdog bound \(Int(stalled.bound.seconds)) s)"
            logger.warning(
                "trial stalled; running it again elsewhere",
                metadata: ["worker": "\(stalled.peer)", "trial": "\(stalled.holding.trial)", "error": "\(error)"])
            roster.release(stalled.peer)
            // Should the worker come round, it stops the trial rather than compete with its rerun.
            send(.cancel(trialId: stalled.holding.trial, sendState: false), to: stalled.peer)
            try failAttempt(
                stalled.holding.trial, attempt: stalled.holding.attempt, worker: stalled.peer, error: error,
                blame: .worker)
        }
    }

    /// Quarantined workers whose time is up ask for work again.
    private func unparkWorkers(now: ContinuousClock.Instant) {
        guard !parked.isEmpty else { return }
        var stillParked: [PeerID] = []
        for peer in parked where roster.isKnown(peer) && roster.entry(peer)?.holding == nil {
            if standing.isQuarantined(peer, now: now) { stillParked.append(peer) } else { roster.setIdle(peer, now: now) }
        }
        parked = stillParked
    }

    private func reapSilentWorkers(now: ContinuousClock.Instant) throws {
        let deadline = now - settings.heartbeatInterval * settings.liveness
        for (peer, entry) in roster.removeSilent(before: deadline) {
            logger.warning("worker silent; presumed dead", metadata: ["worker": "\(peer)"])
            presumedDead += 1
            backups.remove(peer)
            if let held = entry.holding {
                try failAttempt(held.trial, attempt: held.attempt, worker: peer, error: "worker \(peer) went silent")
            }
        }
    }

    /// Ends one attempt without a result: back to the queue, or failed for good once it failed
    /// often enough on enough workers (see `Settings.maximumAttempts`). Either way the worker's
    /// loss streak grows, and a worker that keeps losing trials is quarantined.
    private func failAttempt(
        _ trial: String, attempt: Int, worker: PeerID, error: String,
        blame: AttemptBlame = .trial
    ) throws {
        guard case .running(let holder, let current)? = journal.progress(of: trial)?.state,
            holder == worker.description, current == attempt
        else { return }
        try journal.stage(
            .attemptFailed(
                trial: trial, worker: worker.description, attempt: attempt, error: error,
                blame: blame, reached: reportedStep.removeValue(forKey: trial)))
        if let length = standing.lost(worker, now: clock.now) {
            logger.warning(
                "worker quarantined: it lost \(settings.standing.quarantineAfter) trials in a row",
                metadata: [
                    "worker": "\(worker)", "seconds": "\(Int(length.seconds))",
                    "times": "\(standing.quarantines(of: worker))",
                ])
        }
        // Failed attempts, not attempt numbers: a coordinator restart or a stalled worker
        // re-runs a trial without holding it against the trial.
        let progress = journal.progress(of: trial)
        let failures = progress?.failedAttempts ?? attempt
        let distinct = progress?.failedOn.count ?? 1
        let enoughWorkers = distinct >= min(settings.distinctWorkersToGiveUp, max(workersSeen.count, 1))
        if blame == .trial, failures >= settings.maximumAttempts, enoughWorkers || failures >= 2 * settings.maximumAttempts {
            try journal.stage(.failed(trial: trial, attempts: attempt, error: error))
            open.remove(trial)
            logger.error("trial failed", metadata: ["trial": "\(trial)", "attempts": "\(attempt)", "error": "\(error)"])
        } else if let (copy, from) = backups.end(trial), roster.isKnown(copy) {
            // A backup already runs the trial: it becomes the next attempt, without a restart.
            let next = attempt + 1
            try journal.stage(.assigned(trial: trial, worker: copy.description, attempt: next, fromStep: from))
            roster.hold(copy, trial: trial, attempt: next, now: clock.now)
            logger.notice("backup promoted", metadata: ["trial": "\(trial)", "worker": "\(copy)"])
        } else {
            queue.requeueFirst(trial)
        }
    }

    private func send(_ message: Message, to peer: PeerID) {
        do { try transport.send(message, to: peer) } catch {
            logger.warning("send failed", metadata: ["worker": "\(peer)", "kind": "\(message.kind)", "error": "\(error)"])
        }
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

/// What the live view shows of a trial besides its progress.
struct TrialFacts {
    var label: String
    var seed: Int
    var budget: Int

    /// Each trial's cell label cut to what tells the cells apart, with short paths.
    static func of(_ trials: [ExpandedTrial]) -> [String: TrialFacts] {
        var cellKeys: [String] = []
        var labels: [String: [LabelPart]] = [:]
        for trial in trials where labels[trial.cellKey] == nil {
            cellKeys.append(trial.cellKey)
            labels[trial.cellKey] = trial.cellLabel
        }
        let shown = CellLabels.distinguishing(cellKeys.map { labels[$0] ?? [] })
        let names = CellLabels.shortNames(shown.flatMap { $0.map(\.path) })
        let text = Dictionary(
            uniqueKeysWithValues: zip(cellKeys, shown).map { key, parts in
                (key, parts.isEmpty ? "(single cell)" : parts.map { "\(names[$0.path] ?? $0.path)=\($0.text)" }.joined(separator: " "))
            })
        var facts: [String: TrialFacts] = [:]
        for trial in trials {
            facts[trial.id] = TrialFacts(label: text[trial.cellKey] ?? "", seed: trial.seed, budget: trial.config.budget)
        }
        return facts
    }
}
