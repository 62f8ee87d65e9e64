import ArgumentParser
import Engine
import Foundation
import Protocol

/// `grok-worker bench`: milliseconds per training step of a trial config (the canonical
/// experiment by default) at several BLAS thread counts, and the GFLOP/s that implies.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time full training steps (forward, loss, backward, optimiser) of a trial config."
    )

    @Argument(help: "Trial config JSON (default: the canonical experiment).")
    var config: String?

    @Option(help: "Comma-separated BLAS thread counts.")
    var threads: String = "1,2"

    @Option(help: "Timed steps per measurement.")
    var steps: Int = 60

    @Flag(help: "Also time the straightforward embed-then-multiply path.")
    var reference = false

    func run() throws {
        let trial: TrialConfig
        if let config {
            trial = try TrialConfig(text: String(contentsOfFile: config, encoding: .utf8), file: config)
        } else {
            trial = TrialConfig.canonicalExample
        }
        let data = try EnginePlan.data(for: trial)
        let plan = EnginePlan.targetPlan(for: trial, data: data)
        let batch = plan.batchSize == 0 ? data.train.count : plan.batchSize
        let denseFlops = 3 * plan.shape.forwardFlopsPerExample * Double(batch)
        print("config  \(trial.id): \(plan.shape.depth)×\(plan.shape.width) MLP, d \(plan.shape.embeddingDimension), "
              + "vocab \(plan.shape.vocabularySize), batch \(batch)")
        print("dense-equivalent work: \(String(format: "%.2f", denseFlops / 1e9)) GFLOP/step")
        print("path       threads  ms/step (median)  min     dense GFLOP/s  executed GFLOP/s")
        for threadCount in threads.split(separator: ",").compactMap({ Int($0) }) {
            BLAS.threads = threadCount
            for useReference in reference ? [false, true] : [false] {
                let runner = TrialRunner(plan: plan, data: data)
                (runner.model as? MLP)?.reference = useReference
                for _ in 0..<5 { runner.trainOneStep() }
                var times: [Double] = []
                for _ in 0..<steps {
                    let start = DispatchTime.now().uptimeNanoseconds
                    runner.trainOneStep()
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                times.sort()
                let median = times[times.count / 2]
                let executed = runner.model.executedFlopsPerStep(count: batch)
                print(String(format: "%-10@ %7d  %16.2f  %6.2f  %13.1f  %16.1f", useReference ? "reference" : "engine",
                             threadCount, median, times[0], denseFlops / median / 1e6, executed / median / 1e6))
            }
        }
    }
}
