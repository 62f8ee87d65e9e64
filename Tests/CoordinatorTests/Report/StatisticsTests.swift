import Foundation
import Protocol
import Testing

@testable import Coordinator

/// Each statistic against values worked out by hand.
@Suite struct ReportStatisticsTests {
    // MARK: Quantiles (type 7, numpy's default)

    struct QuantileCase: Sendable, CustomTestStringConvertible {
        var values: [Double]
        var median: Double?
        var lowerQuartile: Double?
        var upperQuartile: Double?
        var testDescription: String { "\(values)" }
    }

    @Test(arguments: [
        // Even count: the median averages 2 and 3; Q1 at position 0.75 = 1 + 0.75·(2 − 1).
        QuantileCase(values: [4, 1, 3, 2], median: 2.5, lowerQuartile: 1.75, upperQuartile: 3.25),
        QuantileCase(values: [50, 10, 40, 20, 30], median: 30, lowerQuartile: 20, upperQuartile: 40),
        // Positions 1.5, 0.75, 2.25 of the sorted 1720, 2190, 3160 (the smoke sweep's wd 1 seeds).
        QuantileCase(values: [1720, 3160, 2190], median: 2190, lowerQuartile: 1955, upperQuartile: 2675),
        QuantileCase(values: [7], median: 7, lowerQuartile: 7, upperQuartile: 7),
        QuantileCase(values: [], median: nil, lowerQuartile: nil, upperQuartile: nil),
    ])
    func quantilesInterpolateBetweenOrderStatistics(_ example: QuantileCase) {
        #expect(close(SampleStatistics.median(example.values), example.median))
        let quartiles = SampleStatistics.quartiles(example.values)
        #expect(close(quartiles?.lower, example.lowerQuartile))
        #expect(close(quartiles?.upper, example.upperQuartile))
    }

    @Test func interpolatingTowardsInfinityGivesInfinity() {
        #expect(SampleStatistics.quantile([1, 2, .infinity], 0.75) == .infinity)
        #expect(SampleStatistics.quantile([1, 2, .infinity], 0.5) == 2)
        #expect(SampleStatistics.quantile([.infinity, .infinity], 0.5) == .infinity)
    }

    @Test(arguments: [([2.0, 8], 4.0), ([1, 4, 16], 4), ([0.5, 2], 1), ([3], 3)] as [([Double], Double)])
    func geometricMeanIsTheExponentOfTheMeanLog(values: [Double], expected: Double) {
        #expect(close(SampleStatistics.geometricMean(values), expected))
    }

    @Test func geometricMeanRejectsNonPositiveValues() {
        #expect(SampleStatistics.geometricMean([]) == nil)
        #expect(SampleStatistics.geometricMean([2, 0]) == nil)
    }

    // MARK: Kaplan–Meier

    struct SurvivalCase: Sendable, CustomTestStringConvertible {
        var name: String
        var observations: [GrokObservation]
        var curve: [SurvivalStep]
        var median: Double?
        var lowerQuartile: Double?
        var upperQuartile: Double?
        var testDescription: String { name }
    }

    @Test(arguments: [
        // 5 seeds: groks at 100 (5 at risk: S = 4/5), 200 (4 at risk: S = 0.8·3/4 = 0.6), a censoring at 300,
        // a grok at 400 (2 at risk: S = 0.6·1/2 = 0.3), a censoring at 500. Median: first S ≤ 0.5 → 400;
        // Q1: first S ≤ 0.75 → 200; Q3 needs S ≤ 0.25, never reached → beyond the data.
        SurvivalCase(
            name: "censoring between groks",
            observations: [
                .grokked(at: 100), .grokked(at: 200), .censored(at: 300), .grokked(at: 400),
                .censored(at: 500),
            ],
            curve: [
                SurvivalStep(step: 100, survival: 0.8), SurvivalStep(step: 200, survival: 0.6),
                SurvivalStep(step: 400, survival: 0.3),
            ],
            median: 400, lowerQuartile: 200, upperQuartile: nil),
        // 2 of 4 grok (1000, 1500), 2 censored at the budget 4000: S = 0.75, then exactly 0.5 at 1500 with
        // no later grok, so the median is 1500; Q1 lands exactly on 0.75 at 1000 → midpoint to 1500 = 1250.
        SurvivalCase(
            name: "half censored at the budget",
            observations: [.grokked(at: 1500), .censored(at: 4000), .grokked(at: 1000), .censored(at: 4000)],
            curve: [SurvivalStep(step: 1000, survival: 0.75), SurvivalStep(step: 1500, survival: 0.5)],
            median: 1500, lowerQuartile: 1250, upperQuartile: nil),
        // No censoring: S = 0.75, 0.5, 0.25, 0; the median is the midpoint of 20 and 30, as the sample median.
        SurvivalCase(
            name: "uncensored",
            observations: [.grokked(at: 40), .grokked(at: 10), .grokked(at: 30), .grokked(at: 20)],
            curve: [
                SurvivalStep(step: 10, survival: 0.75), SurvivalStep(step: 20, survival: 0.5),
                SurvivalStep(step: 30, survival: 0.25), SurvivalStep(step: 40, survival: 0),
            ],
            median: 25, lowerQuartile: 15, upperQuartile: 35),
        // Tied groks: two at 10 take S to 0.5 at once; the median is the midpoint of 10 and 20.
        SurvivalCase(
            name: "ties",
            observations: [.grokked(at: 10), .grokked(at: 10), .grokked(at: 20), .grokked(at: 30)],
            curve: [
                SurvivalStep(step: 10, survival: 0.5), SurvivalStep(step: 20, survival: 0.25),
                SurvivalStep(step: 30, survival: 0),
            ],
            median: 15, lowerQuartile: 10, upperQuartile: 25),
        // A censoring tied with a grok is still at risk then: 3 at risk at 300 (S = 2/3), then 1 at 500 (S = 0).
        SurvivalCase(
            name: "censoring tied with a grok",
            observations: [.grokked(at: 300), .censored(at: 300), .grokked(at: 500)],
            curve: [SurvivalStep(step: 300, survival: 2.0 / 3), SurvivalStep(step: 500, survival: 0)],
            median: 500, lowerQuartile: 300, upperQuartile: 500),
        SurvivalCase(
            name: "nothing grokked", observations: Array(repeating: .censored(at: 20000), count: 5),
            curve: [], median: nil, lowerQuartile: nil, upperQuartile: nil),
    ])
    func kaplanMeierCurveAndQuantiles(_ example: SurvivalCase) {
        let estimate = KaplanMeier(example.observations)
        #expect(estimate.steps.count == example.curve.count)
        for (actual, expected) in zip(estimate.steps, example.curve) {
            #expect(actual.step == expected.step && close(actual.survival, expected.survival))
        }
        #expect(close(estimate.median, example.median))
        #expect(close(estimate.quantile(0.25), example.lowerQuartile))
        #expect(close(estimate.quantile(0.75), example.upperQuartile))
    }

