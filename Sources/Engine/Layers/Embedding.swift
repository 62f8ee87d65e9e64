/// Token embedding lookup and its one-hot shortcut.
///
/// `Embedding` is the plain layer: each example's tokens are looked up and concatenated.
/// `EmbeddingLinear` fuses it with the following linear layer: an embedding followed by a
/// linear map is a product with a one-hot matrix, so the linear map is applied once to the
/// vocabulary table (V rows) instead of to every example (n rows), then rows are gathered.
/// Same numbers, up to float summation order; far fewer FLOPs when n ≫ V.
public enum Embedding {
    /// tokens (n × t), table (V × d) → out (n × t·d), each example's embeddings concatenated
    public static func forward(
        out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, table: UnsafePointer<Float>,
        count n: Int, tokensPerExample t: Int, dimension d: Int
    ) {
        for example in 0..<n {
            for position in 0..<t {
                let row = table + Int(tokens[example * t + position]) * d
                (out + (example * t + position) * d).update(from: row, count: d)
            }
        }
    }

    /// dtable[token] += dout slice of every occurrence of the token
    public static func backward(
        dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
        count n: Int, tokensPerExample t: Int, dimension d: Int
    ) {
        for example in 0..<n {
            for position in 0..<t {
                let row = dtable + Int(tokens[example * t + position]) * d
                let source = dout + (example * t + position) * d
                for column in 0..<d { row[column] += source[column] }
            }
        }
    }
}

public enum EmbeddingLinear {
    /// table (V × d), weight (H × t·d) → tables[position] (V × H) = table · W[:, position·d ..< (position+1)·d]ᵀ
    public static func forwardTables(
        tables: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        vocabulary v: Int, dimension d: Int, tokensPerExample t: Int, outputs h: Int
    ) {
        for position in 0..<t {
            BLAS.gemm(
                transposeA: false, transposeB: true, m: v, n: h, k: d,
                a: table, lda: d, b: weight + position * d, ldb: t * d,
                beta: 0, c: tables + position * v * h, ldc: h)
        }
    }

    /// out[n] = bias + Σ_position tables[position][tokens[n, position]]   (out: n × H)
    public static func gather(
        out: UnsafeMutablePointer<Float>, tables: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        tokens: UnsafePointer<Int32>, count n: Int, vocabulary v: Int, tokensPerExample t: Int, outputs h: Int
    ) {
        Parallel.forRanges(n, grain: Parallel.rowGrain(h)) { rows in
            for example in rows {
                let line = out + example * h
                let first = tables + Int(tokens[example * t]) * h
                if let bias {
                    for column in 0..<h { line[column] = bias[column] + first[column] }
                } else {
                    line.update(from: first, count: h)
                }
                for position in 1..<max(t, 1) {
                    let row = tables + (position * v + Int(tokens[example * t + position])) * h
                    for column in 0..<h { line[column] += row[column] }
                }
            }
        }
    }

    /// Fused gather, bias and ReLU: out[n] = max(0, bias + Σ_position tables[position][tokens[n, position]]).
    /// One pass over the n × H activations instead of two.
    public static func gatherReLU(
        out: UnsafeMutablePointer<Float>, tables: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        tokens: UnsafePointer<Int32>, count n: Int, vocabulary v: Int, tokensPerExample t: Int, outputs h: Int
    ) {
        guard t == 2, let bias else {
            gather(out: out, tables: tables, bias: bias, tokens: tokens, count: n, vocabulary: v, tokensPerExample: t, outputs: h)
            Activation.reluForward(out: out, x: out, count: n * h)
            return
        }
        Parallel.forRanges(n, grain: Parallel.rowGrain(h)) { rows in
            for example in rows {
                let line = out + example * h
                let first = tables + Int(tokens[2 * example]) * h
                let second = tables + (v + Int(tokens[2 * example + 1])) * h
                var column = 0
                while column + 8 <= h {
                    var sum = FastMath.load8(bias + column) + FastMath.load8(first + column) + FastMath.load8(second + column)
                    sum.replace(with: 0, where: sum .< 0)  // max(x, 0), NaN kept
                    FastMath.store8(sum, line + column)
                    column += 8
                }
                for column in column..<h { line[column] = max(bias[column] + first[column] + second[column], 0) }
            }
        }
    }

