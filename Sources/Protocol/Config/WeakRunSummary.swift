/// What a GrokTransfer trial's weak model run was and cost. Trials that need the identical
/// weak model (same task, weak config and seed) share one run per worker; `key` names it and
/// `reused` says whether this trial trained it or took it from the worker's cache. The cost is
/// charged to every trial that uses it: it is the method's cost, however it was scheduled.
public struct WeakRunSummary: Hashable, Sendable {
    public var key: String
    public var steps: Int
    public var seconds: Double
    public var flops: Double
    public var finalTestAccuracy: Double
    public var reused: Bool

    public init(key: String, steps: Int, seconds: Double, flops: Double, finalTestAccuracy: Double, reused: Bool) {
        self.key = key
        self.steps = steps
        self.seconds = seconds
        self.flops = flops
        self.finalTestAccuracy = finalTestAccuracy
        self.reused = reused
    }
}

extension WeakRunSummary: ConfigObject {
    public static var defaults: WeakRunSummary {
        WeakRunSummary(key: "", steps: 0, seconds: 0, flops: 0, finalTestAccuracy: .nan, reused: false)
    }

    public static var fields: [ConfigField<WeakRunSummary>] {
        [
            .string("key", \.key, required: true),
            .integer("steps", \.steps, in: 0...Int.max, required: true),
            .number("seconds", \.seconds, required: true),
            .number("flops", \.flops, required: true),
            .numberOrNull("finalTestAccuracy", \.finalTestAccuracy),
            .flag("reused", \.reused, required: true),
        ]
    }
}
