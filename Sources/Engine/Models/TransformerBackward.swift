/// Backward pass and cost accounting of `Transformer`: each block's backward mirrors
/// `forwardBlock`, accumulating (`+=`) into the parameter gradients.
extension Transformer {
    public func backward(dlogits: UnsafePointer<Float>, count n: Int) {
        precondition(n == lastCount, "backward of \(n) examples after a forward of \(lastCount)")
        defer { backwardTokenFactors() }
        if case .factors(_, _, _, let productGradient) = tokenEmbedding { productGradient.zero() }
        let (d, c) = (shape.modelDimension, shape.classes)
        let last = shape.layers - 1, queries = queries(ofBlock: last), rows = n * queries
        let lastOutput = workspaces[last].output.data
        let final = finalNorm == nil ? lastOutput : finalNormalized.data
        // dW_U += dlogitsᵀ · final[last position];  dfinal[last position] = dlogits · W_U (others 0)
        BLAS.gemm(
            transposeA: true, transposeB: false, m: c, n: d, k: n, a: dlogits, lda: c,
            b: final + (queries - 1) * d, ldb: queries * d, beta: 1, c: parameters.gradient(unembedding), ldc: d)
        if queries > 1 { finalGradient.data.update(repeating: 0, count: rows * d) }
        BLAS.gemm(
            transposeA: false, transposeB: false, m: n, n: d, k: c, a: dlogits, lda: c,
            b: parameters.value(unembedding), ldb: d, beta: 0, c: finalGradient.data + (queries - 1) * d, ldc: queries * d)
        var upstream = streamGradient.data, spare = spareStreamGradient.data
        if let (weight, bias) = finalNorm {
            upstream.update(repeating: 0, count: rows * d)
            LayerNorm.backward(
                dx: upstream, dweight: parameters.gradient(weight), dbias: parameters.gradient(bias),
                dout: finalGradient.data, x: lastOutput, weight: parameters.value(weight),
                mean: finalMean.data, inverseDeviation: finalInverseDeviation.data, rows: rows, dimension: d)
        } else {
            upstream.update(from: finalGradient.data, count: rows * d)
        }
        for block in stride(from: last, through: 0, by: -1) {
            if block == 0 && usesFirstPositionTable {
                // finalGradient is free again: it takes the positions the block computes per example.
                splitFirstStreamGradient(upstream, compact: finalGradient.data, count: n)
                upstream = finalGradient.data
            }
            backwardBlock(block, upstream: upstream, inputGradient: spare, count: n)
            upstream = spare
            spare = upstream == streamGradient.data ? spareStreamGradient.data : streamGradient.data
        }
        // With the tables, a normalised residual reaches the embeddings only through ln₁'s rows.
        if !(usesTables && shape.blockForm == .normalizedResidual) { backwardEmbedding(upstream, count: n) }
        if usesFirstPositionTable { backwardFirstPositionTable() }
        if usesTables { backwardTables(count: n) }
    }

    /// dout (n·Tq × d, consumed) → inputGradient (n·T × d, overwritten): gradient of the block's input stream.
    private func backwardBlock(
        _ index: Int, upstream: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>, count n: Int
    ) {
        let block = blocks[index], work = workspaces[index]
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        let queries = queries(ofBlock: index), rows = n * queries
        let input = UnsafePointer(blockInput(index))
        backwardAfterAttention(block, work: work, upstream: upstream, rows: rows)
        CausalAttention.backward(
            dqkv: qkvGradient.data, dout: attentionGradient.data, probabilities: work.probabilities.data,
            qkv: work.qkv.data, count: n, length: t, queries: queries, heads: shape.heads, dimension: d)
        // The residual path: queried positions get d(middle), the others nothing. A normalised
        // residual lands on ln₁'s output, which backwardProjection takes through ln₁.
        let normalizedResidual = shape.blockForm == .normalizedResidual
        let residualGradient = normalizedResidual ? normGradient.data : inputGradient
        if queries == t {
            residualGradient.update(from: upstream, count: rows * d)
        } else {
            residualGradient.update(repeating: 0, count: n * t * d)
            for example in 0..<n {
                for query in 0..<queries {
                    (residualGradient + (example * t + t - queries + query) * d)
                        .update(from: upstream + (example * queries + query) * d, count: d)
                }
            }
        }
        if normalizedResidual { inputGradient.update(repeating: 0, count: n * t * d) }
        // The first block's projection (and normalised residual) gradient goes through the tables.
        if index == 0 && usesTables {
            if normalizedResidual { scatterResidualGradient(count: n) }
            return
        }
        backwardProjection(block, work: work, input: input, inputGradient: inputGradient, count: n, queries: queries)
    }

