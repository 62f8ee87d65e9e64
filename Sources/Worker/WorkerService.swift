import Engine
import Foundation
import Logging
import Protocol
import Synchronization
import TrialSchema

/// Serves trials from a coordinator, in the manner of the ZeroMQ guide's Paranoid Pirate worker.
///
/// The event loop (the calling thread) announces the worker (`hello`), asks for work when idle
/// (`ready`), heartbeats every `heartbeatInterval`, and — when the coordinator has been silent for
/// `liveness` intervals — drops the connection and reconnects with exponential backoff, announcing
/// itself again. Trials run one at a time on a separate thread so heartbeats continue while the
/// engine trains; progress, the trial's state every `checkpointEvery` seconds, and the result go
/// out as they happen. A trial handed over with a state (chunks just before the `assign`)
/// continues from it. A `cancel` stops the trial at its next step boundary; `leave` (SIGTERM)
/// stops it after sending its state, says `leaving` and ends `run()`, as does a `shutdown`.
final class WorkerService: Sendable {
    struct Settings {
        var heartbeatInterval: Duration = .seconds(1)
        var liveness = 3
        var initialBackoff: Duration = .milliseconds(500)
        var maximumBackoff: Duration = .seconds(16)
        /// Minimum time between progress messages of one trial.
        var progressInterval: Duration = .seconds(1)
        /// Seconds between checkpoints sent to the coordinator (nil: none). A trial's first one
        /// comes after 1 to 1.5 intervals (staggered), so short trials send none.
        var checkpointEvery: Double? = 60
        /// How long `leave` waits for the running trial to stop and send its state.
        var leaveGrace: Duration = .seconds(90)
        /// The run's states folder on a filesystem shared with the coordinator: states are
        /// written there (and only announced) instead of sent over the network.
        var sharedStates: TrialStateStore?
    }

    private let info: WorkerInfo
    private let settings: Settings
    private let connect: @Sendable () throws -> WorkerTransport
    private let logger: Logger
    /// What the event loop, the trial thread and a signal handler share.
    private struct Shared {
        /// The current connection (nil while reconnecting).
        var transport: WorkerTransport?
        /// The trial being run and its handle (to stop it).
        var runningTrial: String?
        var checkpointing: TrialCheckpointing?
        /// States received to continue a trial from, by trial (the latest only).
        var assembler = StateAssembler()
        var resumeState: (trialId: String, data: Data, step: Int)?
        /// Set by `leave`: the reason, and when it was asked.
        var leaving: (reason: String, since: ContinuousClock.Instant)?
    }

    private let shared = Mutex(Shared())

    init(
        info: WorkerInfo, settings: Settings = Settings(), logger: Logger,
        connect: @escaping @Sendable () throws -> WorkerTransport
    ) {
        self.info = info
        self.settings = settings
        self.logger = logger
        self.connect = connect
    }

    // MARK: Event loop

    /// Serves until the coordinator says `shutdown`; returns its reason.
    func run(shouldExit: @escaping () -> Bool = { false }) throws -> String {
        var backoff = settings.initialBackoff
        while true {
            if shouldExit() { return "the coordinator that started this worker is gone" }
            let link = try connect()
            setTransport(link)
            try announce(on: link)
            switch serve(link, shouldExit: shouldExit) {
            case .left(let reason):
                setTransport(nil)
                link.close()
                return reason
            case .shutdown(let reason):
                setTransport(nil)
                link.close()
                return reason
            case .coordinatorSilent(let afterContact):
                // A connection that worked resets the backoff; repeated failures lengthen it.
                if afterContact { backoff = settings.initialBackoff }
                logger.warning(
                    "coordinator silent; reconnecting",
                    metadata: ["backoffSeconds": "\(backoff.seconds)"])
                setTransport(nil)
                link.close()
                Thread.sleep(forTimeInterval: backoff.seconds)
                backoff = min(backoff * 2, settings.maximumBackoff)
            }
        }
    }

    private enum LinkEnd { case shutdown(String), left(String), coordinatorSilent(afterContact: Bool) }

