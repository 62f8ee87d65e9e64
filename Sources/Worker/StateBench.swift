import Engine
import Foundation

/// `grok-worker bench --state`: how large a trial's saved state is and how long taking and
/// restoring it takes, for the config's target model after a few steps. Capture = the
/// runner's payload plus the envelope (checksum included); restore = opening the envelope,
/// building a fresh runner and overwriting its state.
enum StateBench {
    static func run(plan: TrainingPlan, data: DataSplit, repeats: Int = 5) throws {
        var short = plan
        short.budget = min(plan.budget, 10)
        let runner = TrialRunner(plan: short, data: data)
        _ = runner.run()
        var state = Data()
        let capture = median(repeats) { state = runner.captureState() }
        let restore = try median(repeats) { _ = try TrialRunner(plan: short, data: data, restoring: state) }
        let build = median(repeats) { _ = TrialRunner(plan: short, data: data) }
        let parameters = runner.model.parameters.count
        print(
            String(
                format: "state   %.2f MB (%d parameters; %.1f bytes per parameter)", Double(state.count) / 1e6,
                parameters, Double(state.count) / Double(parameters)))
        print(
            String(
                format: "        capture %.1f ms, restore %.1f ms (of which %.1f ms building a fresh runner)",
                capture, restore, build))
    }

    /// Median milliseconds of `body` over `repeats` runs.
    private static func median(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()[repeats / 2]
    }
}
