import Foundation
import Protocol
import TrialSchema

/// Shared fixtures for the protocol tests: one sample of every message kind, and helpers for
/// waiting on transports and running a Python ZeroMQ peer.
enum Fixtures {
    static let workerInfo = WorkerInfo(
        workerId: "worker-a", host: "node-1", cores: 2, build: "0.1.0 (debug)",
        blasThreads: 1, pid: 4242)

    static let result = TrialResult(
        trialId: "3f2a9c", outcome: .grokked, tMem: 400, tGrok: 2_600, steps: 3_000, seconds: 12.5,
        flops: 1.25e12, blasThreads: 1, host: "node-1",
        curve: [
            CurvePoint(step: 0, trainLoss: 4.57, trainAccuracy: 0.01, testLoss: 4.58, testAccuracy: 0.0),
            CurvePoint(step: 1_000, trainLoss: 0.01, trainAccuracy: 1.0, testLoss: 3.2, testAccuracy: 0.31),
        ])

    static let failedResult = TrialResult(
        trialId: "77", outcome: .failed, steps: 0, seconds: 0, flops: 0, blasThreads: 2, host: "h",
        error: "engine crashed: \"out of memory\"\n")

    /// One message of each kind (and a few edge cases), named for test output.
    static let messages: [NamedMessage] = [
        NamedMessage("hello", .hello(workerInfo)),
        NamedMessage("ready", .ready),
        NamedMessage("heartbeat", .heartbeat),
        NamedMessage("assign", .assign(trialId: "3f2a9c", attempt: 1, config: TrialConfig.canonicalExample.json)),
        NamedMessage(
            "assign, third attempt, odd config",
            .assign(trialId: "t", attempt: 3, config: .object(["a": .array([.null, .bool(true), .number(-0.5)])]))),
        NamedMessage(
            "progress",
            .progress(
                trialId: "3f2a9c", step: 1_000, trainAccuracy: 1.0, testAccuracy: 0.31,
                trainLoss: 0.01, testLoss: 3.2)),
        NamedMessage(
            "progress of a weak stage",
            .progress(
                trialId: "3f2a9c", step: 500, trainAccuracy: 1.0, testAccuracy: 0.9,
                trainLoss: 0.01, testLoss: 0.2, stage: .weak)),
        NamedMessage("result", .result(result)),
        NamedMessage("result, failed with error text", .result(failedResult)),
        NamedMessage("failure", .failure(trialId: "3f2a9c", message: "unsupported architecture \"cnn\" ünïcode ✓")),
        NamedMessage(
            "state",
            .state(
                StateChunk(
                    trialId: "3f2a9c", step: 4_000, part: 1, parts: 3,
                    data: Data([0, 1, 2, 0xFF, 0x80, 10, 13])))),
        NamedMessage("state, empty chunk", .state(StateChunk(trialId: "t", step: 0, part: 0, parts: 1, data: Data()))),
        NamedMessage("stateStored", .stateStored(trialId: "3f2a9c", step: 4_000, bytes: 5_123_456)),
        NamedMessage("cancel", .cancel(trialId: "3f2a9c", sendState: true)),
        NamedMessage("stopped", .stopped(trialId: "3f2a9c", step: 2_510)),
        NamedMessage("leaving", .leaving(reason: "SIGTERM")),
        NamedMessage("shutdown", .shutdown(reason: "sweep finished")),
        NamedMessage("reject", .reject(reason: "protocol version 0 is not supported")),
    ]

    static func assign(_ trialId: String) -> Message {
        .assign(trialId: trialId, attempt: 1, config: TrialConfig.canonicalExample.json)
    }

    static func result(_ trialId: String) -> Message {
        var copy = result
        copy.trialId = trialId
        return .result(copy)
    }
}

/// A message with a readable name, so parameterised test cases are identifiable in output.
struct NamedMessage: CustomStringConvertible, Sendable {
    let description: String
    let message: Message
    init(_ description: String, _ message: Message) {
        self.description = description
        self.message = message
    }
}

// MARK: - Waiting

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(2), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return condition()
}

/// How long `body` took.
func elapsed(_ body: () throws -> Void) rethrows -> Duration {
    let start = ContinuousClock.now
    try body()
    return ContinuousClock.now - start
}

// MARK: - Python peer

enum PythonPeer {
    /// Whether `python3` with pyzmq is available; tests that need it are skipped otherwise.
    static let isAvailable: Bool = (try? run(script: "import zmq", arguments: [], timeout: 10))?.status == 0

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `python3 -c script arguments…`, killing it after `timeout` seconds.
    static func run(script: String, arguments: [String], timeout: TimeInterval) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Outcome(status: process.terminationStatus, output: output)
    }
}
