/// Elementwise nonlinearities. ReLU works in place and differentiates from its output (so no
/// pre-activation copy is kept); GELU is the erf form (not the tanh approximation), with Φ to
/// ~1.5e-7, and needs its input.
public enum Activation {
    /// out = max(0, x); `out` may equal `x`.
    public static func reluForward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forRanges(count, grain: Parallel.elementGrain) { range in
            for index in range { out[index] = max(x[index], 0) }
        }
    }

    /// dx = dout · [out > 0]; `dx` may equal `dout`.
    public static func reluBackward(
        dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
        out: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forRanges(count, grain: Parallel.elementGrain) { range in
            for index in range {
                let gradient = dout[index]  // loaded unconditionally, so the select vectorises
                dx[index] = out[index] > 0 ? gradient : 0
            }
        }
    }

    /// out = x · Φ(x), Φ the standard normal CDF (`FastMath.normalCDFAndDensity`).
    public static func geluForward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forRanges(count, grain: Parallel.elementGrain / 4) { range in
            var index = range.lowerBound
            while index + 8 <= range.upperBound {
                let values = FastMath.load8(x + index)
                FastMath.store8(values * FastMath.normalCDFAndDensity(values).cdf, out + index)
                index += 8
            }
            // The tail goes through the same formula, padded to eight lanes.
            let rest = range.upperBound - index
            guard rest > 0 else { return }
            let values = FastMath.load8(x + index, count: rest)
            let results = values * FastMath.normalCDFAndDensity(values).cdf
            for lane in 0..<rest { out[index + lane] = results[lane] }
        }
    }

    /// dx = dout · (Φ(x) + x · φ(x)); `dx` may equal `dout`.
    public static func geluBackward(
        dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
        x: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forRanges(count, grain: Parallel.elementGrain / 4) { range in
            var index = range.lowerBound
            while index + 8 <= range.upperBound {
                let values = FastMath.load8(x + index)
                let (cdf, density) = FastMath.normalCDFAndDensity(values)
                FastMath.store8(FastMath.load8(dout + index) * (cdf + values * density), dx + index)
                index += 8
            }
            let rest = range.upperBound - index
            guard rest > 0 else { return }
            let values = FastMath.load8(x + index, count: rest)
            let (cdf, density) = FastMath.normalCDFAndDensity(values)
            let slopes = cdf + values * density
            for lane in 0..<rest { dx[index + lane] = dout[index + lane] * slopes[lane] }
        }
    }
}
