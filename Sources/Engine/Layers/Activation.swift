#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Elementwise nonlinearities. ReLU works in place and differentiates from its output (so no
/// pre-activation copy is kept); GELU is the exact (erf) form and needs its input.
public enum Activation {
    /// Elements per thread worth splitting for (GELU, with its libm calls, splits sooner).
    static let elementGrain = 32_768

    /// out = max(0, x); `out` may equal `x`.
    public static func reluForward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forRanges(count, grain: elementGrain) { range in
            for index in range { out[index] = max(x[index], 0) }
        }
    }

    /// dx = dout · [out > 0]; `dx` may equal `dout`.
    public static func reluBackward(dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                    out: UnsafePointer<Float>, count: Int) {
        Parallel.forRanges(count, grain: elementGrain) { range in
            for index in range {
                let gradient = dout[index]  // loaded unconditionally, so the select vectorises
                dx[index] = out[index] > 0 ? gradient : 0
            }
        }
    }

    /// out = x · Φ(x), Φ the standard normal CDF.
    public static func geluForward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forRanges(count, grain: elementGrain / 8) { range in
            for index in range {
                let value = x[index]
                out[index] = 0.5 * value * (1 + erff(value * Float(0.5.squareRoot())))
            }
        }
    }

    /// dx = dout · (Φ(x) + x · φ(x)); `dx` may equal `dout`.
    public static func geluBackward(dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                    x: UnsafePointer<Float>, count: Int) {
        let inverseSqrtTwoPi = Float(1 / (2 * Double.pi).squareRoot())
        Parallel.forRanges(count, grain: elementGrain / 8) { range in
            for index in range {
                let value = x[index]
                let cdf = 0.5 * (1 + erff(value * Float(0.5.squareRoot())))
                let density = inverseSqrtTwoPi * expf(-0.5 * value * value)
                dx[index] = dout[index] * (cdf + value * density)
            }
        }
    }
}
