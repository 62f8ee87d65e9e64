import Foundation
import Testing
import TrialSchema

@testable import Coordinator

/// A running trial's curve so far: kept up to the step a continued trial resumes from, dropped
/// when it starts over, removed once it finishes.
struct PartialCurvesTests {
    static func point(_ step: Int) -> CurvePoint {
        CurvePoint(step: step, trainLoss: 1, trainAccuracy: 0.5, testLoss: 2, testAccuracy: 0.1)
    }

    @Test func continuedTrialKeepsItsCurveUpToTheResumedStep() throws {
        let directory = temporaryRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let curves = PartialCurves(runDirectory: directory)
        curves.started("t")
        for step in stride(from: 0, through: 500, by: 100) { curves.append("t", Self.point(step)) }
        // The worker died at 500; its latest state was taken at step 300.
        curves.started("t", fromStep: 300)
        #expect(curves.read("t").map(\.step) == [0, 100, 200, 300])
        curves.append("t", Self.point(400))
        #expect(curves.read("t").map(\.step) == [0, 100, 200, 300, 400])
        // Without a state the trial starts over.
        curves.started("t")
        #expect(curves.read("t").isEmpty)
        curves.append("t", Self.point(0))
        curves.finished("t")
        #expect(curves.read("t").isEmpty)
    }
}
