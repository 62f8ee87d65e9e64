import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Shared machinery of the end-to-end tests: the built binaries, child processes with logs,
/// free ports, sweep files, and a plain reading of `journal.jsonl`.
enum EndToEnd {
    // MARK: Binaries

    /// The directory holding `grok-coord` and `grok-worker`: the test bundle's own build directory
    /// (`.build/<triple>/release`), found by walking up from the running test executable.
    static let binDirectory: URL? = {
        var candidates: [URL] = []
        if let main = Bundle.main.executableURL { candidates.append(main) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]))
        candidates.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath())
        candidates.append(Bundle.main.bundleURL)
        for candidate in candidates {
            var directory = candidate.resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<5 {
                let coord = directory.appendingPathComponent("grok-coord").path
                let worker = directory.appendingPathComponent("grok-worker").path
                if FileManager.default.isExecutableFile(atPath: coord), FileManager.default.isExecutableFile(atPath: worker) {
                    return directory
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }()

    static func binary(_ name: String) throws -> URL {
        let directory = try #require(
            binDirectory,
            """
            cannot find grok-coord and grok-worker beside the test bundle \(CommandLine.arguments[0]); \
            build them first (swift build -c release --build-tests)
            """)
        return directory.appendingPathComponent(name)
    }

    static let pythonHasZMQ: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import zmq"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    // MARK: Files

    /// A fresh scratch directory for one test.
    static func scratchDirectory(_ label: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("groksweep-e2e-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// A script of `scripts/` run with bash on the binaries under test (`GROKSWEEP_BIN`), its
    /// temporary files under `directory`; waits without holding a thread of the test pool for
    /// the minutes it may run. Returns its exit status and its output (stdout and stderr).
    static func runScript(
        _ name: String, _ arguments: [String], in directory: String
    ) async throws -> (
        status: Int32, output: String
    ) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/\(name)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GROKSWEEP_BIN"] = try binary("grok-coord").deletingLastPathComponent().path
        environment["TMPDIR"] = directory
        process.environment = environment
        let logPath = (directory as NSString).appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        process.waitUntilExit()
        try? log.close()
        return (process.terminationStatus, (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
    }

    /// Writes a sweep of `seeds` censored trials (modular addition mod 31, MLP d 32 / 128, weight
    /// decay 0.1 never groks within the budget, so every trial runs its whole budget: ~0.3 ms a
    /// step on one core, i.e. budget 2000 ≈ 0.6 s, 3000 ≈ 0.9 s).
    static func writeSweep(in directory: String, name: String, seeds: Int, budget: Int) throws -> String {
        let text = """
            { "name": "\(name)",
              "base": { "task": { "kind": "modular", "operation": "add", "modulus": 31, "trainFraction": 0.5 },
                        "target": { "embeddingDim": 32, "width": 128, "weightDecay": 0.1 } },
              "budget": \(budget), "evalEvery": 50,
              "seeds": { "count": \(seeds), "start": 0 } }
            """
        let path = (directory as NSString).appendingPathComponent("\(name).json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Ports

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0, "socket() failed")
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0, "bind() failed")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        try #require(named == 0, "getsockname() failed")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Waiting

    struct TimedOut: Error, CustomStringConvertible {
        var description: String
    }

    /// Polls `condition` every 20 ms until it holds; throws (failing the test) after `timeout`.
    /// `context` is evaluated only on failure, to attach logs.
    static func waitUntil(
        _ what: String, timeout: Duration, context: () -> String = { "" },
        _ condition: () throws -> Bool
    ) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        if try condition() { return }
        throw TimedOut(description: "timed out after \(timeout) waiting for \(what)\n\(context())")
    }

    /// The same wait for async tests: it sleeps without holding a thread of the test pool, so
    /// suites running beside a long end-to-end test are not starved of threads.
    static func waitUntil(
        _ what: String, timeout: Duration, context: () -> String = { "" },
        _ condition: () throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        if try condition() { return }
        throw TimedOut(description: "timed out after \(timeout) waiting for \(what)\n\(context())")
    }

    // MARK: Processes

    /// Pids of live `grok-worker` processes started by the coordinator with pid `parent`
    /// (local workers carry `--parent-pid PARENT` on their command line, and keep it once orphaned).
    static func localWorkerPids(of parent: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let flag = arguments.firstIndex(of: "--parent-pid"), flag + 1 < arguments.count,
                arguments[flag + 1] == String(parent),
                arguments.first?.hasSuffix("grok-worker") == true
            else { return nil }
            return pid
        }
    }

    /// Whether `pid` is a live process (not gone and not a zombie).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Whether `pid` blocks SIGTERM (its `SigBlk` mask in /proc); nil when the process is gone.
    static func blocksSIGTERM(_ pid: Int32) -> Bool? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
            let mask = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return nil }
        return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
    }

    /// SIGKILLs each pid still alive; for leftovers in a `defer`.
    static func killLeftovers(_ pids: [Int32]) {
        for pid in pids where isAlive(pid) { kill(pid, SIGKILL) }
    }
}

