/// The first block at position 0 on the token table: a position that attends only to itself
/// has attention output = its own value vector, so the block's output there depends on the
/// first token alone and is computed once per vocabulary entry (V rows) instead of per example.
extension Transformer {
    /// table qkv (T·V × 3d), rows of position 0 → firstPositionWork.output (V × d)
    func forwardFirstPositionTable() {
        let (v, d) = (shape.vocabularySize, shape.modelDimension)
        let work = firstPositionWork
        // Softmax over one key is 1 for every head: the output is the value vector, heads side by side.
        for token in 0..<v {
            (work.attention.data + token * d).update(from: tables.qkv.data + token * 3 * d + 2 * d, count: d)
        }
        // The residual is the embedding sum at position 0 (table input rows 0..<V), or its LayerNorm.
        let residual = shape.blockForm == .normalizedResidual ? tables.normalized.data : tables.input.data
        forwardAfterAttention(blocks[0], work: work, residual: residual, count: v, residualLength: 1, queries: 1)
    }

    /// first block outputs → firstStream (n·T × d): position 0 from the table by first token,
    /// positions 1..<T from the block's per-example rows (n·(T−1) × d)
    func assembleFirstStream(count n: Int) {
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        let table = firstPositionWork.output.data, computed = workspaces[0].output.data
        for example in 0..<n {
            let row = firstStream.data + example * t * d
            row.update(from: table + Int(sequences[example * t]) * d, count: d)
            (row + d).update(from: computed + example * (t - 1) * d, count: (t - 1) * d)
        }
    }

    /// dstream (n·T × d) → compact (n·(T−1) × d) for positions 1..<T, and
    /// firstPositionGradient (V × d) = Σ over examples of the position-0 rows, by first token
    func splitFirstStreamGradient(_ gradient: UnsafePointer<Float>, compact: UnsafeMutablePointer<Float>, count n: Int) {
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        firstPositionGradient.zero()
        for example in 0..<n {
            let row = gradient + example * t * d
            let target = firstPositionGradient.data + Int(sequences[example * t]) * d
            for column in 0..<d { target[column] += row[column] }
            (compact + example * (t - 1) * d).update(from: row + d, count: (t - 1) * d)
        }
    }

    /// firstPositionGradient (V × d) → first-block parameter gradients, attentionGradient
    /// (V × d, read by backwardTables as d(value) of position 0), and the embeddings' share
    /// through the residual: dtoken[v] += d(middle)[v], dposition[0] += Σ_v d(middle)[v] — or,
    /// with the normalised residual, the table's LayerNorm-row gradient at position 0.
    func backwardFirstPositionTable() {
        let (v, d) = (shape.vocabularySize, shape.modelDimension)
        let upstream = firstPositionGradient.data
        backwardAfterAttention(blocks[0], work: firstPositionWork, upstream: upstream, rows: v)
        if shape.blockForm == .normalizedResidual {
            let target = tables.residualGradient.data
            for index in 0..<(v * d) { target[index] += upstream[index] }
            return
        }
        let tokenGradient = tokenTableGradients, positionGradient = parameters.gradient(positionEmbedding)
        for token in 0..<v {
            let source = upstream + token * d, target = tokenGradient + token * d
            for column in 0..<d {
                target[column] += source[column]
                positionGradient[column] += source[column]
            }
        }
    }
}
