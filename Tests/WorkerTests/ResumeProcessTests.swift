import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `grok-worker trial --save-state` and `--resume` as separate processes: a trial killed with
/// SIGKILL mid-run and resumed from its last periodic state, and a censored trial continued
/// under a raised budget, both give byte-identical curves to a direct run.
///
/// Processes are started, watched and killed from a thread of the test's own (`offPool`), with
/// their own deadlines: the test pool's two threads may be held for a minute by other suites'
/// blocking waits, and a kill timed from the pool would then come too late.
@Suite(.serialized)
struct ResumeProcessTests {
    /// The directory holding `grok-worker`: the test bundle's build directory, found by walking
    /// up from the running test executable (as the coordinator's end-to-end tests do).
    static let worker: URL? = {
        let candidates = [
            Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments[0]),
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
        ].compactMap { $0 }
        for candidate in candidates {
            var directory = candidate.resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<5 {
                let worker = directory.appendingPathComponent("grok-worker")
                if FileManager.default.isExecutableFile(atPath: worker.path) { return worker }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }()

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Modular addition mod 31, weight decay 0.1: never groks, ~0.3 ms a step on one core.
    static func writeConfig(budget: Int, in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("trial-\(budget).json")
        try """
        { "task": { "kind": "modular", "operation": "add", "modulus": 31, "trainFraction": 0.5 },
          "target": { "embeddingDim": 32, "width": 128, "weightDecay": 0.1, "batchSize": 128 },
          "amplifier": { "kind": "ma", "window": 20 },
          "budget": \(budget), "evalEvery": 20, "diagnostics": true, "seed": 7 }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Processes

    /// Runs `body` on a thread of its own and resumes the test with its result.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    static func start(_ arguments: [String], in directory: String) throws -> Process {
        guard let executable = worker else {
            throw Failure(description: "grok-worker not found beside the test bundle; build it first (swift build --build-tests)")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["trial"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        let log = (directory as NSString).appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        return process
    }

    /// Waits (blocking) for `process`, killing it and throwing after `timeout` seconds.
    static func wait(for process: Process, timeout: Double = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Failure(description: "grok-worker \(process.arguments ?? []) still running after \(timeout) s")
        }
        process.waitUntilExit()
    }

    /// Runs grok-worker to completion; (status, stderr).
    @discardableResult
    static func run(_ arguments: [String], in directory: String) async throws -> (Int32, String) {
        try await offPool {
            let process = try start(arguments, in: directory)
            try wait(for: process)
            let errors = try String(contentsOfFile: (directory as NSString).appendingPathComponent("stderr.log"), encoding: .utf8)
            return (process.terminationStatus, errors)
        }
    }

    static func scratch() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("groksweep-resume-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func contents(_ name: String, in directory: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
    }

    // MARK: Tests

    @Test func killedTrialResumesInAFreshProcess() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.writeConfig(budget: 2000, in: directory)
        #expect(try await Self.run([config, "--quiet", "--curve", "direct.curve"], in: directory).0 == 0)

        // Killed (SIGKILL) as soon as its first periodic state is on disk.
        let killed = try await Self.offPool { () throws -> Bool in
            let statePath = (directory as NSString).appendingPathComponent("trial.state")
            let victim = try Self.start([config, "--quiet", "--save-state", "trial.state", "--state-every", "0.05"], in: directory)
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: statePath), victim.isRunning, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
            kill(victim.processIdentifier, SIGKILL)
            try Self.wait(for: victim)
            return victim.terminationReason == .uncaughtSignal
        }
        #expect(killed, "the trial should still be running when killed")

        let (status, errors) = try await Self.run([config, "--resume", "trial.state", "--curve", "resumed.curve"], in: directory)
        #expect(status == 0, "\(errors)")
        let step = errors.components(separatedBy: " at step ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
        #expect(step.map { $0 > 0 && $0 < 2000 } == true, "resumed mid-run: \(errors.prefix(300))")
        #expect(try Self.contents("resumed.curve", in: directory) == Self.contents("direct.curve", in: directory))
    }

    @Test func censoredTrialContinuesToARaisedBudgetInAFreshProcess() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let short = try Self.writeConfig(budget: 300, in: directory), long = try Self.writeConfig(budget: 700, in: directory)
        #expect(try await Self.run([long, "--quiet", "--curve", "direct.curve"], in: directory).0 == 0)
        #expect(try await Self.run([short, "--quiet", "--save-state", "final.state"], in: directory).0 == 0)
        let (status, errors) = try await Self.run([long, "--resume", "final.state", "--curve", "raised.curve"], in: directory)
        #expect(status == 0 && errors.contains("at step 300"), "\(errors.prefix(300))")
        #expect(try Self.contents("raised.curve", in: directory) == Self.contents("direct.curve", in: directory))

        // Refused with one line: a lowered budget, a corrupted state.
        let lowered = try Self.writeConfig(budget: 200, in: directory)
        let (loweredStatus, loweredErrors) = try await Self.run([lowered, "--resume", "final.state"], in: directory)
        #expect(loweredStatus != 0 && loweredErrors.contains("past this run's budget of 200"), "\(loweredErrors)")
        #expect(loweredErrors.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1)
        var corrupted = try Self.contents("final.state", in: directory)
        corrupted[corrupted.count / 3] ^= 0x40
        try corrupted.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("bad.state")))
        let (badStatus, badErrors) = try await Self.run([long, "--resume", "bad.state"], in: directory)
        #expect(badStatus != 0 && badErrors.contains("checksum mismatch"), "\(badErrors)")
    }
}