/// Runs `body` every `interval` on a thread of its own until `stop()`: for what a test must do in
/// real time (heartbeats, watching a file) even while the test pool is slow to resume the test.
final class BackgroundLoop: @unchecked Sendable {
    // Invariant: `running` is read and written under `lock` only.
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(every interval: TimeInterval, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                body()
                Thread.sleep(forTimeInterval: interval)
            }
            done.signal()
        }
        thread.start()
    }

    func stop() {
        lock.withLock { running = false }
        _ = done.wait(timeout: .now() + 5)
    }
}

/// Runs `action` once, on a thread of its own, as soon as `condition` holds (polled every 20 ms,
/// for at most `timeout`): for what must happen at a moment of a running sweep (a kill at a
/// checkpoint) even while the test pool is slow to resume the test.
final class Trigger: @unchecked Sendable {
    // Invariant: `state` is read and written under `lock` only.
    private let lock = NSLock()
    private var state: Bool?

    init(timeout: TimeInterval, when condition: @escaping @Sendable () -> Bool, do action: @escaping @Sendable () -> Void) {
        let deadline = Date().addingTimeInterval(timeout)
        let thread = Thread { [self] in
            while Date() < deadline {
                if condition() {
                    action()
                    lock.withLock { state = true }
                    return
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
            lock.withLock { state = false }
        }
        thread.start()
    }

    /// True once the action ran, false once the timeout passed without it, nil before.
    var fired: Bool? { lock.withLock { state } }

    /// Waits (without holding a thread of the test pool) until the trigger fired or gave up.
    func outcome() async -> Bool {
        while true {
            if let fired { return fired }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// One child process of a test with its stdout and stderr in a log file; killed (SIGKILL) by
/// `reap()` if still running, which every test calls in a `defer`.
final class ChildProcess {
    let name: String
    let process = Process()
    let logPath: String

    init(_ executable: URL, _ arguments: [String], name: String, logDirectory: String) throws {
        self.name = name
        logPath = (logDirectory as NSString).appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// The exit status, or nil if the process is still running after `timeout`.
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `waitForExit` for async tests, without holding a thread of the test pool.
    func exitStatus(within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Exited normally (not by a signal) with `status`.
    func exitedNormally() -> Bool { !process.isRunning && process.terminationReason == .exit }

    func reap() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The last lines of the log, for failure messages.
    func logTail(_ lines: Int = 30) -> String {
        let all = log.split(separator: "\n", omittingEmptySubsequences: false)
        return "--- \(name) (pid \(pid)) log tail ---\n" + all.suffix(lines).joined(separator: "\n")
    }
}

/// `journal.jsonl` read as plain JSON lines, independently of the coordinator's own replay:
/// what the tests count records with.
struct JournalLines {
    struct Record {
        var type: String
        var trial: String?
        var worker: String?
        var attempt: Int?
        var error: String?
        var at: Double?
        /// For `finished`: the host in the result.
        var host: String?
    }

    var records: [Record]
    var trialIds: [String]

    /// Reads the journal of `runDirectory`; an unparsable last line (a write in progress) is skipped.
    init(runDirectory: String) throws {
        let path = (runDirectory as NSString).appendingPathComponent("journal.jsonl")
        let data = (FileManager.default.contents(atPath: path)) ?? Data()
        var records: [Record] = []
        var trialIds: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                let type = object["type"] as? String
            else { continue }
            var record = Record(type: type)
            record.trial = object["trial"] as? String
            record.worker = object["worker"] as? String
            record.attempt = (object["attempt"] as? NSNumber)?.intValue
            record.error = object["error"] as? String
            record.at = (object["at"] as? NSNumber)?.doubleValue
            if let result = object["result"] as? [String: Any] {
                record.trial = result["trialId"] as? String
                record.host = result["host"] as? String
            }
            if type == "sweep" || type == "extended", let trials = object["trials"] as? [[String: Any]] {
                trialIds += trials.compactMap { $0["id"] as? String }
            }
            records.append(record)
        }
        self.records = records
        self.trialIds = trialIds
    }

    func of(_ type: String) -> [Record] { records.filter { $0.type == type } }

    /// `finished` records per trial of the sweep (0 for trials without one).
    var finishedCounts: [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: trialIds.map { ($0, 0) })
        for record in of("finished") { if let trial = record.trial { counts[trial, default: 0] += 1 } }
        return counts
    }

    var finishedTrials: Set<String> { Set(of("finished").compactMap(\.trial)) }

    /// Trials assigned and not yet finished, failed, attempt-failed or interrupted.
    var inFlight: Set<String> {
        var running: Set<String> = []
        for record in records {
            switch record.type {
            case "assigned": if let trial = record.trial { running.insert(trial) }
            case "finished", "attemptFailed", "failed": if let trial = record.trial { running.remove(trial) }
            case "interrupted": running.removeAll()
            default: break
            }
        }
        return running
    }

    /// A compact rendering for failure messages.
    var summary: String {
        records.map { record in
            [record.type, record.trial.map { String($0.prefix(8)) }, record.worker, record.attempt.map { "#\($0)" }]
                .compactMap { $0 }.joined(separator: " ")
        }.joined(separator: "\n")
    }
}
