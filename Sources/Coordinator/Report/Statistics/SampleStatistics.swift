import Foundation

/// Order statistics of plain samples: quantiles, median, interquartile range, geometric mean.
///
/// Owns the quantile definition every report figure uses: linear interpolation between order
/// statistics (Hyndman–Fan type 7, numpy's and R's default), so a researcher re-deriving a
/// number from `trials.csv` with `numpy.percentile` gets the same value. `+infinity` is a legal
/// sample (a bootstrap resample whose median lies beyond the budget) and sorts last.
enum SampleStatistics {
    // MARK: Quantiles

    /// The `probability`-quantile (0…1) of `values`, or nil for no values.
    static func quantile(_ values: [Double], _ probability: Double) -> Double? {
        quantile(sorted: values.sorted(), probability)
    }

    /// As `quantile`, for values already in ascending order (saves a sort per call in bootstraps).
    static func quantile(sorted: [Double], _ probability: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        precondition((0...1).contains(probability), "a quantile's probability lies in 0…1")
        let position = Double(sorted.count - 1) * probability
        let lower = Int(position.rounded(.down))
        let fraction = position - Double(lower)
        guard fraction > 0, lower + 1 < sorted.count else { return sorted[lower] }
        let (low, high) = (sorted[lower], sorted[lower + 1])
        // Interpolating towards infinity gives infinity; `inf - inf` would give NaN.
        if high.isInfinite || low.isInfinite { return high }
        return low + fraction * (high - low)
    }

    static func median(_ values: [Double]) -> Double? { quantile(values, 0.5) }

    /// Median of integer observations (steps), as a Double: an even count averages the middle two.
    static func median(_ values: [Int]) -> Double? { median(values.map(Double.init)) }

    /// First and third quartiles.
    static func quartiles(_ values: [Double]) -> (lower: Double, upper: Double)? {
        let sorted = values.sorted()
        guard let lower = quantile(sorted: sorted, 0.25), let upper = quantile(sorted: sorted, 0.75) else { return nil }
        return (lower, upper)
    }

    // MARK: Ratios

    /// `exp(mean(log x))` of positive values: the average of ratios that treats 2× and ½× as
    /// opposite effects of equal size. Nil for no values or any non-positive value.
    static func geometricMean(_ values: [Double]) -> Double? {
        guard !values.isEmpty, values.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        return exp(values.map(log).reduce(0, +) / Double(values.count))
    }
}
