import ArgumentParser
import Engine
import Foundation
import Logging
import Protocol

/// `grok-worker --connect tcp://HOST:PORT`: serve trials from a coordinator until it says stop.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve trials from a coordinator (the default command)."
    )

    @Option(help: "Coordinator endpoint, e.g. tcp://node01:5555.")
    var connect: String

    @Option(
        help:
            "Compute threads per trial: matrix products and the engine's loops (one worker per core with 1 thread each gives the most trials per second)."
    )
    var threads: Int = 1

    @Option(help: "Authenticate with the CURVE key bundle in this directory (made by `grok-coord keys`).")
    var curveKeys: String?

    @Option(help: "Worker id (default: HOST-PID).")
    var id: String?

    @Option(
        help: ArgumentHelp(
            "Seconds between the checkpoints of a running trial sent to the coordinator, so a trial "
                + "that runs again (this worker died, was preempted) continues from there; 0 for none.",
            valueName: "seconds"))
    var checkpointEvery: Double = 60

    @Option(
        help: ArgumentHelp(
            "The run's states folder (RUN_DIR/states) on a filesystem shared with the coordinator: "
                + "checkpoints are written there and only announced, instead of sent over the network.",
            valueName: "dir"))
    var sharedStates: String?

    @Option(
        help: ArgumentHelp(
            "Exit when this process (the coordinator that started the worker) is gone; "
                + "also leaves Ctrl-C to it.", visibility: .hidden))
    var parentPid: Int32?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "notice"

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        if let id, !PeerID.isValid(Array(id.utf8)) { throw ValidationError("--id must be 1–255 bytes") }
        guard checkpointEvery >= 0, checkpointEvery.isFinite else {
            throw ValidationError("--checkpoint-every must be a number of seconds ≥ 0")
        }
    }

    func run() throws {
        // A launcher may hand down a blocked signal mask (the coordinator spawns local workers
        // from a Dispatch thread, which blocks SIGTERM, SIGINT, SIGHUP…); a worker that cannot
        // be terminated hangs whoever stops it, so start from an empty mask.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        pthread_sigmask(SIG_SETMASK, &unblocked, nil)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
            return handler
        }
        let logger = Logger(label: "grok-worker")
        BLAS.threads = threads
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let workerId = id ?? "\(host)-\(pid)"
        let info = WorkerInfo(
            workerId: workerId, host: host, cores: ProcessInfo.processInfo.activeProcessorCount,
            build: EngineInfo.build, blasThreads: threads, pid: pid)
        let endpoint = connect
        var options = ZeroMQOptions()
        if let curveKeys {
            do { options.security = try CurveKeyDirectory.loadWorkerKeys(directory: curveKeys).security } catch {
                FileHandle.standardError.write(Data("grok-worker: error: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
        var settings = WorkerService.Settings()
        settings.checkpointEvery = checkpointEvery > 0 ? checkpointEvery : nil
        settings.sharedStates = sharedStates.map(TrialStateStore.init(directory:))
        let service = WorkerService(info: info, settings: settings, logger: logger) { [options] in
            try ZeroMQWorkerTransport(connect: endpoint, routingId: PeerID(workerId), options: options)
        }
        var orphaned: () -> Bool = { false }
        if let parentPid {
            // The coordinator handles Ctrl-C and tells its workers; it must not kill them first.
            signal(SIGINT, SIG_IGN)
            orphaned = { getppid() != parentPid }
        }
        // SIGTERM (Slurm's --signal, a spot instance's notice, `kill`): leave cleanly — the
        // running trial's state goes to the coordinator, which runs it on elsewhere.
        signal(SIGTERM, SIG_IGN)
        let termination = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        termination.setEventHandler {
            logger.notice("SIGTERM: sending the trial's state and leaving")
            service.leave(reason: "SIGTERM")
        }
        termination.resume()
        let reason = try service.run(shouldExit: orphaned)
        logger.notice("worker stopped", metadata: ["reason": "\(reason)"])
        // A trial thread may still be inside OpenBLAS (shutdown while busy); a normal exit runs
        // OpenBLAS's exit-time teardown under it and the process dies of SIGSEGV. Nothing is
        // left to clean up, so leave without exit handlers.
        fflush(nil)
        _exit(0)
    }
}
