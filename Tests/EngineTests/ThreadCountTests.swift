import Testing

@testable import Engine

/// The engine's own loops give the same numbers on one thread as split over three: they divide
/// work into output ranges whose values do not depend on the split, and reduce over fixed
/// blocks in order. (Products are not covered: OpenBLAS may compute a block of a product
/// with another summation order than the whole, so a step's numbers are only promised for a
/// fixed thread count.) Teams are bound to the task, leaving the shared team and other tests
/// alone. Sizes make each kernel's main loops split three ways.
struct ThreadCountTests {
    static let one = ComputeTeam(size: 1), three = ComputeTeam(size: 3)
    typealias Check = GradientCheckTests

    static func onTeams(_ kernel: () -> [Float]) -> (one: [Float], three: [Float]) {
        (ComputeTeam.$current.withValue(one, operation: kernel), ComputeTeam.$current.withValue(three, operation: kernel))
    }

    /// Values that are not bit for bit the same (a count keeps a failure's message short).
    static func differences(_ results: (one: [Float], three: [Float])) -> Int {
        guard results.one.count == results.three.count else { return max(results.one.count, results.three.count) }
        return zip(results.one, results.three).filter { $0.bitPattern != $1.bitPattern }.count
    }

    /// The tally as floats that differ whenever the tally does.
    static func exactly(_ tally: LossTally) -> [Float] {
        let high = Float(tally.lossSum)
        return [high, Float(tally.lossSum - Double(high)), Float(tally.correct)]
    }

    @Test func softmaxCrossEntropy() {
        let (n, classes) = (500, 97)
        let logits = Check.random([n, classes], seed: 1, range: 4)
        let labels = (0..<n).map { Int32(($0 * 31) % classes) }
        let results = Self.onTeams {
            let dlogits = Tensor(shape: [n, classes])
            let tally = labels.withUnsafeBufferPointer {
                Loss.softmaxCrossEntropy(
                    logits: logits.data, labels: $0.baseAddress!, count: n, classes: classes,
                    dlogits: dlogits.data, scale: n)
            }
            return Self.exactly(tally) + dlogits.array
        }
        #expect(Self.differences(results) == 0)
    }

    @Test func gatherAndScatterOverTables() {
        let (n, v, t, h) = (1_000, 97, 2, 128)
        let tables = Check.random([t, v, h], seed: 2), bias = Check.random([h], seed: 3), dout = Check.random([n, h], seed: 4)
        let tokens = (0..<(n * t)).map { Int32(($0 * 37 + $0 / 7) % v) }
        let results = Self.onTeams {
            let out = Tensor(shape: [n, h]), relu = Tensor(shape: [n, h])
            let dtables = Tensor(shape: [t, v, h]), dbias = Tensor(shape: [h])
            let dtablesReLU = Tensor(shape: [t, v, h]), dbiasReLU = Tensor(shape: [h])
            tokens.withUnsafeBufferPointer { tokens in
                let tokens = tokens.baseAddress!
                EmbeddingLinear.gather(
                    out: out.data, tables: tables.data, bias: bias.data, tokens: tokens, count: n,
                    vocabulary: v, tokensPerExample: t, outputs: h)
                EmbeddingLinear.gatherReLU(
                    out: relu.data, tables: tables.data, bias: bias.data, tokens: tokens, count: n,
                    vocabulary: v, tokensPerExample: t, outputs: h)
                EmbeddingLinear.scatter(
                    dtables: dtables.data, dbias: dbias.data, dout: dout.data, tokens: tokens, count: n,
                    vocabulary: v, tokensPerExample: t, outputs: h)
                EmbeddingLinear.scatterReLU(
                    dtables: dtablesReLU.data, dbias: dbiasReLU.data, dout: dout.data, out: relu.data,
                    tokens: tokens, count: n, vocabulary: v, tokensPerExample: t, outputs: h)
            }
            return out.array + relu.array + dtables.array + dbias.array + dtablesReLU.array + dbiasReLU.array
        }
        #expect(Self.differences(results) == 0)
    }

