import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Liveness over real processes: a coordinator serving several workers at once keeps every one
/// of them convinced it is alive, busy or idle.
@Suite("End to end: heartbeats to several workers", .serialized, .timeLimit(.minutes(6)))
struct HeartbeatEndToEndTests {
    /// Regression: the coordinator's socket thread shed each heartbeat queued behind another in
    /// the same batch, so whenever it woke after the dispatcher had queued a whole round (always
    /// on a loaded machine) only the first worker of the round heard it. The others declared the
    /// coordinator silent every 3 s and reconnected forever, and the coordinator in turn declared
    /// them dead and requeued their trials.
    @Test("five workers, one busy and four idle: none thinks the coordinator silent, none is presumed dead")
    func everyWorkerHearsTheCoordinator() throws {
        let directory = try EndToEnd.scratchDirectory("heartbeats")
        // One trial far longer than the test (≈ 30 s): it keeps the sweep open while one worker
        // computes and the other four wait for work.
        let sweep = try EndToEnd.writeSweep(in: directory, name: "heartbeats", seeds: 1, budget: 100_000)
        let port = try EndToEnd.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [
                sweep, "--run-dir", (directory as NSString).appendingPathComponent("run"),
                "--bind", endpoint, "--local-workers", "0", "--log-level", "info",
            ],
            name: "coord", logDirectory: directory)
        var processes = [coordinator]
        defer {
            processes.forEach { $0.reap() }
            if ProcessInfo.processInfo.environment["GROKSWEEP_E2E_KEEP"] == nil {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        let workers = try (1...5).map { index in
            try ChildProcess(
                EndToEnd.binary("grok-worker"), ["--connect", endpoint, "--id", "w\(index)"],
                name: "w\(index)", logDirectory: directory)
        }
        processes += workers
        let logs = { processes.map { $0.logTail(12) }.joined(separator: "\n") }

        try EndToEnd.waitUntil("all five workers to join", timeout: .seconds(20), context: logs) {
            coordinator.log.components(separatedBy: "worker joined").count - 1 >= workers.count
        }
        // Three liveness timeouts (3 × 1 s heartbeats each way) with every worker connected.
        Thread.sleep(forTimeInterval: 7)
        #expect(coordinator.isRunning, "the sweep stays open while its one trial runs\n\(logs())")

        for worker in workers {
            #expect(!worker.log.contains("coordinator silent"), "\(worker.name) lost the coordinator\n\(worker.logTail())")
        }
        #expect(!coordinator.log.contains("presumed dead"), "\(coordinator.logTail())")
        #expect(
            coordinator.log.components(separatedBy: "worker joined").count - 1 == workers.count,
            "no worker had to announce itself twice\n\(coordinator.logTail())")

        coordinator.signal(SIGINT)
        #expect(coordinator.waitForExit(timeout: .seconds(15)) == 130, "\(logs())")
        for worker in workers {
            #expect(worker.waitForExit(timeout: .seconds(10)) == 0, "\(worker.name) exits on the coordinator's shutdown")
        }
    }
}
