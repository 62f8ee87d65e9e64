import Engine
import Testing

/// `BLAS.gemm` against the naive reference over transposes, odd sizes, strides and β.
struct BLASTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, padding: Int, beta: Float
        var testDescription: String { "A\(transposeA ? "ᵀ" : "")·B\(transposeB ? "ᵀ" : "") \(m)×\(n)×\(k) pad \(padding) β \(beta)" }
    }

    static let cases: [Case] = [
        Case(transposeA: false, transposeB: false, m: 1, n: 1, k: 1, padding: 0, beta: 0),
        Case(transposeA: false, transposeB: false, m: 7, n: 5, k: 3, padding: 0, beta: 0),
        Case(transposeA: false, transposeB: true, m: 97, n: 33, k: 17, padding: 0, beta: 0),
        Case(transposeA: true, transposeB: false, m: 13, n: 31, k: 29, padding: 3, beta: 1),
        Case(transposeA: true, transposeB: true, m: 5, n: 64, k: 9, padding: 1, beta: 0.5),
        Case(transposeA: false, transposeB: true, m: 129, n: 97, k: 130, padding: 2, beta: 1),
        Case(transposeA: false, transposeB: false, m: 3, n: 4, k: 0, padding: 0, beta: 0.5),
        // Large enough to be split over the compute team: by rows (m ≥ n) and by columns.
        Case(transposeA: false, transposeB: false, m: 301, n: 41, k: 120, padding: 3, beta: 1),
        Case(transposeA: true, transposeB: true, m: 203, n: 77, k: 90, padding: 1, beta: 0),
        Case(transposeA: true, transposeB: false, m: 40, n: 333, k: 100, padding: 2, beta: 0.5),
        Case(transposeA: false, transposeB: true, m: 37, n: 515, k: 64, padding: 0, beta: 0),
    ]

    @Test(arguments: cases)
    func matchesReference(_ test: Case) {
        var generator = SeededGenerator(seed: 7)
        let (rowsA, columnsA) = test.transposeA ? (test.k, test.m) : (test.m, test.k)
        let (rowsB, columnsB) = test.transposeB ? (test.n, test.k) : (test.k, test.n)
        let lda = columnsA + test.padding, ldb = columnsB + test.padding, ldc = test.n + test.padding
        let a = Tensor(shape: [max(rowsA, 1) * lda]), b = Tensor(shape: [max(rowsB, 1) * ldb])
        let fast = Tensor(shape: [test.m * ldc]), slow = Tensor(shape: [test.m * ldc])
        for index in 0..<a.count { a[index] = Float(generator.uniform(-1, 1)) }
        for index in 0..<b.count { b[index] = Float(generator.uniform(-1, 1)) }
        for index in 0..<fast.count { fast[index] = Float(generator.uniform(-1, 1)); slow[index] = fast[index] }
        BLAS.gemm(transposeA: test.transposeA, transposeB: test.transposeB, m: test.m, n: test.n, k: test.k, alpha: 1.5,
                  a: a.data, lda: lda, b: b.data, ldb: ldb, beta: test.beta, c: fast.data, ldc: ldc)
        BLAS.referenceGemm(transposeA: test.transposeA, transposeB: test.transposeB, m: test.m, n: test.n, k: test.k,
                           alpha: 1.5, a: a.data, lda: lda, b: b.data, ldb: ldb, beta: test.beta, c: slow.data, ldc: ldc)
        var worst: Float = 0
        for row in 0..<test.m {
            for column in 0..<test.n {
                worst = max(worst, abs(fast[row * ldc + column] - slow[row * ldc + column]))
            }
            // Padding columns between rows are never written.
            for column in test.n..<ldc { #expect(fast[row * ldc + column] == slow[row * ldc + column]) }
        }
        #expect(worst <= 1e-4 * Float(max(test.k, 1)))
    }
}
