import Foundation
import Logging
import Protocol

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
        var maximumAttempts = 3
        /// Called at most this often with a progress snapshot.
        var progressInterval: Duration = .seconds(1)
    }

    /// Counts for the progress line.
    struct Snapshot {
        var total: Int
        var finished: Int
        var failed: Int
        var running: Int
        var queued: Int
        var workers: Int
        var censored: Int
        /// Seconds of the trials finished in this session, for the ETA.
        var finishedThisSession: Int
        var elapsed: Double
    }

    enum Ending: Equatable { case completed, interrupted }

    private let journal: Journal
    private let transport: CoordinatorTransport
    private let settings: Settings
    private let logger: Logger
    private var roster = WorkerRoster()
    private var queue: [String]
    /// Trials without a final state (finished or failed), kept incrementally: the loop checks
    /// completion every iteration.
    private var open: Set<String>
    private let configs: [String: JSONValue]
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var finishedThisSession = 0
    private(set) var duplicateResults = 0
    private(set) var strayMessages = 0

    init(journal: Journal, transport: CoordinatorTransport, settings: Settings = Settings(), logger: Logger) {
        self.journal = journal
        self.transport = transport
        self.settings = settings
        self.logger = logger
        let state = journal.state
        queue = state.queued
        open = Set(state.trialIds.filter { state.state(of: $0) != .finished && state.state(of: $0) != .failed })
        configs = Dictionary(state.trials.map { ($0.id, $0.config.json) }, uniquingKeysWith: { first, _ in first })
        started = clock.now
    }

    // MARK: Loop

    /// Runs until every trial is finished or failed, or `shouldStop()` turns true; then tells
    /// every known worker to shut down.
    func run(shouldStop: () -> Bool, onProgress: (Snapshot) -> Void = { _ in }) throws -> Ending {
        var lastBeat = clock.now
        var lastProgress = clock.now - settings.progressInterval
        var ending = Ending.completed
        while !isComplete {
            if shouldStop() {
                ending = .interrupted
                break
            }
            if let incoming = transport.receive(timeout: .milliseconds(50)) {
                try handle(incoming)
            }
            let now = clock.now
            try reapSilentWorkers(now: now)
            try dispatch()
            if now - lastBeat >= settings.heartbeatInterval {
                for peer in roster.peers { send(.heartbeat, to: peer) }
                lastBeat = now
            }
            if now - lastProgress >= settings.progressInterval {
                onProgress(snapshot())
                lastProgress = now
            }
        }
        if ending == .interrupted, !journal.state.inFlight.isEmpty {
            try journal.append(.interrupted(reason: "stopped by the user"))
        }
        let reason = ending == .completed ? "sweep complete" : "sweep interrupted"
        for peer in roster.peers { send(.shutdown(reason: reason), to: peer) }
        onProgress(snapshot())
        return ending
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
            }
            send(.shutdown(reason: reason), to: incoming.peer)
        }
    }

    var isComplete: Bool { open.isEmpty }

    func snapshot() -> Snapshot {
        let state = journal.state
        let censored = state.results.values.filter { $0.outcome == .censored }.count
        return Snapshot(total: state.trialIds.count, finished: state.finished.count, failed: state.failed.count,
                        running: state.inFlight.count, queued: queue.count, workers: roster.count, censored: censored,
                        finishedThisSession: finishedThisSession, elapsed: (clock.now - started).seconds)
    }

    // MARK: Messages

    private func handle(_ incoming: Incoming) throws {
        let peer = incoming.peer
        let now = clock.now
        switch incoming.message {
        case .hello(let info):
            roster.greet(peer, info: info, now: now)
            logger.info("worker joined", metadata: ["worker": "\(peer)", "host": "\(info.host)",
                                                    "blasThreads": "\(info.blasThreads)"])
        case .ready:
            guard roster.isKnown(peer) else { return stray(incoming) }
            roster.heard(peer, now: now)
            if let held = roster.entry(peer)?.holding {
                // A worker that asks for work while holding a trial lost it (e.g. it restarted).
                try failAttempt(held.trial, attempt: held.attempt, worker: peer, error: "worker restarted while holding the trial")
                roster.release(peer)
            }
            roster.setIdle(peer, true)
        case .heartbeat:
            guard roster.isKnown(peer) else { return stray(incoming) }
            roster.heard(peer, now: now)
        case .progress(let trial, let step, _, let testAccuracy, _, _):
            guard roster.isKnown(peer) else { return stray(incoming) }
            roster.heard(peer, now: now)
            if roster.entry(peer)?.holding?.trial == trial { roster.progress(peer, step: step, testAccuracy: testAccuracy) }
        case .result(let result):
            roster.heard(peer, now: now)
            try accept(result, from: peer)
        case .failure(let trial, let message):
            roster.heard(peer, now: now)
            guard let held = roster.entry(peer)?.holding, held.trial == trial else { return stray(incoming) }
            roster.release(peer)
            try failAttempt(trial, attempt: held.attempt, worker: peer, error: message)
        case .assign, .shutdown, .reject:
            stray(incoming)
        }
    }

    private func stray(_ incoming: Incoming) {
        strayMessages += 1
        logger.debug("message dropped", metadata: ["worker": "\(incoming.peer)", "kind": "\(incoming.message.kind)"])
    }

    /// Records a result unless the trial already has one. Results are accepted from any worker
    /// for a trial of this sweep: a worker declared dead, or one that served a previous
    /// coordinator, may still deliver a real result, and it is as good as any.
    private func accept(_ result: TrialResult, from peer: PeerID) throws {
        let state = journal.state
        guard let trialState = state.state(of: result.trialId) else {
            strayMessages += 1
            logger.warning("result for a trial not in this sweep dropped",
                           metadata: ["worker": "\(peer)", "trial": "\(result.trialId)"])
            return
        }
        if roster.entry(peer)?.holding?.trial == result.trialId { roster.release(peer) }
        guard trialState != .finished else {
            duplicateResults += 1
            return
        }
        if try journal.append(.finished(result)) {
            finishedThisSession += 1
            open.remove(result.trialId)
            queue.removeAll { $0 == result.trialId }
            // Another worker may be running the same trial after a requeue: it is free now.
            if let other = roster.holder(of: result.trialId) { roster.release(other) }
            logger.info("trial finished", metadata: ["trial": "\(result.trialId)", "outcome": "\(result.outcome.rawValue)",
                                                     "worker": "\(peer)"])
        } else {
            duplicateResults += 1
        }
    }

    // MARK: Dispatch and failures

    private func dispatch() throws {
        for peer in roster.idlePeers {
            guard let trial = queue.first else { return }
            guard let config = configs[trial], let progress = journal.state.progress[trial] else {
                queue.removeFirst()
                continue
            }
            let attempt = progress.attempts + 1
            let worker = peer.description
            // Journal first: a crash after this line re-runs the trial; before it, nothing happened.
            try journal.append(.assigned(trial: trial, worker: worker, attempt: attempt))
            queue.removeFirst()
            roster.hold(peer, trial: trial, attempt: attempt)
            send(.assign(trialId: trial, attempt: attempt, config: config), to: peer)
        }
    }

    private func reapSilentWorkers(now: ContinuousClock.Instant) throws {
        let deadline = now - settings.heartbeatInterval * settings.liveness
        for (peer, entry) in roster.removeSilent(before: deadline) {
            logger.warning("worker silent; presumed dead", metadata: ["worker": "\(peer)"])
            if let held = entry.holding {
                try failAttempt(held.trial, attempt: held.attempt, worker: peer, error: "worker \(peer) went silent")
            }
        }
    }

    /// Ends one attempt without a result: back to the queue, or failed for good after too many.
    private func failAttempt(_ trial: String, attempt: Int, worker: PeerID, error: String) throws {
        guard case .running(let holder, let current)? = journal.state.state(of: trial),
              holder == worker.description, current == attempt else { return }
        try journal.append(.attemptFailed(trial: trial, worker: worker.description, attempt: attempt, error: error))
        if attempt >= settings.maximumAttempts {
            try journal.append(.failed(trial: trial, attempts: attempt, error: error))
            open.remove(trial)
            logger.error("trial failed", metadata: ["trial": "\(trial)", "attempts": "\(attempt)", "error": "\(error)"])
        } else {
            queue.insert(trial, at: 0)
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
