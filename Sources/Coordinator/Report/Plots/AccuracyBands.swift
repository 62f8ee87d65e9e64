import Protocol
import TrialSchema

/// Median and interquartile band of one quantity across seeds at one step.
struct BandPoint: Hashable, Sendable {
    var step: Int
    var median: Double
    var lower: Double
    var upper: Double
}

/// Train and test accuracy of a cell across its seeds: median curves with IQR bands.
///
/// Owns the alignment of seeds whose curves end at different steps (a trial stops once it has
/// grokked): each seed's value at a step is its latest evaluation at or before that step, and
/// a seed that has stopped keeps its last value — it stopped *because* it held the threshold.
/// Non-finite values (a diverged run) are left out of that step. At most `maximumPoints`
/// steps are kept, evenly thinned, so a 20 000-step budget does not bloat the page.
struct AccuracyBands: Hashable, Sendable {
    var train: [BandPoint]
    var test: [BandPoint]

    init(curves: [[CurvePoint]], maximumPoints: Int = 300) {
        let usable = curves.filter { !$0.isEmpty }
        var steps = Array(Set(usable.flatMap { $0.map(\.step) })).sorted()
        if steps.count > maximumPoints {
            let stride = Double(steps.count - 1) / Double(maximumPoints - 1)
            steps = (0..<maximumPoints).map { steps[Int((Double($0) * stride).rounded())] }
        }
        var train: [BandPoint] = []
        var test: [BandPoint] = []
        var cursors = Array(repeating: 0, count: usable.count)
        for step in steps {
            var trainValues: [Double] = []
            var testValues: [Double] = []
            for (index, curve) in usable.enumerated() {
                while cursors[index] + 1 < curve.count, curve[cursors[index] + 1].step <= step { cursors[index] += 1 }
                let point = curve[cursors[index]]
                guard point.step <= step else { continue }
                if point.trainAccuracy.isFinite { trainValues.append(point.trainAccuracy) }
                if point.testAccuracy.isFinite { testValues.append(point.testAccuracy) }
            }
            if let band = Self.band(trainValues, at: step) { train.append(band) }
            if let band = Self.band(testValues, at: step) { test.append(band) }
        }
        self.train = train
        self.test = test
    }

    private static func band(_ values: [Double], at step: Int) -> BandPoint? {
        let sorted = values.sorted()
        guard let median = SampleStatistics.quantile(sorted: sorted, 0.5),
            let lower = SampleStatistics.quantile(sorted: sorted, 0.25),
            let upper = SampleStatistics.quantile(sorted: sorted, 0.75)
        else { return nil }
        return BandPoint(step: step, median: median, lower: lower, upper: upper)
    }
}
