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
        let team = ComputeTeam.current
        let split = partition(m: m, n: n, k: k, threads: team.size)
        guard split.blocks.count > 1 else {
            sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        team.run(parts: split.blocks.count) { part in
            let block = split.blocks[part]
            if split.byRows {
                sgemm(
                    transposeA, transposeB, block.count, n, k, alpha,
                    transposeA ? a + block.lowerBound : a + block.lowerBound * lda, lda,
                    b, ldb, beta, c + block.lowerBound * ldc, ldc)
            } else {
                sgemm(
                    transposeA, transposeB, m, block.count, k, alpha, a, lda,
                    transposeB ? b + block.lowerBound * ldb : b + block.lowerBound, ldb, beta, c + block.lowerBound, ldc)
            }
        }
    }

    /// How a product is split over `threads`: C's rows (or its columns when it is wider than
    /// tall) in contiguous, non-empty blocks whose inner edges fall on multiples of 16, so
    /// blocks keep whole kernel tiles and cache lines; blocks average at least
    /// `minimumPartWork` multiply–adds (rounding leaves each at least half). One block means no split.
    static func partition(m: Int, n: Int, k: Int, threads: Int) -> (byRows: Bool, blocks: [Range<Int>]) {
        let byRows = m >= n
        let extent = byRows ? m : n
        let work = Double(m) * Double(n) * Double(k) / Double(minimumPartWork)
        let parts = max(1, min(threads, extent / 16, work < Double(threads) ? Int(work) : threads))
        let edges = (0...parts).map { $0 == parts ? extent : (extent * $0 / parts) & ~15 }
        return (byRows, (0..<parts).map { edges[$0]..<edges[$0 + 1] })
    }

    /// Multiply–adds worth a part of a split product (~20 µs of work).
    static let minimumPartWork = 1 << 20

    @inline(__always)
    private static func sgemm(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
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

    /// Threads of the process's compute team (products and loops are split over them; OpenBLAS
    /// itself runs single-threaded inside each part). Results are deterministic for a fixed
    /// count; different counts may change the last bits (product blocks differ).
    public static var threads: Int {
        get { ComputeTeam.shared.size }
        set { ComputeTeam.shared.resize(newValue) }
    }

    /// OpenBLAS's own default (OPENBLAS_NUM_THREADS or the cores), read once; OpenBLAS is
    /// then told to use one thread.
    static let initialThreads: Int = {
        let count = Int(openblas_get_num_threads())
        openblas_set_num_threads(1)
        return max(count, 1)
    }()

    public static var configuration: String {
        guard let text = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: text)
    }
}
