import ArgumentParser
import Engine
import Foundation
import Logging
import Protocol
import Synchronization

/// `grok-coord SWEEP.json` (or `grok-coord run SWEEP.json`): runs every trial of a sweep on
/// workers over ZeroMQ — local ones by default — and writes the run's journal and tables.
struct RunSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every trial of a sweep file and report time-to-grok statistics.",
        discussion: """
            Re-running with the same run directory resumes: finished trials are never re-run and \
            trials that were in flight run again. Ctrl-C stops dispatching, tells the workers and \
            keeps the journal consistent; a second Ctrl-C exits at once. While it runs, \
            `grok-coord status RUN_DIR` shows its progress from another shell.
            """
    )

    @Argument(help: "The sweep file, e.g. sweeps/smoke.json.")
    var sweepFile: String

    @Option(help: "Run directory (default: runs/SWEEP-NAME).")
    var runDir: String?

    @Option(help: "ZeroMQ endpoint to bind, e.g. tcp://*:5555 for workers on other nodes (default: loopback, any free port).")
    var bind: String?

    @Option(help: "Require CURVE authentication with the keys in this directory (see `grok-coord keys`).")
    var curveKeys: String?

    @Option(help: "Local worker processes to start (default: one per core; 0 when only remote workers serve).")
    var localWorkers: Int?

    @Flag(help: "Continue the run in the run directory (also the default when its journal exists).")
    var resume = false

    @Flag(help: "Accept a sweep file that gained trials since the run started: run only the new ones.")
    var extend = false

    @Option(
        help: ArgumentHelp(
            "Seconds without progress after which a running trial is run again elsewhere "
                + "(at least; the bound grows with the trial's own time between evaluations).",
            valueName: "seconds"))
    var progressTimeout: Double = 60

    @Option(
        help: ArgumentHelp(
            "Seconds between the checkpoints local workers send of a running trial (kept in "
                + "RUN_DIR/states); a trial that runs again continues from its latest one. 0 for none. "
                + "Remote workers take the same option.", valueName: "seconds"))
    var checkpointEvery: Double = 60

    @Flag(
        inversion: .prefixedNo,
        help: "At the tail of a sweep, run copies of the slowest running trials on idle workers (first result wins).")
    var backups = true

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "notice"

    func validate() throws {
        if let localWorkers, localWorkers < 0 { throw ValidationError("--local-workers must be ≥ 0") }
        guard progressTimeout >= 1 else { throw ValidationError("--progress-timeout must be at least 1 second") }
        guard checkpointEvery >= 0, checkpointEvery.isFinite else {
            throw ValidationError("--checkpoint-every must be a number of seconds ≥ 0")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "grok-coord")
        let plan = try UserFacingError.reporting { try SweepPlan.load(path: sweepFile) }
        let directory = runDir ?? "runs/\(plan.name)"
        let workerCount = localWorkers ?? ProcessInfo.processInfo.activeProcessorCount
        // Local workers share this machine: a trial that cannot fit in it is refused up front.
        if workerCount > 0,
            let refusal = SweepCost(plan: plan).refusal(
                plan: plan, memoryLimit: TrialCost.physicalMemory,
                where: "this machine")
        {
            UserFacingError.fail(refusal)
        }
        let journal = try UserFacingError.reporting {
            try Journal.start(plan: plan, runDirectory: directory, extend: extend)
        }
        let security = try UserFacingError.reporting {
            try CoordinatorSecurity.make(keyDirectory: curveKeys, bind: bind, runDirectory: directory, localWorkers: workerCount)
        }
        var options = ZeroMQOptions()
        options.security = security.security
        let transport: ZeroMQCoordinatorTransport
        do { transport = try ZeroMQCoordinatorTransport(bind: bind ?? CoordinatorSecurity.loopbackEndpoint, options: options) } catch {
            UserFacingError.fail("\(error)")
        }
        defer { transport.close() }
        let before = journal.state
        printErr(
            "sweep \(plan.name): \(before.trialIds.count) trials, \(before.finished.count + before.failed.count) "
                + "already done; run directory \(directory); listening on \(transport.endpoint)")
        printErr(security.notice)
        if workerCount == 0 {
            printErr(
                "waiting for workers: grok-worker --connect \(transport.endpoint)"
                    + (curveKeys == nil ? "" : " --curve-keys KEYDIR/worker-K"))
        }

        var workers: LocalWorkers?
        if workerCount > 0 {
            do {
                workers = try LocalWorkers(
                    count: workerCount, endpoint: Self.loopback(transport.endpoint),
                    extraArguments: security.localWorkerArguments
                        + ["--checkpoint-every", "\(checkpointEvery)"],
                    logDirectory: directory, logger: logger)
            } catch { UserFacingError.fail("\(error)") }
        }
        InterruptHandler.install()
        let view = LiveView()
        let statusFile = StatusFile(runDirectory: directory)
        var settings = Dispatcher.Settings()
        settings.partialCurves = PartialCurves(runDirectory: directory)
        settings.states = TrialStateStore(runDirectory: directory)
        settings.backups.enabled = backups
        settings.watchdog.floor = .milliseconds(Int(progressTimeout * 1000))
        let dispatcher = Dispatcher(journal: journal, transport: transport, settings: settings, logger: logger)
        let running = Result {
            try dispatcher.run(shouldStop: { InterruptHandler.requested }) { status in
                view.show(status)
                statusFile.update(status, force: status.phase != .running)
                // Not once the sweep has ended: the last snapshot comes after the workers were told
                // to shut down, and a worker that already obeyed must not be started again.
                if !dispatcher.isComplete, !InterruptHandler.requested, let deaths = workers?.reviveDead() {
                    for death in deaths { try? dispatcher.workerDied(PeerID(death.worker), how: death.how) }
                }
            }
        }
        view.finish()
        // A journal that cannot be written (a full disk…) ends the run with one line naming the
        // file and the cause; what the journal holds is intact and the same command resumes.
        if case .failure = running { workers?.stop() }
        let ending = try UserFacingError.reporting { try running.get() }
        let reason = ending == .completed ? "sweep complete" : "sweep interrupted"
        dispatcher.drain(for: workers == nil ? .milliseconds(1500) : .seconds(3), reason: reason) {
            workers?.allExited ?? false
        }
        workers?.stop()

        let state = journal.state
        // Also after Ctrl-C: the report then says it is partial.
        let report = try UserFacingError.reporting { try ReportWriter().write(state: state, runDirectory: directory) }
        print(report.table, terminator: "")
        print(ReportWriter.fileListing([journal.path] + report.files))
        if ending == .interrupted {
            printErr(
                "interrupted: \(state.finished.count) of \(state.trialIds.count) trials finished; "
                    + "run the same command again to resume")
            throw ExitCode(130)
        }
    }

    /// Where local workers connect for a bound endpoint (`tcp://0.0.0.0:5555` → loopback).
    static func loopback(_ endpoint: String) -> String {
        endpoint.replacingOccurrences(of: "//0.0.0.0:", with: "//127.0.0.1:")
            .replacingOccurrences(of: "//*:", with: "//127.0.0.1:")
    }
}

func printErr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Ctrl-C: the first asks the sweep to stop cleanly, the second exits at once.
enum InterruptHandler {
    private static let count = Atomic<Int>(0)

    static var requested: Bool { count.load(ordering: .relaxed) > 0 }

    static func install() {
        signal(SIGINT) { _ in
            let (_, now) = InterruptHandler.count.add(1, ordering: .relaxed)
            if now >= 2 { _exit(130) }
            let note = "\ngrok-coord: stopping (Ctrl-C again to exit at once)\n"
            _ = note.withCString { write(2, $0, strlen($0)) }
        }
    }
}
