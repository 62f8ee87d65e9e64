/// A 1 → h → 1 ReLU network evaluated as what it is: a piecewise-linear function of its scalar
/// input, s(x) = b₂ + Σⱼ w₂ⱼ · relu(w₁ⱼ x + b₁ⱼ), with a kink at tⱼ = −b₁ⱼ / w₁ⱼ per unit.
/// Between consecutive kinks the same units are active, so s(x) = slope_k · x + intercept_k on
/// interval k (the number of kinks below x). One binary search per entry replaces the h
/// multiply-adds of the dense network: NeuralGrok's mod-7 amplifier has h = 1 152 and scores
/// every one of the model's ~800 k gradient entries at every step.
///
/// The φ-gradient reduces the same way: per interval, Σ ds and Σ ds · x; each unit's
/// gradient is a prefix or suffix sum of those over the intervals where it is active.
/// Sums run in Double; the result equals the dense network's up to rounding (and to which side
/// of a kink an entry lying on it counts, where the unit's output is 0 either way).
struct PiecewiseLinearScores {
    /// Sorted kinks of the units with w₁ⱼ ≠ 0.
    private var kinks: [Float] = []
    /// Per interval k in 0...kinks.count.
    private var slopes: [Float] = []
    private var intercepts: [Float] = []
    /// Per unit: the intervals where it is active, `k >= from` (w₁ > 0), `k <= through` (w₁ < 0),
    /// every interval (w₁ = 0, b₁ > 0) or none.
    private var activity: [Activity] = []

    private enum Activity {
        case from(Int)
        case through(Int)
        case always
        case never
    }

    /// Rebuilds the intervals from φ = (w₁, b₁, w₂, b₂), h units.
    mutating func prepare(
        w1: UnsafePointer<Float>, b1: UnsafePointer<Float>, w2: UnsafePointer<Float>, b2: Float, units h: Int
    ) {
        kinks = (0..<h).filter { w1[$0] != 0 }.map { -b1[$0] / w1[$0] }.sorted()
        let intervals = kinks.count + 1
        var slopeDelta = [Double](repeating: 0, count: intervals + 1)
        var interceptDelta = [Double](repeating: 0, count: intervals + 1)
        activity = (0..<h).map { unit in
            let (slope, intercept) = (Double(w2[unit]) * Double(w1[unit]), Double(w2[unit]) * Double(b1[unit]))
            let active: Activity
            if w1[unit] == 0 {
                active = b1[unit] > 0 ? .always : .never
            } else {
                let kink = -b1[unit] / w1[unit]
                active = w1[unit] > 0 ? .from(Self.count(kinks, atMost: kink)) : .through(Self.count(kinks, below: kink))
            }
            let range: Range<Int>? =
                switch active {
                case .from(let first): first..<intervals
                case .through(let last): 0..<(last + 1)
                case .always: 0..<intervals
                case .never: nil
                }
            if let range {
                slopeDelta[range.lowerBound] += slope
                slopeDelta[range.upperBound] -= slope
                interceptDelta[range.lowerBound] += intercept
                interceptDelta[range.upperBound] -= intercept
            }
            return active
        }
        slopes = []
        intercepts = []
        var (slope, intercept) = (0.0, Double(b2))
        for interval in 0..<intervals {
            slope += slopeDelta[interval]
            intercept += interceptDelta[interval]
            slopes.append(Float(slope))
            intercepts.append(Float(intercept))
        }
    }

    /// scores[i] = s(inputs[i]).
    func scores(of inputs: UnsafePointer<Float>, count: Int, into scores: UnsafeMutablePointer<Float>) {
        kinks.withUnsafeBufferPointer { kinks in
            slopes.withUnsafeBufferPointer { slopes in
                intercepts.withUnsafeBufferPointer { intercepts in
                    for index in 0..<count {
                        let x = inputs[index], interval = Self.count(kinks, below: x)
                        scores[index] = intercepts[interval] + slopes[interval] * x
                    }
                }
            }
        }
    }

    /// Gradients of Σᵢ dscores[i] · s(inputs[i]) with respect to w₁, b₁, w₂, b₂, added into them.
    func backward(
        inputs: UnsafePointer<Float>, dscores: UnsafePointer<Float>, count: Int,
        w1: UnsafePointer<Float>, b1: UnsafePointer<Float>, w2: UnsafePointer<Float>,
        dw1: UnsafeMutablePointer<Float>, db1: UnsafeMutablePointer<Float>, dw2: UnsafeMutablePointer<Float>,
        db2: UnsafeMutablePointer<Float>
    ) {
        let intervals = kinks.count + 1
        // Prefix sums over intervals of Σ ds and Σ ds · x: below[k] covers intervals 0..<k.
        var weight = [Double](repeating: 0, count: intervals + 1)
        var moment = [Double](repeating: 0, count: intervals + 1)
        kinks.withUnsafeBufferPointer { kinks in
            for index in 0..<count {
                let (x, ds) = (inputs[index], Double(dscores[index]))
                let interval = Self.count(kinks, below: x)
                weight[interval + 1] += ds
                moment[interval + 1] += ds * Double(x)
            }
        }
        for interval in 0..<intervals {
            weight[interval + 1] += weight[interval]
            moment[interval + 1] += moment[interval]
        }
        let (totalWeight, totalMoment) = (weight[intervals], moment[intervals])
        for (unit, active) in activity.enumerated() {
            let (s0, s1): (Double, Double) =
                switch active {
                case .from(let first): (totalWeight - weight[first], totalMoment - moment[first])
                case .through(let last): (weight[last + 1], moment[last + 1])
                case .always: (totalWeight, totalMoment)
                case .never: (0, 0)
                }
            // Active units output w₁x + b₁: ∂/∂w₂ = Σ ds (w₁x + b₁), ∂/∂b₁ = w₂ Σ ds, ∂/∂w₁ = w₂ Σ ds x.
            dw2[unit] += Float(Double(w1[unit]) * s1 + Double(b1[unit]) * s0)
            db1[unit] += Float(Double(w2[unit]) * s0)
            dw1[unit] += Float(Double(w2[unit]) * s1)
        }
        db2[0] += Float(totalWeight)
    }

    /// The number of sorted `values` strictly below `x`.
    @inline(__always)
    private static func count(_ values: UnsafeBufferPointer<Float>, below x: Float) -> Int {
        var (low, high) = (0, values.count)
        while low < high {
            let middle = (low + high) >> 1
            if values[middle] < x { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func count(_ values: [Float], below x: Float) -> Int {
        values.withUnsafeBufferPointer { count($0, below: x) }
    }

    /// The number of sorted `values` at most `x`.
    private static func count(_ values: [Float], atMost x: Float) -> Int {
        var (low, high) = (0, values.count)
        while low < high {
            let middle = (low + high) / 2
            if values[middle] <= x { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
