import Testing

@testable import Engine

/// `BLAS.gemm` against the naive reference over transposes, odd sizes, strides and β, on a
/// team of three threads (bound to the test, so products big enough are split), and how
/// products are split.
struct BLASTests {
    static let team = ComputeTeam(size: 3)

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
        // Split over the team: by rows (m ≥ n) into 2 and 3 blocks, then by columns.
        Case(transposeA: false, transposeB: false, m: 301, n: 41, k: 200, padding: 3, beta: 1),
        Case(transposeA: true, transposeB: true, m: 203, n: 77, k: 250, padding: 1, beta: 0),
        Case(transposeA: true, transposeB: false, m: 40, n: 333, k: 200, padding: 2, beta: 0.5),
        Case(transposeA: false, transposeB: true, m: 37, n: 515, k: 128, padding: 0, beta: 0),
        Case(transposeA: false, transposeB: false, m: 40, n: 30, k: 3_000, padding: 1, beta: 1),
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
        for index in 0..<fast.count {
            fast[index] = Float(generator.uniform(-1, 1))
            slow[index] = fast[index]
        }
        ComputeTeam.$current.withValue(Self.team) {
            BLAS.gemm(
                transposeA: test.transposeA, transposeB: test.transposeB, m: test.m, n: test.n, k: test.k, alpha: 1.5,
                a: a.data, lda: lda, b: b.data, ldb: ldb, beta: test.beta, c: fast.data, ldc: ldc)
        }
        BLAS.referenceGemm(
            transposeA: test.transposeA, transposeB: test.transposeB, m: test.m, n: test.n, k: test.k,
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

    /// Blocks cover the split dimension in order, are non-empty, have inner edges at
    /// multiples of 16 and each at least half the minimum work; small products stay whole.
    @Test func partitionsFollowTheirRules() {
        let sizes = [
            (1, 1, 1), (4_704, 97, 512), (4_704, 512, 97), (97, 4_704, 512), (40, 30, 3_000), (20, 10, 20_000),
            (301, 41, 200), (203, 77, 250), (37, 515, 128), (17, 17, 1 << 20), (100, 100, 100),
        ]
        for (m, n, k) in sizes {
            for threads in 1...4 {
                let split = BLAS.partition(m: m, n: n, k: k, threads: threads)
                let extent = split.byRows ? m : n
                #expect(split.byRows == (m >= n))
                #expect(split.blocks.first?.lowerBound == 0 && split.blocks.last?.upperBound == extent)
                #expect(split.blocks.count <= threads)
                for (index, block) in split.blocks.enumerated() {
                    #expect(!block.isEmpty)
                    if index > 0 { #expect(block.lowerBound == split.blocks[index - 1].upperBound && block.lowerBound % 16 == 0) }
                    if split.blocks.count > 1 {
                        #expect(Double(block.count) * Double(split.byRows ? n : m) * Double(k) >= Double(BLAS.minimumPartWork) / 2)
                    }
                }
            }
        }
        #expect(BLAS.partition(m: 4_704, n: 97, k: 512, threads: 2).blocks == [0..<2_352, 2_352..<4_704])
        #expect(BLAS.partition(m: 40, n: 30, k: 3_000, threads: 3).blocks == [0..<16, 16..<40])
        #expect(BLAS.partition(m: 20, n: 10, k: 20_000, threads: 3).blocks.count == 1)
        #expect(BLAS.partition(m: 100, n: 100, k: 100, threads: 4).blocks.count == 1)
    }
}
