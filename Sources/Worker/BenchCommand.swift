import ArgumentParser
import Engine
import Foundation
import Protocol
import TrialSchema

/// `grok-worker bench`: milliseconds per training step of a trial config (the canonical
/// experiment by default) at several compute-thread counts, and the GFLOP/s that implies. Steps
/// are the trials' own (`TrialRunner.trainStep`), on the target model from scratch.
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
        let trial = try trialConfig()
        let data = try EnginePlan.data(for: trial)
        var plan = try EnginePlan.targetPlan(for: trial, data: data)
        let batch = plan.batchSize == 0 ? data.train.count : min(plan.batchSize, data.train.count)
        let denseFlops = 3 * plan.model.forwardFlopsPerExample * Double(batch)
        let amplifier = trial.amplifier.map { "amplifier \($0.json.canonicalText)" } ?? "no amplifier"
        print("config  \(trial.id): \(Self.describe(trial.target.architecture)), batch \(batch), \(amplifier)")
        print("dense-equivalent work: \(String(format: "%.2f", denseFlops / 1e9)) GFLOP/step")
        if state { try StateBench.run(plan: plan, data: data) }
        print(
            "path       threads  ms/step (median)  min     dense GFLOP/s  executed GFLOP/s  ms/eval  eval share at evalEvery \(trial.evalEvery)"
        )
        for threadCount in threadCounts {
            BLAS.threads = threadCount
            for path in reference ? ComputePath.allCases : [.fast] {
                plan.path = path
                let runner = TrialRunner(plan: plan, data: data)
                let warmUp = 5
                for step in 0..<warmUp { runner.trainStep(step) }
                var times: [Double] = []
                for step in warmUp..<(warmUp + steps) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    runner.trainStep(step)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                times.sort()
                let median = times[times.count / 2]
                let executed = runner.model.executedFlopsPerStep(count: batch)
                // One evaluation is what a trial runs every `evalEvery` steps: the training and test sets.
                let evaluation = Self.medianMilliseconds(repeats: 3) {
                    _ = runner.evaluate(data.train)
                    _ = runner.evaluate(data.test)
                }
                let share = evaluation / (evaluation + Double(trial.evalEvery) * median)
                print(
                    String(
                        format: "%-10@ %7d  %16.2f  %6.2f  %13.1f  %16.1f  %7.1f  %5.1f %%", path == .reference ? "reference" : "engine",
                        threadCount, median, times[0], denseFlops / median / 1e6, executed / median / 1e6, evaluation, 100 * share))
            }
        }
    }

    private static func medianMilliseconds(repeats: Int, _ work: () -> Void) -> Double {
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            work()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()[repeats / 2]
    }

    /// The config file, Nanda's transformer (d 128, 4 heads, d_mlp 512, ReLU, no LayerNorm, full
    /// batch of 4 704 on (a + b) mod 97 as `a b =`: the workload of the PyTorch peer figures), or
    /// the canonical experiment.
    private func trialConfig() throws -> TrialConfig {
        if let config {
            return try TrialConfig(text: String(contentsOfFile: config, encoding: .utf8), file: config)
        }
        var trial = TrialConfig.canonicalExample
        if let transformer {
            var model = TransformerSettings()
            model.layers = transformer
            trial.target.architecture = .transformer(model)
        }
        return trial
    }

    private static func describe(_ architecture: Architecture) -> String {
        switch architecture {
        case .mlp(let model):
            "\(model.depth)×\(model.width) MLP, d \(model.embeddingDimensions)"
        case .transformer(let model):
            "\(model.layers)-layer transformer, d_model \(model.modelDimensions), \(model.heads) heads, d_mlp \(model.mlpDimensions)"
        }
    }

    private var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
}