    /// Stops the running trial at its next step boundary after sending its state, tells the
    /// coordinator this worker is leaving, and ends `run()` (thread-safe; for SIGTERM).
    func leave(reason: String) {
        let checkpointing = shared.withLock { shared -> TrialCheckpointing? in
            if shared.leaving == nil { shared.leaving = (reason, ContinuousClock.now) }
            return shared.checkpointing
        }
        checkpointing?.requestStop(sendState: true)
    }

    private func announce(on link: WorkerTransport) throws {
        try link.send(.hello(info))
        if currentTrial() == nil { try link.send(.ready) }
    }

    /// Handles one connection until shutdown or silence.
    private func serve(_ link: WorkerTransport, shouldExit: () -> Bool) -> LinkEnd {
        let clock = ContinuousClock()
        var lastHeard = clock.now
        var lastBeat = clock.now
        var contact = false
        let silenceLimit = settings.heartbeatInterval * settings.liveness
        while true {
            if let message = link.receive(timeout: .milliseconds(100)) {
                lastHeard = clock.now
                contact = true
                switch message {
                case .assign(let trialId, let attempt, let config):
                    if !isLeaving { start(trialId: trialId, attempt: attempt, config: config) }
                case .state(let chunk):
                    receiveState(chunk)
                case .cancel(let trialId, let sendState):
                    cancel(trialId, sendState: sendState)
                case .shutdown(let reason):
                    return .shutdown(reason)
                case .reject(let reason):
                    logger.error("coordinator rejected this worker", metadata: ["reason": "\(reason)"])
                    return .shutdown("rejected: \(reason)")
                case .heartbeat, .hello, .ready, .progress, .result, .failure, .stopped, .leaving, .stateStored:
                    break
                }
            }
            let now = clock.now
            if let leaving = shared.withLock({ $0.leaving }),
                currentTrial() == nil || now - leaving.since >= settings.leaveGrace
            {
                try? link.send(.leaving(reason: leaving.reason))
                return .left("leaving: \(leaving.reason)")
            }
            if now - lastBeat >= settings.heartbeatInterval {
                try? link.send(.heartbeat)
                lastBeat = now
            }
            if now - lastHeard >= silenceLimit { return shouldExit() ? .shutdown("orphaned") : .coordinatorSilent(afterContact: contact) }
        }
    }

    // MARK: Trials

    private func receiveState(_ chunk: StateChunk) {
        let outcome = shared.withLock { $0.assembler.add(chunk) }
        switch outcome {
        case .incomplete:
            break
        case .complete(let data, let step):
            shared.withLock { $0.resumeState = (chunk.trialId, data, step) }
        case .dropped(let why):
            logger.warning("state chunk dropped", metadata: ["trial": "\(chunk.trialId)", "why": "\(why)"])
        }
    }

    private func cancel(_ trialId: String, sendState: Bool) {
        // A cancel of a trial this worker does not run (it ended, or never started) is moot.
        let checkpointing = shared.withLock { $0.runningTrial == trialId ? $0.checkpointing : nil }
        guard let checkpointing else { return }
        logger.info("trial cancelled", metadata: ["trial": "\(trialId)", "sendState": "\(sendState)"])
        checkpointing.requestStop(sendState: sendState)
    }

