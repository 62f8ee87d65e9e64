import ArgumentParser
import Engine
import Foundation
import Protocol

/// `grok-worker bench`: milliseconds per training step of a trial config (the canonical
/// experiment by default) at several compute-thread counts, and the GFLOP/s that implies.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time full training steps (forward, loss, backward, optimiser) of a trial config."
    )

    @Argument(help: "Trial config JSON (default: the canonical experiment).")
    var config: String?

    @Option(help: "Comma-separated compute-thread counts.")
    var threads: String = "1,2"

    @Option(help: "Timed steps per measurement.")
    var steps: Int = 60

    @Flag(help: "Also time the straightforward path (no table or last-position shortcuts).")
    var reference = false

    @Option(help: "Time Nanda's transformer with this many layers on (a + b) mod 97 instead of a config.")
    var transformer: Int?

    @Flag(help: "Also measure the trial's saved state: its size and the time to capture and restore it.")
    var state = false

    func validate() throws {
        if transformer != nil, config != nil { throw ValidationError("give a config or --transformer, not both") }
        if let transformer, transformer < 1 { throw ValidationError("--transformer needs at least one layer") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
    }

    func run() throws {
        if let transformer {
            TransformerBench.run(layers: transformer, threads: threadCounts, steps: steps, reference: reference)
            return
        }
        let trial: TrialConfig
        if let config {
            trial = try TrialConfig(text: String(contentsOfFile: config, encoding: .utf8), file: config)
        } else {
            trial = TrialConfig.canonicalExample
        }
        let data = try EnginePlan.data(for: trial)
        let plan = EnginePlan.targetPlan(for: trial, data: data)
        let batch = plan.batchSize == 0 ? data.train.count : plan.batchSize
        let probe = TrialRunner(plan: plan, data: data)
        let denseFlops = 3 * probe.model.denseForwardFlopsPerExample * Double(batch)
        let target = trial.target
        let model = target.architecture == .transformer
            ? "\(target.depth)-layer transformer, d_model \(target.embeddingDim), \(target.heads) heads, d_mlp \(target.width)"
            : "\(target.depth)×\(target.width) MLP, d \(target.embeddingDim)"
        let amplifier = trial.amplifier.map { "amplifier \($0.json.canonicalText)" } ?? "no amplifier"
        print("config  \(trial.id): \(model), batch \(batch), \(amplifier)")
        print("dense-equivalent work: \(String(format: "%.2f", denseFlops / 1e9)) GFLOP/step")
        if state { StateBench.run(plan: plan, data: data) }
        print("path       threads  ms/step (median)  min     dense GFLOP/s  executed GFLOP/s")
        for threadCount in threadCounts {
            BLAS.threads = threadCount
            for useReference in reference ? [false, true] : [false] {
                let runner = TrialRunner(plan: plan, data: data)
                (runner.model as? MLP)?.reference = useReference
                (runner.model as? Transformer)?.reference = useReference
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

    private var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
}
