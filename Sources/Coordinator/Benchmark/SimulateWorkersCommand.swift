import ArgumentParser
import Engine
import Foundation
import Protocol
import TrialSchema

/// `grok-coord simulate-workers` (hidden): many lightweight simulated workers in one process for
/// the dispatch-scale benchmark. Each is a real DEALER speaking the real protocol — hello,
/// ready, heartbeats every second — that "runs" each assigned trial for `--trial-ms` (sleeping
/// is free: the timer is one loop for all) and then answers with a tiny result. Records, per
/// assignment, the time from its `ready` to the `assign` (the assignment latency).
struct SimulateWorkersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-workers",
        abstract: "Simulated workers for the dispatch-scale benchmark.",
        shouldDisplay: false
    )

    @Option(help: "Coordinator endpoint.")
    var connect: String

    @Option(help: "Simulated workers in this process.")
    var count = 500

    @Option(help: "Number of the first worker (ids are sim-N).")
    var firstIndex = 0

    @Option(help: "Where to write the assignment latencies (milliseconds, one per line).")
    var latencyFile: String

    @Option(help: "How long each simulated trial runs, in milliseconds (0: answer at once).")
    var trialMs = 100.0

    @Option(help: "Give up after this many seconds without any message.")
    var idleExit = 30.0

    @Option(help: "Bytes of the state each running trial sends as a checkpoint (0: none).")
    var stateBytes = 0

    @Option(help: "Milliseconds between a running trial's checkpoints (the first after 1–2 intervals: staggered).")
    var stateEveryMs = 1000.0

    func validate() throws {
        guard (1...5_000).contains(count) else { throw ValidationError("--count must be between 1 and 5000") }
    }

    func run() throws {
        let ids = (firstIndex..<(firstIndex + count)).map { PeerID("sim-\($0)") }
        let group = try ZeroMQDealerGroup(connect: connect, routingIds: ids)
        defer { group.close() }
        let clock = ContinuousClock()
        let start = clock.now
        var readySince = [ContinuousClock.Instant](repeating: start, count: count)
        // Staggered so heartbeats spread evenly over each second.
        var lastBeat = (0..<count).map { start - .milliseconds(1000 * $0 / count) }
        var shutDown = [Bool](repeating: false, count: count)
        /// The trial each member is running and when it is done.
        var running = [(trial: String, due: ContinuousClock.Instant)?](repeating: nil, count: count)
        var runningCount = 0
        let trialDuration = Duration.microseconds(Int64(trialMs * 1000))
        var shutDownCount = 0
        var latencies: [Double] = []
        var firstLatencies: [Double] = []
        var assignedOnce = [Bool](repeating: false, count: count)
        var worstBeatDelay = 0.0
        // One sealed state (a valid envelope of this build's name) serves every checkpoint.
        let state =
            stateBytes > 0
            ? TrialStateCoder.seal([UInt8](repeating: 0x5A, count: stateBytes), content: "TRIL", threads: 1, build: "simulated")
            : nil
        let stateEvery = Duration.microseconds(Int64(stateEveryMs * 1000))
        var nextState = [ContinuousClock.Instant?](repeating: nil, count: count)
        latencies.reserveCapacity(200_000)
        for index in 0..<count {
            let info = WorkerInfo(
                workerId: ids[index].description, host: "simulated", cores: 1, build: "simulated",
                blasThreads: 1, pid: Int(getpid()))
            try group.send(.hello(info), from: index)
            try group.send(.ready, from: index)
            readySince[index] = clock.now
        }
        var lastMessage = clock.now
        var lastBeatScan = clock.now
        while shutDownCount < count, clock.now - lastMessage < .seconds(idleExit) {
            // Polling hundreds of sockets is the costly part, so look at most every 2 ms; the
            // latency this adds (≤ 2 ms) is counted against the coordinator, not hidden.
            let turnStart = clock.now
            let batch = group.receive(timeout: .milliseconds(runningCount > 0 ? 2 : 10))
            let rest = .milliseconds(2) - (clock.now - turnStart)
            if !batch.isEmpty, rest > .zero { Thread.sleep(forTimeInterval: rest.seconds) }
            var now = clock.now
            if !batch.isEmpty { lastMessage = now }
            for (index, message) in batch {
                switch message {
                case .assign(let trial, _, _):
                    // A member's first wait includes its TCP connect and handshake: kept apart.
                    let latency = (now - readySince[index]).seconds * 1000
                    if assignedOnce[index] { latencies.append(latency) } else { firstLatencies.append(latency) }
                    assignedOnce[index] = true
                    if running[index] == nil { runningCount += 1 }
                    running[index] = (trial, now + trialDuration)
                    if state != nil { nextState[index] = now + stateEvery + stateEvery * (Double(index % 100) / 100) }
                case .shutdown:
                    if !shutDown[index] {
                        shutDown[index] = true
                        shutDownCount += 1
                    }
                default:
                    break
                }
            }
            now = clock.now
            if runningCount > 0 {
                for index in 0..<count {
                    guard let (trial, due) = running[index] else { continue }
                    if let state, let next = nextState[index], next <= now, next < due {
                        for chunk in StateChunk.split(state, trialId: trial, step: 1) { try group.send(.state(chunk), from: index) }
                        nextState[index] = next + stateEvery
                    }
                    guard due <= now else { continue }
                    running[index] = nil
                    nextState[index] = nil
                    runningCount -= 1
                    try group.send(.result(Self.tinyResult(trial)), from: index)
                    try group.send(.ready, from: index)
                    readySince[index] = clock.now
                }
            }
            if now - lastBeatScan >= .milliseconds(100) {
                lastBeatScan = now
                for index in 0..<count where !shutDown[index] && now - lastBeat[index] >= .seconds(1) {
                    try group.send(.heartbeat, from: index)
                    // How far this simulator itself fell behind: a member whose heartbeat goes out
                    // late was silent because of its simulator, not through the coordinator's fault.
                    if runningCount > 0 || assignedOnce[index] {
                        worstBeatDelay = max(worstBeatDelay, (now - lastBeat[index]).seconds - 1)
                    }
                    lastBeat[index] = now
                }
            }
        }
        // "first" lines are warm-up (connect included); plain lines are steady-state latencies.
        let text =
            String(format: "beat-delay %.3f\n", worstBeatDelay * 1000)
            + firstLatencies.map { String(format: "first %.3f\n", $0) }.joined()
            + latencies.map { String(format: "%.3f\n", $0) }.joined()
        try text.write(toFile: latencyFile, atomically: true, encoding: .utf8)
    }

    /// A result of the size a short censored trial produces (a few curve points).
    static func tinyResult(_ trial: String) -> TrialResult {
        let curve = (0..<3).map { CurvePoint(step: $0 * 10, trainLoss: 1.9, trainAccuracy: 0.5, testLoss: 2.1, testAccuracy: 0.1) }
        return TrialResult(
            trialId: trial, outcome: .censored, steps: 20, seconds: 0.001, flops: 1e6, blasThreads: 1,
            host: "simulated", curve: curve)
    }
}