    @Test func rowAndColumnSums() {
        let (rows, columns, stride) = (3_000, 48, 64)
        let matrix = Check.random([rows, stride], seed: 5), vector = Check.random([columns], seed: 6)
        let results = Self.onTeams {
            let sums = Tensor(shape: [columns]), shifted = Tensor(shape: [rows, stride])
            addColumnSums(of: matrix.data, rows: rows, columns: columns, stride: stride, to: sums.data)
            shifted.data.update(from: matrix.data, count: rows * stride)
            addRowVector(vector.data, to: shifted.data, rows: rows, columns: columns, stride: stride)
            return sums.array + shifted.array
        }
        #expect(Self.differences(results) == 0)
    }

    @Test func activations() {
        let count = 3 * Parallel.elementGrain + 1
        let x = Check.random([count], seed: 7, range: 5), dout = Check.random([count], seed: 8)
        let results = Self.onTeams {
            let gelu = Tensor(shape: [count]), dgelu = Tensor(shape: [count])
            let relu = Tensor(shape: [count]), drelu = Tensor(shape: [count])
            Activation.geluForward(out: gelu.data, x: x.data, count: count)
            Activation.geluBackward(dx: dgelu.data, dout: dout.data, x: x.data, count: count)
            Activation.reluForward(out: relu.data, x: x.data, count: count)
            Activation.reluBackward(dx: drelu.data, dout: dout.data, out: relu.data, count: count)
            return gelu.array + dgelu.array + relu.array + drelu.array
        }
        #expect(Self.differences(results) == 0)
    }

    @Test func layerNorm() {
        let (rows, d) = (2_000, 64)
        let x = Check.random([rows, d], seed: 9, range: 2), weight = Check.random([d], seed: 10)
        let bias = Check.random([d], seed: 11), dout = Check.random([rows, d], seed: 12)
        let results = Self.onTeams {
            let out = Tensor(shape: [rows, d]), mean = Tensor(shape: [rows]), inverse = Tensor(shape: [rows])
            let dx = Tensor(shape: [rows, d]), dweight = Tensor(shape: [d]), dbias = Tensor(shape: [d])
            LayerNorm.forward(
                out: out.data, mean: mean.data, inverseDeviation: inverse.data, x: x.data, weight: weight.data,
                bias: bias.data, rows: rows, dimension: d)
            LayerNorm.backward(
                dx: dx.data, dweight: dweight.data, dbias: dbias.data, dout: dout.data, x: x.data,
                weight: weight.data, mean: mean.data, inverseDeviation: inverse.data, rows: rows, dimension: d)
            return out.array + mean.array + inverse.array + dx.array + dweight.array + dbias.array
        }
        #expect(Self.differences(results) == 0)
    }

    @Test(arguments: [3, 1])
    func causalAttention(queries: Int) {
        let (n, t, heads, d) = (400, 3, 4, 32)
        let qkv = Check.random([n, t, 3 * d], seed: 13, range: 1.5), dout = Check.random([n, queries, d], seed: 14)
        let results = Self.onTeams {
            let out = Tensor(shape: [n, queries, d]), probabilities = Tensor(shape: [n, heads, queries, t])
            let dqkv = Tensor(shape: [n, t, 3 * d])
            CausalAttention.forward(
                out: out.data, probabilities: probabilities.data, qkv: qkv.data, count: n, length: t,
                queries: queries, heads: heads, dimension: d)
            CausalAttention.backward(
                dqkv: dqkv.data, dout: dout.data, probabilities: probabilities.data, qkv: qkv.data,
                count: n, length: t, queries: queries, heads: heads, dimension: d)
            return out.array + probabilities.array + dqkv.array
        }
        #expect(Self.differences(results) == 0)
    }
}
