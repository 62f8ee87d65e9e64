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
/// engine trains; progress and the result go out as they happen. A `shutdown` ends `run()`.
final class WorkerService: Sendable {
    struct Settings {
        var heartbeatInterval: Duration = .seconds(1)
        var liveness = 3
        var initialBackoff: Duration = .milliseconds(500)
        var maximumBackoff: Duration = .seconds(16)
        /// Minimum time between progress messages of one trial.
        var progressInterval: Duration = .seconds(1)
    }

    private let info: WorkerInfo
    private let settings: Settings
    private let connect: @Sendable () throws -> WorkerTransport
    private let logger: Logger
    /// The current connection (nil while reconnecting) and the trial being run, shared by the
    /// event loop and the trial thread.
    private let shared = Mutex<(transport: WorkerTransport?, runningTrial: String?)>((nil, nil))

    init(info: WorkerInfo, settings: Settings = Settings(), logger: Logger,
         connect: @escaping @Sendable () throws -> WorkerTransport) {
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
            case .shutdown(let reason):
                setTransport(nil)
                link.close()
                return reason
            case .coordinatorSilent(let afterContact):
                // A connection that worked resets the backoff; repeated failures lengthen it.
                if afterContact { backoff = settings.initialBackoff }
                logger.warning("coordinator silent; reconnecting",
                               metadata: ["backoffSeconds": "\(backoff.seconds)"])
                setTransport(nil)
                link.close()
                Thread.sleep(forTimeInterval: backoff.seconds)
                backoff = min(backoff * 2, settings.maximumBackoff)
            }
        }
    }

    private enum LinkEnd { case shutdown(String), coordinatorSilent(afterContact: Bool) }

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
                    start(trialId: trialId, attempt: attempt, config: config)
                case .shutdown(let reason):
                    return .shutdown(reason)
                case .reject(let reason):
                    logger.error("coordinator rejected this worker", metadata: ["reason": "\(reason)"])
                    return .shutdown("rejected: \(reason)")
                case .heartbeat, .hello, .ready, .progress, .result, .failure:
                    break
                }
            }
            let now = clock.now
            if now - lastBeat >= settings.heartbeatInterval {
                try? link.send(.heartbeat)
                lastBeat = now
            }
            if now - lastHeard >= silenceLimit { return shouldExit() ? .shutdown("orphaned") : .coordinatorSilent(afterContact: contact) }
        }
    }

    // MARK: Trials

    private func start(trialId: String, attempt: Int, config json: JSONValue) {
        if let current = currentTrial() {
            // The coordinator repeats the assignment of the trial this worker runs when it hears
            // a repeated `ready`; anything else while busy is a protocol slip worth a warning.
            if current != trialId {
                logger.warning("assign while busy; ignored", metadata: ["trial": "\(trialId)", "running": "\(current)"])
            }
            return
        }
        setTrial(trialId)
        logger.info("trial assigned", metadata: ["trial": "\(trialId)", "attempt": "\(attempt)"])
        let thread = Thread { [self] in
            let message: Message
            do {
                let config = try TrialConfig(json: json)
                let result = execute(config, trialId: trialId)
                message = .result(result)
            } catch {
                message = .failure(trialId: trialId, message: "invalid trial config: \(error)")
            }
            // The result goes out on whatever connection is current, then the worker is idle.
            setTrial(nil)
            sendOnCurrentLink(message)
            sendOnCurrentLink(.ready)
        }
        thread.name = "trial"
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func execute(_ config: TrialConfig, trialId: String) -> TrialResult {
        let clock = ContinuousClock()
        var lastProgress = clock.now - settings.progressInterval
        var result = TrialExecution.run(config, host: info.host) { point in
            guard clock.now - lastProgress >= settings.progressInterval else { return }
            lastProgress = clock.now
            sendOnCurrentLink(.progress(trialId: trialId, step: point.step, trainAccuracy: point.trainAccuracy,
                                        testAccuracy: point.testAccuracy, trainLoss: point.trainLoss,
                                        testLoss: point.testLoss))
        }
        // Report under the id the coordinator used, should its canonical form ever differ.
        result.trialId = trialId
        result.build = info.build
        return result
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
    private func setTrial(_ id: String?) { shared.withLock { $0.runningTrial = id } }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
