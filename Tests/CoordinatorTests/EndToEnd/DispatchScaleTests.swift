import Foundation
import Testing

/// The dispatch-scale benchmark (benchmarks/dispatch_scale.sh) at a size the suite can afford:
/// 200 simulated workers in 2 processes, 3 000 trials of 5 ms. Keeps the command working and
/// checks its verdict — every trial finished exactly once and the journal replays to the same
/// state; speed is not judged here (the machine may be busy).
@Suite("End to end: dispatch at scale (reduced)", .serialized, .timeLimit(.minutes(6)))
struct DispatchScaleTests {
    @Test("200 simulated workers, 3 000 trials: each finished exactly once")
    func reducedScaleRun() throws {
        let directory = try EndToEnd.scratchDirectory("scale")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bench = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [
                "bench-dispatch", "--workers", "200", "--trials", "3000", "--trial-ms", "5", "--processes", "2",
                "--work-dir", "\(directory)/work",
            ],
            name: "bench", logDirectory: directory)
        defer { bench.reap() }
        #expect(bench.waitForExit(timeout: .seconds(90)) == 0, "\(bench.logTail())")
        #expect(
            bench.log.contains("exactly once: 3000 of 3000 finished, 0 duplicate results, 0 failed, replay agrees: true"),
            "\(bench.logTail())")
        // Steady-state samples are all assignments but each worker's first: at least 3 000 − 200,
        // more when a slow-to-connect worker got none or a trial was handed out again.
        let samples = bench.log.range(of: "assignment latency (ready → assign, ").map { start in
            Int(bench.log[start.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        #expect((samples ?? 0) >= 2800, "\(bench.logTail())")
    }
}
