/// Vectorised elementwise math for hot loops, on explicit eight-lane vectors (AVX2 width):
/// the compiler does not vectorise plain loops with reductions (float addition is not
/// reassociated) or with calls into libm, and softmax and GELU over a full batch spend most of
/// their time there.
public enum FastMath {
    /// eˣ within ~2 ulp of `expf`, for the scalar odd ends of vector loops: the lane-0 result of
    /// the eight-lane version, so both give the same numbers.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        exp(SIMD8<Float>(repeating: x))[0]
    }

    /// eˣ on eight lanes: Cephes' single-precision range reduction and polynomial,
    /// exp(x) = 2^k · exp(r), k = round(x / ln 2), |r| ≤ ln 2 / 2. Written with selects so NaN
    /// maps into range, and without float-to-integer conversion: adding 1.5 · 2²³ rounds
    /// x / ln 2 to the nearest integer k and leaves k in the low mantissa bits, from where 2^k's
    /// exponent field is built by shifting.
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var clamped = x
        clamped.replace(with: -87.3, where: .!(x .> -87.3))
        clamped.replace(with: 88.3, where: .!(clamped .< 88.3))
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_04 + magic
        let k = shifted - magic
        // ln 2 split in two parts so k · ln 2 is subtracted without rounding error.
        let r = (clamped - k * 0.693_359_375) - k * -2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 0.166_666_65
        p = p * r + 0.500_000_01
        let polynomial = p * r * r + r + 1
        let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &+ 127) &<< 23
        return polynomial * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// out[i] = exp(x[i] − shift) for `count` values; returns their sum in a fixed order
    /// (eight running lanes, summed, then the tail). `out` may equal `x`.
    @inline(__always)
    public static func shiftedExponentials(
        _ x: UnsafePointer<Float>, minus shift: Float,
        into out: UnsafeMutablePointer<Float>, count: Int
    ) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        let shifts = SIMD8<Float>(repeating: shift)
        while index + 8 <= count {
            let values = exp(load8(x + index) - shifts)
            store8(values, out + index)
            lanes += values
            index += 8
        }
        var sum = lanes.sum()
        while index < count {
            let value = exp(x[index] - shift)
            out[index] = value
            sum += value
            index += 1
        }
        return sum
    }

    /// The standard normal CDF Φ(x) and density φ(x) on eight lanes, with erf by Abramowitz &
    /// Stegun 7.1.26 (absolute error ≤ 1.5e-7, about float32's resolution near 1): for
    /// z = |x|/√2, t = 1/(1 + p·z), erfc(z) ≈ t·(a₁ + t·(a₂ + …)) · e^(−z²). The tail
    /// Φ(−|x|) = erfc(z)/2 comes out directly, without the cancellation of 1 + erf.
    @inline(__always)
    public static func normalCDFAndDensity(_ x: SIMD8<Float>) -> (cdf: SIMD8<Float>, density: SIMD8<Float>) {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let z = magnitude * 0.707_106_77
        let t = 1 / (z * 0.327_591_1 + 1)
        var poly = SIMD8<Float>(repeating: 1.061_405_429)
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        let gaussian = exp(-(z * z))
        let lowerTail: SIMD8<Float> = poly * t * gaussian * 0.5
        var cdf = SIMD8<Float>(repeating: 1) - lowerTail
        cdf.replace(with: lowerTail, where: x .< 0)
        return (cdf, gaussian * 0.398_942_28)
    }

    /// Eight values from `pointer`, or the `count` < 8 there padded with zeros.
    @inline(__always)
    static func load8(_ pointer: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
        var values = SIMD8<Float>()
        for lane in 0..<count { values[lane] = pointer[lane] }
        return values
    }

    /// The largest of `count` values (NaN if any is NaN). Eight lanes, then the tail.
    @inline(__always)
    public static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var index = 0
        var result = -Float.infinity
        if count >= 8 {
            var lanes = load8(values)
            var hasNaN = lanes .!= lanes
            index = 8
            while index + 8 <= count {
                let next = load8(values + index)
                hasNaN .|= next .!= next
                lanes.replace(with: next, where: next .> lanes)
                index += 8
            }
            if any(hasNaN) { return .nan }
            result = lanes.max()
        }
        while index < count {
            let value = values[index]
            if value.isNaN { return .nan }
            result = Swift.max(result, value)
            index += 1
        }
        return result
    }

    /// Σ of `count` values in a fixed order: eight running lanes, summed, then the tail.
    /// (A plain loop's sum cannot be vectorised: float addition is not reassociated.)
    @inline(__always)
    public static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            lanes += load8(values + index)
            index += 8
        }
        var result = lanes.sum()
        while index < count {
            result += values[index]
            index += 1
        }
        return result
    }

    @inline(__always)
    static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ values: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: SIMD8<Float>.self)
    }
}
