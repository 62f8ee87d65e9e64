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

    public var json: JSONValue {
        .object([
            "key": .string(key), "steps": .number(Double(steps)), "seconds": .number(seconds), "flops": .number(flops),
            "finalTestAccuracy": finalTestAccuracy.isFinite ? .number(finalTestAccuracy) : .null, "reused": .bool(reused),
        ])
    }

    public init(json: JSONValue, path: String) throws {
        var reader = try ObjectReader(json, path: path)
        key = try reader.string("key")
        steps = try reader.integer("steps", in: 0...Int.max)
        seconds = try reader.number("seconds")
        flops = try reader.number("flops")
        finalTestAccuracy = reader.has("finalTestAccuracy") ? try reader.number("finalTestAccuracy") : .nan
        reused = try reader.bool("reused")
        try reader.finish()
    }
}
