import ArgumentParser
import Engine
import Foundation
import Logging
import Protocol

/// `grok-coord bench-dispatch` (hidden; run by benchmarks/dispatch_scale.sh): one real
/// coordinator — sweep plan, journal with group commit, ZeroMQ ROUTER, dispatcher — against
/// `--workers` simulated workers in `--processes` child processes and `--trials` tiny trials.
/// Reports dispatch rate, assignment latency percentiles, coordinator memory, journal size and
/// replay time, and checks that every trial finished exactly once.
struct DispatchBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-dispatch",
        abstract: "Measure the coordinator's dispatch rate with many simulated workers.",
        shouldDisplay: false
    )

    @Option(help: "Simulated workers in total.")
    var workers = 1_000

    @Option(help: "Trials in the sweep (tiny: each is answered at once).")
    var trials = 100_000

    @Option(help: "How long each simulated trial runs (ms); 0 saturates the coordinator.")
    var trialMs = 100.0

    @Option(help: "Processes the simulated workers are spread over.")
    var processes = 2

    @Option(help: "Messages handled per journal commit (the dispatcher's batch limit).")
    var batchLimit = Dispatcher.Settings().batchLimit

    @Option(help: "Bytes of the checkpoint each running simulated trial sends (0: none), to measure state ingest.")
    var stateBytes = 0

    @Option(help: "Milliseconds between a running simulated trial's checkpoints.")
    var stateEveryMs = 1000.0

    @Option(help: "Scratch directory (default: a fresh temporary one, removed afterwards).")
    var workDir: String?

    func validate() throws {
        guard workers >= 1, trials >= 1, (1...64).contains(processes), workers >= processes else {
            throw ValidationError("need workers ≥ processes ≥ 1 and trials ≥ 1")
        }
    }

    func run() throws {
        let directory = workDir ?? NSTemporaryDirectory() + "groksweep-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if workDir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        var logger = Logger(label: "bench-dispatch")
        logger.logLevel = .error
        let clock = ContinuousClock()

        // MARK: Setup: plan and journal (what any coordinator start pays)
        let setupStart = clock.now
        let sweepPath = try writeSweep(in: directory)
        let plan = try SweepPlan.load(path: sweepPath)
        let afterPlan = Self.memory().current
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        let journal = try Journal.start(plan: plan, runDirectory: runDirectory)
        let afterJournal = Self.memory().current
        let setupSeconds = (clock.now - setupStart).seconds

        // MARK: Dispatch
        let transport = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:0", logger: logger)
        defer { transport.close() }
        let children = try startSimulatedWorkers(endpoint: transport.endpoint, directory: directory)
        defer { for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        var settings = Dispatcher.Settings()
        settings.recordsAssignmentLatency = true
        settings.batchLimit = batchLimit
        if stateBytes > 0 { settings.states = TrialStateStore(runDirectory: runDirectory) }
        let dispatcher = Dispatcher(journal: journal, transport: transport, settings: settings, logger: logger)
        let afterDispatcher = Self.memory().current
        let runStart = clock.now
        let cpuBefore = Self.cpuSeconds()
        let deadline = runStart + .seconds(600)
        _ = try dispatcher.run(shouldStop: { clock.now > deadline })
        let runSeconds = (clock.now - runStart).seconds
        let cpuSeconds = Self.cpuSeconds() - cpuBefore
        dispatcher.drain(for: .seconds(10), reason: "benchmark complete") { !children.contains(where: \.isRunning) }
        for child in children { child.waitUntilExit() }
        let memory = Self.memory()

        // MARK: Figures
        let state = journal.state
        let journalBytes = (try? FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int) ?? 0
        let window = try Self.dispatchWindow(journalPath: journal.path)
        let lines = try (0..<processes).flatMap { index in
            try String(contentsOfFile: latencyPath(directory, index), encoding: .utf8).split(separator: "\n")
        }
        let latencies = lines.compactMap { Double($0) }.sorted()
        let firstLatencies = lines.compactMap { $0.hasPrefix("first ") ? Double($0.dropFirst(6)) : nil }.sorted()
        let beatDelay = lines.compactMap { $0.hasPrefix("beat-delay ") ? Double($0.dropFirst(11)) : nil }.max() ?? .nan
        let inside = dispatcher.assignmentLatencies.map { $0.seconds * 1000 }.sorted()
        let replayStart = clock.now
        let replayed = try Journal.read(runDirectory: runDirectory)
        let replaySeconds = (clock.now - replayStart).seconds

        let finished = state.counts.finished
        let rate = Double(finished) / window
        let percentile = { (sorted: [Double], p: Double) in
            sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]
        }
        print(
            """
            dispatch scale: \(workers) simulated workers in \(processes) processes, \(trials) trials of \(trialMs) ms, tcp loopback
              setup (expand sweep, start journal):   \(String(format: "%.1f", setupSeconds)) s
              dispatch run (incl. workers joining):   \(String(format: "%.1f", runSeconds)) s
              dispatch rate (first assign → last result): \(String(format: "%.0f", rate)) trials/s over \(String(format: "%.2f", window)) s
              assignment latency (ready → assign, \(latencies.count) samples): p50 \(Self.ms(percentile(latencies, 0.5))), \
            p99 \(Self.ms(percentile(latencies, 0.99))), max \(Self.ms(latencies.last ?? .nan))
              of which in the coordinator (ready received → assign sent, commit included): \
            p50 \(Self.ms(percentile(inside, 0.5))), p99 \(Self.ms(percentile(inside, 0.99))), max \(Self.ms(inside.last ?? .nan))
              first assignment per worker (incl. connect + handshake): p50 \(Self.ms(percentile(firstLatencies, 0.5))), \
            max \(Self.ms(firstLatencies.last ?? .nan))
              coordinator CPU (all threads, user + system): \(String(format: "%.1f", cpuSeconds)) s = \
            \(String(format: "%.0f", cpuSeconds / Double(max(trials, 1)) * 1e6)) µs per trial \
            (≈ \(String(format: "%.0f", Double(trials) / max(cpuSeconds, 1e-9))) trials/s per core of coordinator time)
              coordinator memory: peak RSS \(memory.peak / 1024) MiB, final RSS \(memory.current / 1024) MiB \
            (RSS after the plan \(afterPlan / 1024), the journal \(afterJournal / 1024), the dispatcher \(afterDispatcher / 1024) MiB)
              journal: \(String(format: "%.1f", Double(journalBytes) / 1_048_576)) MiB, \(Self.lineCount(journal.path)) records; \
            replay (a restart) \(String(format: "%.1f", replaySeconds)) s
              checkpoints: \(dispatcher.statesStored) stored (\(String(format: "%.0f", Double(dispatcher.statesStored * stateBytes) / 1e6)) MB, \
            \(String(format: "%.1f", Double(dispatcher.statesStored * stateBytes) / 1e6 / window)) MB/s over the dispatch window), \
            \(dispatcher.statesRefused) refused
              workers presumed dead for their silence: \(dispatcher.presumedDead) (every simulated worker stays alive); \
            the simulators' own worst heartbeat delay: \(Self.ms(beatDelay)) (beyond the liveness window, \
            \(Int(Dispatcher.Settings().liveness)) s, the simulator fell behind, not the coordinator)
              per worker: \(String(format: "%.1f", cpuSeconds / runSeconds / Double(workers) * 1e6)) µs of coordinator CPU per second, \
            \(String(format: "%.1f", Double(memory.peak - afterJournal) / Double(workers))) KiB of memory (peak RSS over the journal's)
              exactly once: \(finished) of \(trials) finished, \(dispatcher.duplicateResults) duplicate results, \
            \(state.counts.failed) failed, replay agrees: \(replayed.counts == state.counts)
            """)
        guard finished == trials, replayed.counts == state.counts else { throw ExitCode.failure }
    }

    // MARK: Helpers

    private func writeSweep(in directory: String) throws -> String {
        let text = """
            { "name": "dispatch-scale", "description": "tiny trials for the dispatch benchmark",
              "base": { "task": { "kind": "modular", "operation": "add", "modulus": 7, "trainFraction": 0.5 },
                        "target": { "embeddingDim": 4, "width": 8 } },
              "budget": 20, "evalEvery": 10, "seeds": { "count": \(trials), "start": 0 } }
            """
        let path = (directory as NSString).appendingPathComponent("dispatch-scale.json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func latencyPath(_ directory: String, _ index: Int) -> String {
        (directory as NSString).appendingPathComponent("latency-\(index).txt")
    }

    private func startSimulatedWorkers(endpoint: String, directory: String) throws -> [Process] {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var first = 0
        return try (0..<processes).map { index in
            let count = workers / processes + (index < workers % processes ? 1 : 0)
            let process = Process()
            process.executableURL = executable
            process.arguments = [
                "simulate-workers", "--connect", endpoint, "--count", "\(count)",
                "--first-index", "\(first)", "--latency-file", latencyPath(directory, index),
                "--trial-ms", "\(trialMs)", "--state-bytes", "\(stateBytes)",
                "--state-every-ms", "\(stateEveryMs)",
            ]
            process.standardInput = FileHandle.nullDevice
            first += count
            try process.run()
            return process
        }
    }

    /// Seconds from the first `assigned` record to the last record, from the journal's times.
    static func dispatchWindow(journalPath: String) throws -> Double {
        let data = try Data(contentsOf: URL(fileURLWithPath: journalPath))
        let lines = data.split(separator: UInt8(ascii: "\n"))
        let time = { (line: Data.SubSequence) -> Double? in
            ((try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any])?["at"] as? Double
        }
        let marker = Data("\"type\":\"assigned\"".utf8)
        guard let first = lines.first(where: { $0.range(of: marker) != nil }).flatMap(time),
            let last = lines.last.flatMap(time)
        else { return .nan }
        return max(last - first, 1e-6)
    }

    static func lineCount(_ path: String) -> Int {
        (FileManager.default.contents(atPath: path) ?? Data()).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// CPU seconds this process used so far, every thread, user plus system.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak and current resident memory of this process in KiB (Linux /proc).
    static func memory() -> (peak: Int, current: Int) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let value = { (key: String) -> Int in
            status.split(separator: "\n").first { $0.hasPrefix(key) }
                .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        }
        return (value("VmHWM:"), value("VmRSS:"))
    }

    static func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
}
