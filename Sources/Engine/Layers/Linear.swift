/// Fully connected layer `y = x · Wᵀ + b`, PyTorch layout (`W` is outputs × inputs).
///
/// Backward accumulates into parameter gradients (`+=`; zeroing is the optimiser loop's job)
/// and overwrites the input gradient, whose buffer is reused between layers.
public enum Linear {
    /// x (n × inputs), weight (outputs × inputs), bias (outputs) → out (n × outputs)
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, count n: Int, inputs: Int, outputs: Int
    ) {
        BLAS.gemm(
            transposeA: false, transposeB: true, m: n, n: outputs, k: inputs,
            a: x, lda: inputs, b: weight, ldb: inputs, beta: 0, c: out, ldc: outputs)
        if let bias { addRowVector(bias, to: out, rows: n, columns: outputs) }
    }

    /// dout (n × outputs) → dweight += doutᵀ · x, dbias += Σ_rows dout, dx = dout · W
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        count n: Int, inputs: Int, outputs: Int
    ) {
        BLAS.gemm(
            transposeA: true, transposeB: false, m: outputs, n: inputs, k: n,
            a: dout, lda: outputs, b: x, ldb: inputs, beta: 1, c: dweight, ldc: inputs)
        if let dbias { addColumnSums(of: dout, rows: n, columns: outputs, to: dbias) }
        if let dx {
            BLAS.gemm(
                transposeA: false, transposeB: false, m: n, n: inputs, k: outputs,
                a: dout, lda: outputs, b: weight, ldb: inputs, beta: 0, c: dx, ldc: inputs)
        }
    }

    /// Dense FLOPs of one forward pass (multiply–adds counted as two).
    public static func forwardFlops(count n: Int, inputs: Int, outputs: Int) -> Double {
        2 * Double(n) * Double(inputs) * Double(outputs)
    }
}

// MARK: - Row and column helpers

/// matrix[r, 0..<columns] += vector for every row r; rows are `stride` floats apart
/// (`columns` when omitted).
func addRowVector(
    _ vector: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
    stride: Int? = nil
) {
    let stride = stride ?? columns
    Parallel.forRanges(rows, grain: Parallel.rowGrain(columns)) { range in
        for row in range {
            let line = matrix + row * stride
            for column in 0..<columns { line[column] += vector[column] }
        }
    }
}

/// sums[c] += Σ_r matrix[r, c] over `rows` rows `stride` floats apart (`columns` when omitted).
func addColumnSums(
    of matrix: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int? = nil,
    to sums: UnsafeMutablePointer<Float>
) {
    let stride = stride ?? columns
    // Split by columns, so each column is summed in row order whatever the thread count.
    Parallel.forColumnRanges(columns, grain: Parallel.columnGrain(rows)) { range in
        for row in 0..<rows {
            let line = matrix + row * stride
            for column in range { sums[column] += line[column] }
        }
    }
}
