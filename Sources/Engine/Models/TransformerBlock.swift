/// The named parameter slices of one transformer block (see `Transformer` for the names).
struct TransformerBlockParameters {
    let norm1: (weight: ParameterSlice, bias: ParameterSlice)?
    let qkvWeight: ParameterSlice
    let qkvBias: ParameterSlice?
    let outputWeight: ParameterSlice
    let outputBias: ParameterSlice?
    let norm2: (weight: ParameterSlice, bias: ParameterSlice)?
    let mlpInputWeight: ParameterSlice
    let mlpInputBias: ParameterSlice
    let mlpOutputWeight: ParameterSlice
    let mlpOutputBias: ParameterSlice

    init(store: ParameterStore, block: Int) {
        let prefix = "block.\(block)."
        func optional(_ name: String) -> ParameterSlice? { store.slices.first { $0.name == prefix + name } }
        func norm(_ name: String) -> (weight: ParameterSlice, bias: ParameterSlice)? {
            guard let weight = optional(name + ".weight"), let bias = optional(name + ".bias") else { return nil }
            return (weight, bias)
        }
        norm1 = norm("norm1")
        qkvWeight = store.slice(prefix + "attention.qkv.weight")
        qkvBias = optional("attention.qkv.bias")
        outputWeight = store.slice(prefix + "attention.output.weight")
        outputBias = optional("attention.output.bias")
        norm2 = norm("norm2")
        mlpInputWeight = store.slice(prefix + "mlp.input.weight")
        mlpInputBias = store.slice(prefix + "mlp.input.bias")
        mlpOutputWeight = store.slice(prefix + "mlp.output.weight")
        mlpOutputBias = store.slice(prefix + "mlp.output.bias")
    }
}

/// Activations one block keeps for its backward pass, sized for `capacity` examples at every
/// position (the last block uses only the first n rows of its post-attention buffers).
final class TransformerBlockWorkspace {
    let normalized1: Tensor, mean1: Tensor, inverseDeviation1: Tensor
    let qkv: Tensor
    let probabilities: Tensor
    let attention: Tensor
    /// Residual stream after attention.
    let middle: Tensor
    let normalized2: Tensor, mean2: Tensor, inverseDeviation2: Tensor
    /// MLP pre-activations; the same tensor as `hidden` for ReLU (differentiated from its output).
    let preActivation: Tensor
    let hidden: Tensor
    /// Residual stream after the MLP: the block's output.
    let output: Tensor

    init(shape: TransformerShape, capacity: Int) {
        let (t, d, m) = (shape.sequenceLength, shape.modelDimension, shape.mlpDimension)
        let rows = capacity * t, normRows = shape.layerNorm ? rows : 0
        normalized1 = Tensor(shape: [normRows, d])
        mean1 = Tensor(shape: [normRows])
        inverseDeviation1 = Tensor(shape: [normRows])
        qkv = Tensor(shape: [rows, 3 * d])
        probabilities = Tensor(shape: [capacity, shape.heads, t, t])
        attention = Tensor(shape: [rows, d])
        middle = Tensor(shape: [rows, d])
        normalized2 = Tensor(shape: [normRows, d])
        mean2 = Tensor(shape: [normRows])
        inverseDeviation2 = Tensor(shape: [normRows])
        hidden = Tensor(shape: [rows, m])
        preActivation = shape.activation == .relu ? hidden : Tensor(shape: [rows, m])
        output = Tensor(shape: [rows, d])
    }
}

/// The first block's attention input on the (position, token) table: T·V rows of
/// embedding sums, their LayerNorm, their q|k|v projections, and the gradients of each.
final class TransformerTableWorkspace {
    let input: Tensor, normalized: Tensor, mean: Tensor, inverseDeviation: Tensor
    let qkv: Tensor
    let qkvGradient: Tensor, normalizedGradient: Tensor, inputGradient: Tensor
    /// With the normalised-residual block: the residual's gradient on the LayerNorm rows.
    let residualGradient: Tensor

    init(shape: TransformerShape) {
        let rows = shape.sequenceLength * shape.vocabularySize, d = shape.modelDimension
        let normRows = shape.layerNorm ? rows : 0
        input = Tensor(shape: [rows, d])
        normalized = Tensor(shape: [normRows, d])
        mean = Tensor(shape: [normRows])
        inverseDeviation = Tensor(shape: [normRows])
        qkv = Tensor(shape: [rows, 3 * d])
        qkvGradient = Tensor(shape: [rows, 3 * d])
        normalizedGradient = Tensor(shape: [normRows, d])
        inputGradient = Tensor(shape: [rows, d])
        residualGradient = Tensor(shape: [shape.blockForm == .normalizedResidual ? rows : 0, d])
    }
}

