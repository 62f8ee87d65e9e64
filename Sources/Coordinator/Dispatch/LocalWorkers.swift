import Foundation
import Logging

/// The embedded default: `grok-worker` processes on this machine, started by the coordinator,
/// connected over loopback, one compute thread each, restarted if one dies, stopped at the end.
final class LocalWorkers {
    private let executable: URL
    private let endpoint: String
    /// Passed to every worker after the standard arguments (e.g. its CURVE key bundle).
    private let extraArguments: [String]
    private let logger: Logger
    private var processes: [Int: Process] = [:]
    private var restarts = 0
    private let maximumRestarts: Int
    private let logDirectory: String

    /// `grok-worker` beside this executable (both are products of the same package).
    static func siblingExecutable() -> URL {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let sibling = me.deletingLastPathComponent().appendingPathComponent("grok-worker")
        if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("grok-worker")
    }

    init(
        count: Int, endpoint: String, extraArguments: [String] = [], logDirectory: String, logger: Logger,
        executable: URL = LocalWorkers.siblingExecutable()
    ) throws {
        self.executable = executable
        self.endpoint = endpoint
        self.extraArguments = extraArguments
        self.logger = logger
        self.logDirectory = logDirectory
        maximumRestarts = 3 * count
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw LocalWorkerError.missingExecutable(executable.path)
        }
        for index in 0..<count { try launch(index) }
    }

    private func launch(_ index: Int) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments =
            [
                "run", "--connect", endpoint, "--threads", "1", "--id", "local-\(index)",
                "--parent-pid", "\(ProcessInfo.processInfo.processIdentifier)",
            ] + extraArguments
        let logPath = (logDirectory as NSString).appendingPathComponent("worker-local-\(index).log")
        // Append: a restarted worker (or a resumed run) keeps the log of the one before it.
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        processes[index] = process
    }

    /// Restarts local workers that died (a crash or a kill), within a budget so a worker that
    /// dies on start cannot loop forever. Returns who died and how, so the trial a dead worker
    /// held can say why it failed.
    @discardableResult
    func reviveDead() -> [(worker: String, how: String)] {
        var deaths: [(worker: String, how: String)] = []
        for (index, process) in processes.sorted(by: { $0.key < $1.key }) where !process.isRunning {
            guard restarts < maximumRestarts else { break }
            restarts += 1
            let how = Self.describeExit(process)
            deaths.append(("local-\(index)", how))
            logger.warning("local worker exited; restarting", metadata: ["worker": "local-\(index)", "how": "\(how)"])
            do { try launch(index) } catch {
                logger.error("cannot restart local worker", metadata: ["error": "\(error)"])
            }
        }
        return deaths
    }

    /// `killed by signal 6 (Aborted)` or `exited with status 1`.
    static func describeExit(_ process: Process) -> String {
        let status = process.terminationStatus
        guard process.terminationReason == .uncaughtSignal else { return "exited with status \(status)" }
        let name = strsignal(status).map { String(cString: $0) } ?? "unknown signal"
        return "killed by signal \(status) (\(name))"
    }

    var pids: [Int32] { processes.values.filter(\.isRunning).map(\.processIdentifier) }

    var allExited: Bool { !processes.values.contains(where: \.isRunning) }

    /// Waits up to `grace` for workers to exit after `shutdown`, then terminates the rest
    /// (SIGTERM, then SIGKILL after another `grace`), so stopping never hangs.
    func stop(grace: TimeInterval = 3) {
        let deadline = Date().addingTimeInterval(grace)
        while processes.values.contains(where: \.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        for process in processes.values where process.isRunning { process.terminate() }
        let killDeadline = Date().addingTimeInterval(grace)
        while processes.values.contains(where: \.isRunning), Date() < killDeadline { Thread.sleep(forTimeInterval: 0.05) }
        for process in processes.values where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes.values { process.waitUntilExit() }
    }
}

enum LocalWorkerError: Error, CustomStringConvertible {
    case missingExecutable(String)
    var description: String {
        switch self {
        case .missingExecutable(let path): "cannot find the worker binary at \(path) (build it with `swift build -c release`)"
        }
    }
}
