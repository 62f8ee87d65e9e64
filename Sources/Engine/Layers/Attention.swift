/// The core of causal multi-head self-attention, between the fused query/key/value projection
/// and the output projection (both plain matrix products the model does with `BLAS.gemm`).
///
/// Sequences here are a few positions long, so scores, softmax and mixing are plain loops per
/// example and head; the heavy work stays in the big projections over all rows at once.
/// Queries may be limited to the last `queries` positions (keys and values still cover every
/// position): the last block of a last-position classifier needs no other outputs.
///
/// Layout: `qkv` holds one row of 3·d per position, `[q | k | v]`, each of `heads` blocks of
/// d/heads side by side (PyTorch's `in_proj` order). Scores are scaled by 1/√(d/heads).
public enum CausalAttention {
    /// qkv (n × T × 3d) → out (n × Tq × d), probabilities (n × H × Tq × T; zero above the
    /// causal diagonal), for query positions T − Tq ..< T
    public static func forward(
        out: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
        count n: Int, length t: Int, queries: Int, heads: Int, dimension d: Int
    ) {
        let headDimension = d / heads
        let scale = 1 / Float(headDimension).squareRoot()
        let firstQuery = t - queries
        // Examples are independent: split over the team by example (an example's qkv is its row).
        Parallel.forRanges(n, grain: Parallel.rowGrain(3 * t * d)) { examples in
            for example in examples {
                let rows = qkv + example * t * 3 * d
                for head in 0..<heads {
                    let offset = head * headDimension
                    for query in 0..<queries {
                        let position = firstQuery + query
                        let q = rows + position * 3 * d + offset
                        let weights = probabilities + ((example * heads + head) * queries + query) * t
                        var maximum = -Float.infinity
                        for key in 0...position {
                            let k = rows + key * 3 * d + d + offset
                            var dot: Float = 0
                            for column in 0..<headDimension { dot += q[column] * k[column] }
                            weights[key] = dot * scale
                            maximum = max(maximum, weights[key])
                        }
                        var sum: Float = 0
                        for key in 0...position {
                            weights[key] = FastMath.exp(weights[key] - maximum)
                            sum += weights[key]
                        }
                        let inverseSum = 1 / sum
                        for key in 0...position { weights[key] *= inverseSum }
                        for key in (position + 1)..<max(t, position + 1) { weights[key] = 0 }
                        let output = out + (example * queries + query) * d + offset
                        for column in 0..<headDimension { output[column] = 0 }
                        for key in 0...position {
                            let v = rows + key * 3 * d + 2 * d + offset, weight = weights[key]
                            for column in 0..<headDimension { output[column] += weight * v[column] }
                        }
                    }
                }
            }
        }
    }

    /// dout (n × Tq × d) → dqkv (n × T × 3d), overwritten; query gradients of positions that
    /// were not queried are zero. With s = q·k/√dh, P = softmax(s):
    /// dv_j += P_ij · dout_i;  dP_ij = dout_i · v_j;  ds_ij = P_ij (dP_ij − Σ_k P_ik dP_ik);
    /// dq_i = Σ_j ds_ij k_j / √dh;  dk_j += ds_ij q_i / √dh.
    public static func backward(
        dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, probabilities: UnsafePointer<Float>,
        qkv: UnsafePointer<Float>, count n: Int, length t: Int, queries: Int, heads: Int, dimension d: Int
    ) {
        let headDimension = d / heads
        let scale = 1 / Float(headDimension).squareRoot()
        let firstQuery = t - queries
        Parallel.forRanges(n, grain: Parallel.rowGrain(3 * t * d)) { examples in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: t) { buffer in
                let scoreGradient = buffer.baseAddress!
                for example in examples {
                    let rows = qkv + example * t * 3 * d, gradients = dqkv + example * t * 3 * d
                    gradients.update(repeating: 0, count: t * 3 * d)
                    for head in 0..<heads {
                        let offset = head * headDimension
                        for query in 0..<queries {
                            let position = firstQuery + query
                            let weights = probabilities + ((example * heads + head) * queries + query) * t
                            let upstream = dout + (example * queries + query) * d + offset
                            var weightedSum: Float = 0
                            for key in 0...position {
                                let v = rows + key * 3 * d + 2 * d + offset
                                let dv = gradients + key * 3 * d + 2 * d + offset
                                var dot: Float = 0
                                for column in 0..<headDimension {
                                    dot += upstream[column] * v[column]
                                    dv[column] += weights[key] * upstream[column]
                                }
                                scoreGradient[key] = dot
                                weightedSum += weights[key] * dot
                            }
                            let q = rows + position * 3 * d + offset
                            let dq = gradients + position * 3 * d + offset
                            for key in 0...position {
                                let ds = weights[key] * (scoreGradient[key] - weightedSum) * scale
                                let k = rows + key * 3 * d + d + offset
                                let dk = gradients + key * 3 * d + d + offset
                                for column in 0..<headDimension {
                                    dq[column] += ds * k[column]
                                    dk[column] += ds * q[column]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Score, softmax and mixing FLOPs of one forward pass (multiply–adds counted as two).
    public static func forwardFlops(count n: Int, length t: Int, queries: Int, dimension d: Int) -> Double {
        // Query i attends to T − Tq + i + 1 keys.
        let pairs = (0..<queries).reduce(0) { $0 + t - queries + $1 + 1 }
        return 2 * 2 * Double(n) * Double(pairs) * Double(d)
    }
}
