/// Layer normalisation over the last dimension with a learned gain and bias (PyTorch's
/// `nn.LayerNorm`, ε = 1e-5). Forward keeps each row's mean and 1/σ for backward.
public enum LayerNorm {
    public static let epsilon: Float = 1e-5

    /// x (rows × d), weight (d), bias (d) → out (rows × d), mean (rows), inverseDeviation (rows)
    public static func forward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, inverseDeviation: UnsafeMutablePointer<Float>,
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, dimension d: Int
    ) {
        let inverseD = 1 / Float(d)
        Parallel.forRanges(rows, grain: Parallel.rowGrain(d)) { range in
            for row in range {
                let input = x + row * d, output = out + row * d
                var sum: Float = 0
                for column in 0..<d { sum += input[column] }
                let average = sum * inverseD
                // Two passes (mean, then centred squares): no cancellation for rows far from zero.
                var squares: Float = 0
                for column in 0..<d {
                    let centred = input[column] - average
                    squares += centred * centred
                }
                let inverse = 1 / (squares * inverseD + epsilon).squareRoot()
                for column in 0..<d { output[column] = (input[column] - average) * inverse * weight[column] + bias[column] }
                mean[row] = average
                inverseDeviation[row] = inverse
            }
        }
    }

    /// dout (rows × d) → dx += ∂/∂x, dweight += Σ_rows dout · x̂, dbias += Σ_rows dout,
    /// with x̂ = (x − mean) / σ and dx = (1/σ) · (g − mean(g) − x̂ · mean(g · x̂)), g = dout · weight.
    public static func backward(
        dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, inverseDeviation: UnsafePointer<Float>, rows: Int, dimension d: Int
    ) {
        let inverseD = 1 / Float(d)
        // Input gradients row by row (split by rows); parameter gradients column by column
        // over all rows in order (split by columns), so no sum depends on the split.
        Parallel.forRanges(rows, grain: Parallel.rowGrain(d)) { range in
            for row in range {
                let input = x + row * d, upstream = dout + row * d, gradient = dx + row * d
                let average = mean[row], inverse = inverseDeviation[row]
                var gradientMean: Float = 0, projectionMean: Float = 0
                for column in 0..<d {
                    let normalised = (input[column] - average) * inverse
                    let scaled = upstream[column] * weight[column]
                    gradientMean += scaled
                    projectionMean += scaled * normalised
                }
                gradientMean *= inverseD
                projectionMean *= inverseD
                for column in 0..<d {
                    let normalised = (input[column] - average) * inverse
                    let scaled = upstream[column] * weight[column]
                    gradient[column] += inverse * (scaled - gradientMean - normalised * projectionMean)
                }
            }
        }
        Parallel.forColumnRanges(d, grain: Parallel.columnGrain(rows)) { columns in
            for row in 0..<rows {
                let input = x + row * d, upstream = dout + row * d
                let average = mean[row], inverse = inverseDeviation[row]
                for column in columns {
                    let normalised = (input[column] - average) * inverse
                    dweight[column] += upstream[column] * normalised
                    dbias[column] += upstream[column]
                }
            }
        }
    }
}