    /// dout (rows × d) of `forwardAfterAttention`'s output → parameter gradients,
    /// upstream := d(middle) (its residual input), attentionGradient (rows × d) := d(attention).
    func backwardAfterAttention(
        _ block: TransformerBlockParameters, work: TransformerBlockWorkspace,
        upstream: UnsafeMutablePointer<Float>, rows: Int
    ) {
        let (d, m) = (shape.modelDimension, shape.mlpDimension)
        // MLP: output = middle + act(norm2 · W_inᵀ + b_in) · W_outᵀ + b_out
        let dhidden = hiddenGradient.data
        Linear.backward(
            dx: dhidden, dweight: parameters.gradient(block.mlpOutputWeight),
            dbias: parameters.gradient(block.mlpOutputBias), dout: upstream, x: work.hidden.data,
            weight: parameters.value(block.mlpOutputWeight), count: rows, inputs: m, outputs: d)
        switch shape.activation {
        case .relu: Activation.reluBackward(dx: dhidden, dout: dhidden, out: work.hidden.data, count: rows * m)
        case .gelu: Activation.geluBackward(dx: dhidden, dout: dhidden, x: work.preActivation.data, count: rows * m)
        }
        let normalized2 = block.norm2 == nil ? work.middle.data : work.normalized2.data
        // upstream becomes d(middle): its own residual path plus the MLP's input gradient.
        backwardLinearInput(
            dout: dhidden, x: normalized2, weight: block.mlpInputWeight, bias: block.mlpInputBias,
            rows: rows, inputs: d, outputs: m, norm: block.norm2, normInput: work.middle.data,
            mean: work.mean2.data, inverseDeviation: work.inverseDeviation2.data, dx: upstream)
        // Attention: middle = residual[queried] + attention · W_Oᵀ + b_O
        Linear.backward(
            dx: attentionGradient.data, dweight: parameters.gradient(block.outputWeight),
            dbias: block.outputBias.map { parameters.gradient($0) }, dout: upstream, x: work.attention.data,
            weight: parameters.value(block.outputWeight), count: rows, inputs: d, outputs: d)
    }