    private func start(trialId: String, attempt: Int, config json: JSONValue) {
        if let current = currentTrial() {
            // The coordinator repeats the assignment of the trial this worker runs when it hears
            // a repeated `ready`; anything else while busy is a protocol slip worth a warning.
            if current != trialId {
                logger.warning("assign while busy; ignored", metadata: ["trial": "\(trialId)", "running": "\(current)"])
            }
            return
        }
        let config: TrialConfig
        do { config = try TrialConfig(json: json) } catch {
            sendOnCurrentLink(.failure(trialId: trialId, message: "invalid trial config: \(error)"))
            sendOnCurrentLink(.ready)
            return
        }
        // The state sent just before this assignment, if it is this trial's.
        let resume = shared.withLock { shared -> (data: Data, step: Int)? in
            defer { shared.resumeState = nil }
            guard let state = shared.resumeState, state.trialId == trialId else { return nil }
            return (state.data, state.step)
        }
        let checkpointing = TrialCheckpointing(
            config: config, every: settings.checkpointEvery,
            stagger: Double(UInt(bitPattern: trialId.hashValue) % 1000) / 2000
        ) {
            [self] state, step in
            if let shared = settings.sharedStates {
                do {
                    try shared.save(state, key: config.stateKey, build: info.build)
                    sendOnCurrentLink(.stateStored(trialId: trialId, step: step, bytes: state.count))
                    return
                } catch {
                    logger.warning(
                        "cannot write to the shared states folder; sending the state instead",
                        metadata: ["folder": "\(shared.directory)", "error": "\(error)"])
                }
            }
            for chunk in StateChunk.split(state, trialId: trialId, step: step) { sendOnCurrentLink(.state(chunk)) }
        }
        shared.withLock {
            $0.runningTrial = trialId
            $0.checkpointing = checkpointing
        }
        logger.info(
            "trial assigned",
            metadata: [
                "trial": "\(trialId)", "attempt": "\(attempt)",
                "fromStep": "\(resume?.step ?? 0)",
            ])
        let thread = Thread { [self] in
            let ending = execute(checkpointing, trialId: trialId, resume: resume)
            // The result goes out on whatever connection is current, then the worker is idle.
            let leaving = shared.withLock { shared -> Bool in
                shared.runningTrial = nil
                shared.checkpointing = nil
                return shared.leaving != nil
            }
            for message in ending { sendOnCurrentLink(message) }
            if !leaving { sendOnCurrentLink(.ready) }
        }
        thread.name = "trial"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Runs the trial (continued from `resume` when that state opens) and returns what to tell
    /// the coordinator: the final state of a censored trial and the result, or `stopped`.
    private func execute(
        _ checkpointing: TrialCheckpointing, trialId: String,
        resume: (data: Data, step: Int)?
    ) -> [Message] {
        let config = checkpointing.config
        var saved: TrialState?
        if let resume {
            do { saved = try checkpointing.open(resume.data) } catch {
                // Refused (another build, a corrupted copy…): the trial starts over, losing time only.
                logger.warning(
                    "state refused; starting from step 0",
                    metadata: ["trial": "\(trialId)", "step": "\(resume.step)", "why": "\(error)"])
            }
        }
        let clock = ContinuousClock()
        var lastProgress = clock.now - settings.progressInterval
        var messages: [Message] = []
        var result: TrialResult
        do {
            func report(_ point: CurvePoint, _ stage: ProgressStage) {
                guard clock.now - lastProgress >= settings.progressInterval else { return }
                lastProgress = clock.now
                sendOnCurrentLink(
                    .progress(
                        trialId: trialId, step: point.step, trainAccuracy: point.trainAccuracy,
                        testAccuracy: point.testAccuracy, trainLoss: point.trainLoss,
                        testLoss: point.testLoss, stage: stage))
            }
            let completion = try checkpointing.run(
                host: info.host, resumingFrom: saved,
                onEvaluation: { report($0, .target) },
                onWeakEvaluation: { report($0, .weak) })
            result = completion.result
            // A censored trial's final state is what a raised budget continues from.
            if let final = completion.finalState {
                if let shared = settings.sharedStates, (try? shared.save(final, key: config.stateKey, build: info.build)) != nil {
                    messages.append(.stateStored(trialId: trialId, step: config.budget, bytes: final.count))
                } else {
                    messages += StateChunk.split(final, trialId: trialId, step: config.budget).map(Message.state)
                }
            }
        } catch let stopped as TrialStopped {
            return [.stopped(trialId: trialId, step: stopped.step)]
        } catch {
            result = TrialExecution.failure(config, host: info.host, error: error)
        }
        // Report under the id the coordinator used, should its canonical form ever differ.
        result.trialId = trialId
        result.build = info.build
        return messages + [.result(result)]
    }

    // MARK: Shared state

    private func sendOnCurrentLink(_ message: Message) {
        let link = shared.withLock { $0.transport }
        do { try link?.send(message) } catch {
            logger.warning("send failed", metadata: ["kind": "\(message.kind)", "error": "\(error)"])
        }
    }

    private func setTransport(_ link: WorkerTransport?) { shared.withLock { $0.transport = link } }
    private func currentTrial() -> String? { shared.withLock { $0.runningTrial } }
    private var isLeaving: Bool { shared.withLock { $0.leaving != nil } }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
