/// A closed interval whose ends may be `+infinity` (an upper bound beyond the step budget).
struct Interval: Hashable, Sendable {
    var lower: Double
    var upper: Double
}

/// SplitMix64: a tiny generator whose stream is fixed by its seed on every platform and Swift
/// version, which the standard library's generators and `random(in:using:)` do not promise.
struct SeededGenerator: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// Seeded from text (a cell key) by 64-bit FNV-1a, so each cell has its own fixed stream.
    init(text: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        self.init(seed: hash)
    }

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Uniform in `0..<count` by the multiply-high method (no modulo bias worth the name).
    mutating func index(below count: Int) -> Int {
        precondition(count > 0, "an index below zero elements")
        return Int(next().multipliedFullWidth(by: UInt64(count)).high)
    }
}

/// The percentile bootstrap: resample the observations with replacement, recompute the
/// statistic, and read the interval off the resampled statistics' quantiles.
///
/// Owns determinism: the generator is seeded by the caller (from the cell key), so the same
/// journal always gives the same report. Fewer than two observations give no interval — a
/// resample of one value can only say that value again.
enum Bootstrap {
    static let defaultResamples = 2000

    /// The `level` (e.g. 0.95) percentile interval of `statistic` over `observations`.
    /// `statistic` may return `+infinity` (undefined within the budget); such resamples sort last.
    static func percentileInterval<Observation>(
        _ observations: [Observation], level: Double = 0.95, resamples: Int = defaultResamples,
        generator: inout SeededGenerator, statistic: ([Observation]) -> Double
    ) -> Interval? {
        guard observations.count >= 2, resamples > 0 else { return nil }
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var resample = observations
        for _ in 0..<resamples {
            for slot in resample.indices {
                resample[slot] = observations[generator.index(below: observations.count)]
            }
            values.append(statistic(resample))
        }
        values.sort()
        let tail = (1 - level) / 2
        guard let lower = SampleStatistics.quantile(sorted: values, tail),
            let upper = SampleStatistics.quantile(sorted: values, 1 - tail)
        else { return nil }
        return Interval(lower: lower, upper: upper)
    }
}