    /// dqkv (n·T × 3d; only the last `queries` positions' q part used) → weight and bias
    /// gradients, and inputGradient += ∂/∂stream through norm1.
    private func backwardProjection(
        _ block: TransformerBlockParameters, work: TransformerBlockWorkspace,
        input: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>,
        count n: Int, queries: Int
    ) {
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        let dqkv = UnsafePointer(qkvGradient.data)
        let normalized = block.norm1 == nil ? input : UnsafePointer(work.normalized1.data)
        let weight = parameters.value(block.qkvWeight), dweight = parameters.gradient(block.qkvWeight)
        let dbias = block.qkvBias.map { parameters.gradient($0) }
        // Without a norm the input gradient of the product lands on the stream gradient directly;
        // a normalised residual's gradient already waits in normGradient.
        let dnormalized = block.norm1 == nil ? inputGradient : normGradient.data
        let beta: Float = block.norm1 == nil || shape.blockForm == .normalizedResidual ? 1 : 0
        // Keys and values (all of q|k|v when every position was queried).
        let first = queries == t ? 0 : d
        BLAS.gemm(
            transposeA: true, transposeB: false, m: 3 * d - first, n: d, k: n * t, a: dqkv + first, lda: 3 * d,
            b: normalized, ldb: d, beta: 1, c: dweight + first * d, ldc: d)
        if let dbias { addColumnSums(of: dqkv + first, rows: n * t, columns: 3 * d - first, stride: 3 * d, to: dbias + first) }
        BLAS.gemm(
            transposeA: false, transposeB: false, m: n * t, n: d, k: 3 * d - first, a: dqkv + first, lda: 3 * d,
            b: weight + first * d, ldb: d, beta: beta, c: dnormalized, ldc: d)
        if queries < t {
            for position in (t - queries)..<t {
                let dq = dqkv + position * 3 * d
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: d, n: d, k: n, a: dq, lda: t * 3 * d,
                    b: normalized + position * d, ldb: t * d, beta: 1, c: dweight, ldc: d)
                if let dbias { addColumnSums(of: dq, rows: n, columns: d, stride: t * 3 * d, to: dbias) }
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: n, n: d, k: d, a: dq, lda: t * 3 * d,
                    b: weight, ldb: d, beta: 1, c: dnormalized + position * d, ldc: t * d)
            }
        }
        if let (normWeight, normBias) = block.norm1 {
            LayerNorm.backward(
                dx: inputGradient, dweight: parameters.gradient(normWeight), dbias: parameters.gradient(normBias),
                dout: normGradient.data, x: input, weight: parameters.value(normWeight),
                mean: work.mean1.data, inverseDeviation: work.inverseDeviation1.data, rows: n * t, dimension: d)
        }
    }

    /// For y = norm(z) · Wᵀ + b with dout = dy: dW += doutᵀ · norm(z), db += Σ dout, and
    /// dx += ∂/∂z (through the norm when there is one, else dx += dout · W).
    private func backwardLinearInput(
        dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: ParameterSlice,
        bias: ParameterSlice, rows: Int, inputs: Int, outputs: Int,
        norm: (weight: ParameterSlice, bias: ParameterSlice)?, normInput: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, inverseDeviation: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemm(
            transposeA: true, transposeB: false, m: outputs, n: inputs, k: rows, a: dout, lda: outputs,
            b: x, ldb: inputs, beta: 1, c: parameters.gradient(weight), ldc: inputs)
        addColumnSums(of: dout, rows: rows, columns: outputs, to: parameters.gradient(bias))
        let target = norm == nil ? dx : normGradient.data
        BLAS.gemm(
            transposeA: false, transposeB: false, m: rows, n: inputs, k: outputs, a: dout, lda: outputs,
            b: parameters.value(weight), ldb: inputs, beta: norm == nil ? 1 : 0, c: target, ldc: inputs)
        if let (normWeight, normBias) = norm {
            LayerNorm.backward(
                dx: dx, dweight: parameters.gradient(normWeight), dbias: parameters.gradient(normBias),
                dout: normGradient.data, x: normInput, weight: parameters.value(normWeight),
                mean: mean, inverseDeviation: inverseDeviation, rows: rows, dimension: inputs)
        }
    }

    // MARK: Embeddings

    /// dstream (n·T × d) → dtoken[sequence token] += row, dposition[position] += row
    private func backwardEmbedding(_ gradient: UnsafePointer<Float>, count n: Int) {
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        let tokenGradient = tokenTableGradients, positionGradient = parameters.gradient(positionEmbedding)
        for row in 0..<(n * t) {
            let source = gradient + row * d
            let token = tokenGradient + Int(sequences[row]) * d, position = positionGradient + (row % t) * d
            for column in 0..<d {
                token[column] += source[column]
                position[column] += source[column]
            }
        }
    }

    /// normGradient (n·T × d), the first block's normalised-residual gradient → the table's
    /// LayerNorm rows (T·V × d), by scatter-add over (position, token).
    private func scatterResidualGradient(count n: Int) {
        let (t, v, d) = (shape.sequenceLength, shape.vocabularySize, shape.modelDimension)
        tables.residualGradient.zero()
        for row in 0..<(n * t) {
            let target = tables.residualGradient.data + ((row % t) * v + Int(sequences[row])) * d
            let source = normGradient.data + row * d
            for column in 0..<d { target[column] += source[column] }
        }
    }

    /// First block's dqkv (n·T × 3d) → table dqkv (T·V × 3d) by scatter-add; then back through
    /// the table's projection and norm to the token and position embeddings.
    func backwardTables(count n: Int) {
        let (t, v, d) = (shape.sequenceLength, shape.vocabularySize, shape.modelDimension)
        let block = blocks[0], width = 3 * d
        tables.qkvGradient.zero()
        for row in 0..<(n * t) {
            let target = tables.qkvGradient.data + ((row % t) * v + Int(sequences[row])) * width
            let source = qkvGradient.data + row * width
            for column in 0..<width { target[column] += source[column] }
        }
        if usesFirstPositionTable {
            // Position 0's attention output is its own value vector: table rows 0..<V, v columns.
            for token in 0..<v {
                let target = tables.qkvGradient.data + token * width + 2 * d, source = attentionGradient.data + token * d
                for column in 0..<d { target[column] += source[column] }
            }
        }
        let normalized = block.norm1 == nil ? tables.input.data : tables.normalized.data
        let dnormalized = block.norm1 == nil ? tables.inputGradient.data : tables.normalizedGradient.data
        Linear.backward(
            dx: dnormalized, dweight: parameters.gradient(block.qkvWeight),
            dbias: block.qkvBias.map { parameters.gradient($0) }, dout: tables.qkvGradient.data,
            x: normalized, weight: parameters.value(block.qkvWeight), count: t * v, inputs: d, outputs: width)
        if shape.blockForm == .normalizedResidual {
            let residual = tables.residualGradient.data
            for index in 0..<(t * v * d) { dnormalized[index] += residual[index] }
        }
        if let (weight, bias) = block.norm1 {
            tables.inputGradient.zero()
            LayerNorm.backward(
                dx: tables.inputGradient.data, dweight: parameters.gradient(weight),
                dbias: parameters.gradient(bias), dout: dnormalized, x: tables.input.data,
                weight: parameters.value(weight), mean: tables.mean.data,
                inverseDeviation: tables.inverseDeviation.data, rows: t * v, dimension: d)
        }
        let tokenGradient = tokenTableGradients, positionGradient = parameters.gradient(positionEmbedding)
        for position in 0..<t {
            for token in 0..<v {
                let source = tables.inputGradient.data + (position * v + token) * d
                for column in 0..<d {
                    tokenGradient[token * d + column] += source[column]
                    positionGradient[position * d + column] += source[column]
                }
            }
        }
    }

    // MARK: Cost

    public var denseForwardFlopsPerExample: Double { shape.forwardFlopsPerExample }

    /// An unfactorised copy: the same parameters, `embedding.token` = A·B; nil when unfactorised.
    public func mergingInputFactors() -> TrainableModel? {
        guard case .factors = tokenEmbedding else { return nil }
        var mergedShape = shape
        mergedShape.embeddingRank = nil
        let merged = Transformer(shape: mergedShape, capacity: capacity, path: path)
        for slice in merged.parameters.slices {
            if let own = parameters.slices.first(where: { $0.name == slice.name }) {
                merged.parameters.value(slice).update(from: parameters.value(own), count: slice.count)
            }
        }
        composeTokenTable()
        merged.parameters.overwriteRows(
            of: "embedding.token",
            with: Array(UnsafeBufferPointer(start: tokenTableValues, count: shape.vocabularySize * shape.modelDimension)))
        return merged
    }

    /// Forward FLOPs actually performed for n examples, times three (backward ≈ twice forward).
    public func executedFlopsPerStep(count n: Int) -> Double {
        let (t, v, d, m) = (shape.sequenceLength, shape.vocabularySize, shape.modelDimension, shape.mlpDimension)
        var forward = usesTables ? Linear.forwardFlops(count: t * v, inputs: d, outputs: 3 * d) : 0
        if usesFirstPositionTable {
            forward += Linear.forwardFlops(count: v, inputs: d, outputs: d) + 2 * Linear.forwardFlops(count: v, inputs: d, outputs: m)
        }
        for block in 0..<shape.layers {
            let queries = queries(ofBlock: block), rows = n * queries
            if block > 0 || !usesTables {
                forward +=
                    queries == t
                    ? Linear.forwardFlops(count: n * t, inputs: d, outputs: 3 * d)
                    : Linear.forwardFlops(count: n * t, inputs: d, outputs: 2 * d) + Linear.forwardFlops(count: rows, inputs: d, outputs: d)
            }
            forward += CausalAttention.forwardFlops(count: n, length: t, queries: queries, dimension: d)
            forward += Linear.forwardFlops(count: rows, inputs: d, outputs: d) + 2 * Linear.forwardFlops(count: rows, inputs: d, outputs: m)
        }
        forward += Linear.forwardFlops(count: n, inputs: d, outputs: shape.classes)
        return 3 * forward
    }
}
