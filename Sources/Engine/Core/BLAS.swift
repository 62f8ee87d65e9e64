import COpenBLAS

/// The engine's only door to OpenBLAS: every matrix product goes through `gemm`, and a slow
/// reference with the same contract sits beside it for tests.
///
/// Convention (row-major): `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where
/// `op(X)` is `X` or its transpose and `lda`, `ldb`, `ldc` are row strides of the stored
/// matrices (so sub-matrices of wider matrices can be passed with their parent's stride).
public enum BLAS {
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            scale(c, rows: m, columns: n, stride: ldc, by: beta)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The same product by definition, in Double accumulation: slow, obviously correct.
    public static func referenceGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for row in 0..<m {
            for column in 0..<n {
                var sum = 0.0
                for inner in 0..<k {
                    let left = transposeA ? a[inner * lda + row] : a[row * lda + inner]
                    let right = transposeB ? b[column * ldb + inner] : b[inner * ldb + column]
                    sum += Double(left) * Double(right)
                }
                let previous = beta == 0 ? 0 : Double(beta) * Double(c[row * ldc + column])
                c[row * ldc + column] = Float(Double(alpha) * sum + previous)
            }
        }
    }

    private static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
        for row in 0..<rows {
            for column in 0..<columns {
                c[row * stride + column] = beta == 0 ? 0 : beta * c[row * stride + column]
            }
        }
    }

    /// OpenBLAS worker threads. Results are deterministic for a fixed count; different counts
    /// may change the last bits (blocking differs).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    public static var configuration: String {
        guard let text = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: text)
    }
}