// MARK: - Block forward

extension Transformer {
    /// One block: stream (n·T × d) → workspace.output (n·Tq × d), Tq = queries(ofBlock:). The
    /// attention residual is the stream (pre-LN) or its ln₁ output (normalised residual).
    func forwardBlock(_ index: Int, input: UnsafePointer<Float>, count n: Int) {
        let block = blocks[index], work = workspaces[index]
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        let queries = queries(ofBlock: index)
        var residual = input
        if index == 0 && usesTables {
            gatherTables(into: work.qkv.data, count: n)
            if shape.blockForm == .normalizedResidual {
                gatherRows(of: tables.normalized.data, width: d, into: work.normalized1.data, count: n)
                residual = UnsafePointer(work.normalized1.data)
            }
        } else {
            let normalized = normalize(
                input, rows: n * t, norm: block.norm1, out: work.normalized1,
                mean: work.mean1, inverseDeviation: work.inverseDeviation1)
            project(block, normalized: normalized, qkv: work.qkv.data, count: n, queries: queries)
            if shape.blockForm == .normalizedResidual { residual = normalized }
        }
        CausalAttention.forward(
            out: work.attention.data, probabilities: work.probabilities.data, qkv: work.qkv.data,
            count: n, length: t, queries: queries, heads: shape.heads, dimension: d)
        forwardAfterAttention(block, work: work, residual: residual, count: n, residualLength: t, queries: queries)
    }

    /// work.attention (n·Tq × d) → work.output (n·Tq × d): output projection onto the residual
    /// (n × L × d, read at its last Tq positions), then the MLP sublayer.
    func forwardAfterAttention(
        _ block: TransformerBlockParameters, work: TransformerBlockWorkspace,
        residual: UnsafePointer<Float>, count n: Int, residualLength: Int, queries: Int
    ) {
        let (d, m) = (shape.modelDimension, shape.mlpDimension)
        let rows = n * queries
        // middle = residual[queried positions] + attention · W_Oᵀ + b_O
        addingResidual(
            out: work.middle.data, x: work.attention.data, weight: parameters.value(block.outputWeight),
            bias: block.outputBias.map { UnsafePointer(parameters.value($0)) }, residual: residual,
            count: n, residualLength: residualLength, queries: queries, inputs: d, outputs: d)
        let normalized = normalize(
            work.middle.data, rows: rows, norm: block.norm2, out: work.normalized2,
            mean: work.mean2, inverseDeviation: work.inverseDeviation2)
        Linear.forward(
            out: work.preActivation.data, x: normalized, weight: parameters.value(block.mlpInputWeight),
            bias: parameters.value(block.mlpInputBias), count: rows, inputs: d, outputs: m)
        switch shape.activation {
        case .relu: Activation.reluForward(out: work.hidden.data, x: work.hidden.data, count: rows * m)
        case .gelu: Activation.geluForward(out: work.hidden.data, x: work.preActivation.data, count: rows * m)
        }
        addingResidual(
            out: work.output.data, x: work.hidden.data, weight: parameters.value(block.mlpOutputWeight),
            bias: parameters.value(block.mlpOutputBias), residual: work.middle.data,
            count: n, residualLength: queries, queries: queries, inputs: m, outputs: d)
    }

    /// LayerNorm of x (rows × d) into `out` when the block has one; x itself otherwise.
    func normalize(
        _ x: UnsafePointer<Float>, rows: Int, norm: (weight: ParameterSlice, bias: ParameterSlice)?,
        out: Tensor, mean: Tensor, inverseDeviation: Tensor
    ) -> UnsafePointer<Float> {
        guard let (weight, bias) = norm else { return x }
        LayerNorm.forward(
            out: out.data, mean: mean.data, inverseDeviation: inverseDeviation.data, x: x,
            weight: parameters.value(weight), bias: parameters.value(bias), rows: rows,
            dimension: shape.modelDimension)
        return UnsafePointer(out.data)
    }