    /// Fused ReLU backward and scatter: with g = dout[n] · [out[n] > 0],
    /// dtables[position][tokens[n, position]] += g and dbias += Σ g. dtables must be zeroed.
    public static func scatterReLU(
        dtables: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
        out: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, count n: Int, vocabulary v: Int,
        tokensPerExample t: Int, outputs h: Int
    ) {
        guard t == 2, let dbias else {
            let masked = UnsafeMutablePointer(mutating: dout)
            Activation.reluBackward(dx: masked, dout: dout, out: out, count: n * h)
            scatter(
                dtables: dtables, dbias: dbias, dout: dout, tokens: tokens, count: n, vocabulary: v,
                tokensPerExample: t, outputs: h)
            return
        }
        // Split by columns: every thread sees all examples in order, so each sum is the same
        // as on one thread.
        Parallel.forColumnRanges(h, grain: Parallel.columnGrain(n)) { columns in
            for example in 0..<n {
                let source = dout + example * h, active = out + example * h
                let first = dtables + Int(tokens[2 * example]) * h
                let second = dtables + (v + Int(tokens[2 * example + 1])) * h
                var column = columns.lowerBound
                while column + 8 <= columns.upperBound {
                    var gradient = FastMath.load8(source + column)
                    gradient.replace(with: 0, where: .!(FastMath.load8(active + column) .> 0))
                    FastMath.store8(FastMath.load8(first + column) + gradient, first + column)
                    FastMath.store8(FastMath.load8(second + column) + gradient, second + column)
                    column += 8
                }
                for column in column..<columns.upperBound {
                    let incoming = source[column]
                    let gradient = active[column] > 0 ? incoming : 0
                    first[column] += gradient
                    second[column] += gradient
                }
            }
        }
        // Every example adds its g to exactly one row of the first position's table, so the
        // bias gradient is that table's column sums: V rows to add instead of n.
        addColumnSums(of: dtables, rows: v, columns: h, to: dbias)
    }

    /// dtables[position][tokens[n, position]] += dout[n]; dbias += Σ dout. dtables must be zeroed.
    public static func scatter(
        dtables: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
        tokens: UnsafePointer<Int32>, count n: Int, vocabulary v: Int, tokensPerExample t: Int, outputs h: Int
    ) {
        Parallel.forColumnRanges(h, grain: Parallel.columnGrain(n)) { columns in
            for example in 0..<n {
                let source = dout + example * h
                for position in 0..<t {
                    let row = dtables + (position * v + Int(tokens[example * t + position])) * h
                    for column in columns { row[column] += source[column] }
                }
            }
        }
        if let dbias { addColumnSums(of: dout, rows: n, columns: h, to: dbias) }
    }

    /// dweight[:, position block] += dtablesᵀ · table;  dtable += dtables · W[:, position block]
    public static func backwardTables(
        dtable: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dtables: UnsafePointer<Float>,
        table: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        vocabulary v: Int, dimension d: Int, tokensPerExample t: Int, outputs h: Int
    ) {
        for position in 0..<t {
            let block = dtables + position * v * h
            BLAS.gemm(
                transposeA: true, transposeB: false, m: h, n: d, k: v,
                a: block, lda: h, b: table, ldb: d, beta: 1, c: dweight + position * d, ldc: t * d)
            BLAS.gemm(
                transposeA: false, transposeB: false, m: v, n: d, k: h,
                a: block, lda: h, b: weight + position * d, ldb: t * d, beta: 1, c: dtable, ldc: d)
        }
    }
}