    @Test func survivalIsRightContinuous() {
        let estimate = KaplanMeier([.grokked(at: 100), .grokked(at: 200)])
        #expect(estimate.survival(at: 99) == 1 && estimate.survival(at: 100) == 0.5 && estimate.survival(at: 250) == 0)
    }

    // MARK: Bootstrap

    @Test func bootstrapIsDeterministicAndInsideTheData() {
        let values: [Double] = [1720, 3160, 2190, 2500, 1900]
        var first = SeededGenerator(text: "cell-a")
        var second = SeededGenerator(text: "cell-a")
        let median = { (sample: [Double]) in SampleStatistics.median(sample)! }
        let a = Bootstrap.percentileInterval(values, generator: &first, statistic: median)
        let b = Bootstrap.percentileInterval(values, generator: &second, statistic: median)
        #expect(a != nil && a == b, "the same seed gives the same interval")
        #expect(a!.lower >= 1720 && a!.upper <= 3160 && a!.lower <= 2190 && a!.upper >= 2190)
    }

    @Test func bootstrapIntervalOfTwoValuesIsTheirRange() {
        // Resampled medians are 100 (¼), 150 (½) and 200 (¼): the 2.5 % and 97.5 % quantiles are the two values.
        var generator = SeededGenerator(text: "two")
        let median = { (sample: [Double]) in SampleStatistics.median(sample)! }
        let interval = Bootstrap.percentileInterval([100.0, 200], generator: &generator, statistic: median)
        #expect(interval == Interval(lower: 100, upper: 200))
    }

    @Test func bootstrapOfConstantDataIsThePointAndOfOneValueIsNothing() {
        var generator = SeededGenerator(seed: 1)
        let median = { (sample: [Double]) in SampleStatistics.median(sample)! }
        #expect(Bootstrap.percentileInterval([5.0, 5, 5], generator: &generator, statistic: median) == Interval(lower: 5, upper: 5))
        #expect(Bootstrap.percentileInterval([5.0], generator: &generator, statistic: median) == nil)
    }

    @Test func generatorIndicesStayInRangeAndCoverIt() {
        var generator = SeededGenerator(seed: 42)
        let draws = (0..<3000).map { _ in generator.index(below: 3) }
        #expect(draws.allSatisfy { (0..<3).contains($0) })
        #expect(Set(draws) == [0, 1, 2])
    }

    // MARK: Time to grok of a cell

    @Test func allGrokkedCellUsesSampleStatistics() {
        let time = TimeToGrok(observations: [.grokked(at: 1720), .grokked(at: 3160), .grokked(at: 2190)], seedText: "c")
        #expect(time.estimator == .sample)
        #expect(time.median == 2190 && time.lowerQuartile == 1955 && time.upperQuartile == 2675)
        let interval = try! #require(time.confidence)
        #expect(interval.lower >= 1720 && interval.upper <= 3160)
    }

    @Test func censoredCellUsesKaplanMeierAndMayHaveNoMedian() {
        let partly = TimeToGrok(
            observations: [
                .grokked(at: 1500), .censored(at: 4000), .grokked(at: 1000),
                .censored(at: 4000),
            ], seedText: "c")
        #expect(partly.estimator == .kaplanMeier && partly.median == 1500 && partly.lowerQuartile == 1250)
        #expect(partly.upperQuartile == nil)
        #expect(partly.confidence?.upper == .infinity, "resamples with more censored seeds have no median")

        let none = TimeToGrok(observations: Array(repeating: .censored(at: 20000), count: 5), seedText: "c")
        #expect(none.median == nil && none.confidence == Interval(lower: .infinity, upper: .infinity))
    }
}
