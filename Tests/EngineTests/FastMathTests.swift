import Foundation
import Testing

@testable import Engine

/// The vectorised elementwise math against libm and plain loops.
struct FastMathTests {
    @Test func expMatchesLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let exact = Float(Foundation.exp(Double(x)))
            worst = max(worst, abs(FastMath.exp(x) - exact) / exact)
            x += 0.013
        }
        #expect(worst < 4e-7)
        #expect(FastMath.exp(0) == 1)
        #expect(FastMath.exp(-200) >= 0 && FastMath.exp(-200) < 1e-37)
    }

    static let points: [Float] =
        stride(from: -12.0, through: 12.0, by: 0.0137).map { Float($0) }
        + [0, -0, 1e-8, -1e-8, 40, -40, 88, -88, 100, -100]

    @Test func eightLaneExpIsTheScalarExpAndCloseToLibm() {
        for start in stride(from: 0, to: Self.points.count, by: 8) {
            var lanes = SIMD8<Float>(repeating: 0)
            for lane in 0..<min(8, Self.points.count - start) { lanes[lane] = Self.points[start + lane] }
            let vector = FastMath.exp(lanes)
            for lane in 0..<8 {
                let x = lanes[lane]
                #expect(vector[lane] == FastMath.exp(x))
                if x > -87, x < 88 { #expect(abs(vector[lane] - expf(x)) <= 3e-7 * expf(x), "exp(\(x))") }
            }
        }
    }

    @Test func geluMatchesTheErfFormAndItsDerivative() {
        let x = Self.points, count = x.count
        var out = [Float](repeating: 0, count: count), slope = [Float](repeating: 1, count: count)
        x.withUnsafeBufferPointer { input in
            Activation.geluForward(out: &out, x: input.baseAddress!, count: count)
            slope.withUnsafeMutableBufferPointer { buffer in
                Activation.geluBackward(dx: buffer.baseAddress!, dout: buffer.baseAddress!, x: input.baseAddress!, count: count)
            }
        }
        for (index, value) in x.enumerated() {
            let v = Double(value)
            let cdf = 0.5 * erfc(-v / 2.0.squareRoot()), density = Foundation.exp(-v * v / 2) / (2 * Double.pi).squareRoot()
            #expect(abs(Double(out[index]) - v * cdf) <= 3e-7 * max(1, abs(v)), "gelu(\(value))")
            // In the lower tail Φ is computed directly, not as 1 − (1 − Φ), which would round to
            // zero below x ≈ −5.4: its relative error stays within the formula's (≤ 2 % at −9).
            if v < -3, v > -9 { #expect(abs(Double(out[index]) - v * cdf) <= 0.025 * abs(v * cdf), "gelu(\(value)) tail") }
            #expect(abs(Double(slope[index]) - (cdf + v * density)) <= 5e-7 * max(1, abs(v)), "gelu'(\(value))")
        }
    }

    @Test func maximumAndSumFollowPlainLoops() {
        for count in [1, 7, 8, 9, 97, 128] {
            let values = (0..<count).map { Float(($0 * 37) % 23) - 11.5 }
            values.withUnsafeBufferPointer { buffer in
                #expect(FastMath.maximum(buffer.baseAddress!, count: count) == values.max())
                #expect(abs(FastMath.sum(buffer.baseAddress!, count: count) - values.reduce(0, +)) <= 1e-4)
            }
            var withNaN = values
            withNaN[count / 2] = .nan
            withNaN.withUnsafeBufferPointer { #expect(FastMath.maximum($0.baseAddress!, count: count).isNaN) }
        }
    }
}