    /// normalized (n·T × d) → qkv (n·T × 3d): keys and values at every position, queries at
    /// the last `queries` positions only (one strided product per query position).
    private func project(
        _ block: TransformerBlockParameters, normalized: UnsafePointer<Float>,
        qkv: UnsafeMutablePointer<Float>, count n: Int, queries: Int
    ) {
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        let weight = parameters.value(block.qkvWeight), bias = block.qkvBias.map { parameters.value($0) }
        if queries == t {
            Linear.forward(out: qkv, x: normalized, weight: weight, bias: bias, count: n * t, inputs: d, outputs: 3 * d)
            return
        }
        BLAS.gemm(
            transposeA: false, transposeB: true, m: n * t, n: 2 * d, k: d, a: normalized, lda: d,
            b: weight + d * d, ldb: d, beta: 0, c: qkv + d, ldc: 3 * d)
        if let bias { addRowVector(bias + d, to: qkv + d, rows: n * t, columns: 2 * d, stride: 3 * d) }
        for position in (t - queries)..<t {
            BLAS.gemm(
                transposeA: false, transposeB: true, m: n, n: d, k: d, a: normalized + position * d, lda: t * d,
                b: weight, ldb: d, beta: 0, c: qkv + position * 3 * d, ldc: t * 3 * d)
            if let bias { addRowVector(bias, to: qkv + position * 3 * d, rows: n, columns: d, stride: t * 3 * d) }
        }
    }

    /// x (n·Tq × inputs) → out (n·Tq × outputs) = residual[queried rows] + bias + x · weightᵀ,
    /// the residual (n × L × outputs) read at its last Tq positions; one pass, then the product.
    private func addingResidual(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>, count n: Int,
        residualLength: Int, queries: Int, inputs: Int, outputs: Int
    ) {
        Parallel.forRanges(n, grain: Parallel.rowGrain(queries * outputs)) { examples in
            for example in examples {
                for query in 0..<queries {
                    let source = residual + (example * residualLength + residualLength - queries + query) * outputs
                    let line = out + (example * queries + query) * outputs
                    if let bias {
                        for column in 0..<outputs { line[column] = source[column] + bias[column] }
                    } else {
                        line.update(from: source, count: outputs)
                    }
                }
            }
        }
        BLAS.gemm(
            transposeA: false, transposeB: true, m: n * queries, n: outputs, k: inputs, a: x, lda: inputs,
            b: weight, ldb: inputs, beta: 1, c: out, ldc: outputs)
    }

    // MARK: First-block tables

    /// table input (T·V × d): row (position, token) = token row + position row; then its
    /// LayerNorm and q|k|v projection (T·V × 3d) with the first block's weights.
    func forwardTables() {
        let (t, v, d) = (shape.sequenceLength, shape.vocabularySize, shape.modelDimension)
        let tokenTable = tokenTableValues, positionTable = parameters.value(positionEmbedding)
        for position in 0..<t {
            for token in 0..<v {
                let out = tables.input.data + (position * v + token) * d
                for column in 0..<d { out[column] = tokenTable[token * d + column] + positionTable[position * d + column] }
            }
        }
        let block = blocks[0]
        let normalized = normalize(
            tables.input.data, rows: t * v, norm: block.norm1, out: tables.normalized,
            mean: tables.mean, inverseDeviation: tables.inverseDeviation)
        Linear.forward(
            out: tables.qkv.data, x: normalized, weight: parameters.value(block.qkvWeight),
            bias: block.qkvBias.map { parameters.value($0) }, count: t * v, inputs: d, outputs: 3 * d)
    }

    /// qkv (n·T × 3d) row (example, position) = table qkv row (position, token)
    private func gatherTables(into qkv: UnsafeMutablePointer<Float>, count n: Int) {
        gatherRows(of: tables.qkv.data, width: 3 * shape.modelDimension, into: qkv, count: n)
    }

    /// out (n·T × width) row (example, position) = table (T·V × width) row (position, token)
    private func gatherRows(of table: UnsafePointer<Float>, width: Int, into out: UnsafeMutablePointer<Float>, count n: Int) {
        let (t, v, sequences) = (shape.sequenceLength, shape.vocabularySize, sequences)
        Parallel.forRanges(n * t, grain: Parallel.rowGrain(width)) { rows in
            for row in rows {
                let source = table + ((row % t) * v + Int(sequences[row])) * width
                (out + row * width).update(from: source, count: width)
            }
        }
    }
}
