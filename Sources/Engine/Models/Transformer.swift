/// A decoder-only transformer classifier with its parameters and activation workspace, for
/// batches of up to `capacity` examples: token + learned position embeddings, `layers` blocks
/// of causal multi-head attention and MLP on a residual stream (pre-LN when `layerNorm`, or the
/// Grokfast code's block that restarts the stream from ln₁'s output), then a bias-free
/// unembedding of the last position.
///
/// Three exact shortcuts (same numbers up to float summation order), all off on the reference path:
/// - the last block computes keys and values at every position but queries, attention output,
///   MLP and unembedding at the last position only — nothing else reaches the logits;
/// - the first block's input takes only V·T distinct values (token × position), so its
///   LayerNorm and query/key/value projection run on that table and are gathered per example
///   (with the normalised-residual block, so is the LayerNorm output its residual adds onto);
/// - position 0 attends only to itself, so the first block's whole output there is a function
///   of the first token: with more blocks after it, it runs on V table rows, not n examples.
///
/// Parameters: `embedding.token` (V × d), or its factors `embedding.A` (V × r) and
/// `embedding.B` (r × d) when `embeddingRank` is r (GrokTransfer), `embedding.position` (T × d); per block `b`:
/// `block.b.norm1.{weight,bias}` (d), `block.b.attention.qkv.weight` (3d × d, rows q|k|v),
/// `block.b.attention.qkv.bias` (3d), `block.b.attention.output.{weight (d × d), bias (d)}`,
/// `block.b.norm2.{weight,bias}`, `block.b.mlp.input.{weight (m × d), bias (m)}`,
/// `block.b.mlp.output.{weight (d × m), bias (d)}`; `final.norm.{weight,bias}`;
/// `unembedding.weight` (C × d). Norms only with `layerNorm`, attention biases only with `attentionBias`.
public final class Transformer: TrainableModel {
    public let shape: TransformerShape
    public let parameters: ParameterStore
    public let capacity: Int
    public var classes: Int { shape.classes }
    /// The reference path computes every block at every position and embeds every example
    /// (slow; for checking the shortcuts).
    public let path: ComputePath
    var reference: Bool { path == .reference }

    /// The token table's parameter, or its factors A (V × r) and B (r × d).
    let tokenEmbedding: TokenEmbedding
    let positionEmbedding: ParameterSlice
    let blocks: [TransformerBlockParameters]
    let finalNorm: (weight: ParameterSlice, bias: ParameterSlice)?
    let unembedding: ParameterSlice

    let workspaces: [TransformerBlockWorkspace]
    let tables: TransformerTableWorkspace
    /// The first block after attention at position 0, one row per token (V rows).
    let firstPositionWork: TransformerBlockWorkspace
    /// The first block's output stream (n·T × d) when position 0 comes from the table.
    let firstStream: Tensor
    /// Gradient of the first block's position-0 output per token (V × d).
    let firstPositionGradient: Tensor
    /// Token ids of every position (capacity × T): the inputs then the appended constants.
    let sequences: UnsafeMutablePointer<Int32>
    let embedded: Tensor
    let finalNormalized: Tensor
    let finalMean: Tensor
    let finalInverseDeviation: Tensor
    let logits: Tensor
    // Gradient buffers shared by all blocks (backward runs one block at a time).
    let streamGradient: Tensor
    let spareStreamGradient: Tensor
    let normGradient: Tensor
    let attentionGradient: Tensor
    let hiddenGradient: Tensor
    let qkvGradient: Tensor
    let finalGradient: Tensor
    var lastCount = 0

    public init(shape: TransformerShape, capacity: Int, path: ComputePath = .fast) {
        self.shape = shape
        self.capacity = capacity
        self.path = path
        let (v, t, d, m) = (shape.vocabularySize, shape.sequenceLength, shape.modelDimension, shape.mlpDimension)
        var layout: [(name: String, shape: [Int])] =
            if let rank = shape.embeddingRank {
                [("embedding.A", [v, rank]), ("embedding.B", [rank, d]), ("embedding.position", [t, d])]
            } else {
                [("embedding.token", [v, d]), ("embedding.position", [t, d])]
            }
        for block in 0..<shape.layers {
            let prefix = "block.\(block)."
            if shape.layerNorm { layout += [(prefix + "norm1.weight", [d]), (prefix + "norm1.bias", [d])] }
            layout.append((prefix + "attention.qkv.weight", [3 * d, d]))
            if shape.attentionBias { layout.append((prefix + "attention.qkv.bias", [3 * d])) }
            layout.append((prefix + "attention.output.weight", [d, d]))
            if shape.attentionBias { layout.append((prefix + "attention.output.bias", [d])) }
            if shape.layerNorm { layout += [(prefix + "norm2.weight", [d]), (prefix + "norm2.bias", [d])] }
            layout += [
                (prefix + "mlp.input.weight", [m, d]), (prefix + "mlp.input.bias", [m]),
                (prefix + "mlp.output.weight", [d, m]), (prefix + "mlp.output.bias", [d]),
            ]
        }
        if shape.layerNorm { layout += [("final.norm.weight", [d]), ("final.norm.bias", [d])] }
        layout.append(("unembedding.weight", [shape.classes, d]))
        let store = ParameterStore(layout: layout)
        parameters = store
        tokenEmbedding =
            shape.embeddingRank == nil
            ? .table(store.slice("embedding.token"))
            : .factors(
                a: store.slice("embedding.A"), b: store.slice("embedding.B"), product: Tensor(shape: [v, d]),
                productGradient: Tensor(shape: [v, d]))
        positionEmbedding = store.slice("embedding.position")
        blocks = (0..<shape.layers).map { TransformerBlockParameters(store: store, block: $0) }
        finalNorm = shape.layerNorm ? (store.slice("final.norm.weight"), store.slice("final.norm.bias")) : nil
        unembedding = store.slice("unembedding.weight")

        let rows = capacity * t
        workspaces = (0..<shape.layers).map { _ in TransformerBlockWorkspace(shape: shape, capacity: capacity) }
        tables = TransformerTableWorkspace(shape: shape)
        firstPositionWork = TransformerBlockWorkspace(shape: shape, capacity: shape.layers > 1 ? v : 0)
        firstStream = Tensor(shape: [shape.layers > 1 ? rows : 0, d])
        firstPositionGradient = Tensor(shape: [v, d])
        // Gradient buffers also serve the V-row position-0 table.
        let gradientRows = max(rows, v)
        sequences = .allocate(capacity: max(rows, 1))
        sequences.initialize(repeating: 0, count: max(rows, 1))
        embedded = Tensor(shape: [rows, d])
        finalNormalized = Tensor(shape: [shape.layerNorm ? rows : 0, d])
        finalMean = Tensor(shape: [shape.layerNorm ? rows : 0])
        finalInverseDeviation = Tensor(shape: [shape.layerNorm ? rows : 0])
        logits = Tensor(shape: [capacity, shape.classes])
        streamGradient = Tensor(shape: [rows, d])
        spareStreamGradient = Tensor(shape: [rows, d])
        normGradient = Tensor(shape: [shape.layerNorm ? gradientRows : 0, d])
        attentionGradient = Tensor(shape: [gradientRows, d])
        hiddenGradient = Tensor(shape: [gradientRows, m])
        qkvGradient = Tensor(shape: [rows, 3 * d])
        finalGradient = Tensor(shape: [rows, d])
    }

    deinit { sequences.deallocate() }

    // MARK: Forward

    /// Whether the first block's LayerNorm and q|k|v projection run on the (position, token) table.
    var usesTables: Bool { !reference }

    /// Whether the first block's position 0 runs on the token table (see the type's comment).
    var usesFirstPositionTable: Bool { usesTables && shape.layers > 1 && shape.sequenceLength > 1 }

    /// Query positions a block computes (the last ones): only the last in the last block, all
    /// but position 0 in the first block when the table covers it, else all (and in reference).
    func queries(ofBlock block: Int) -> Int {
        if block == shape.layers - 1 && !reference { return 1 }
        if block == 0 && usesFirstPositionTable { return shape.sequenceLength - 1 }
        return shape.sequenceLength
    }

    /// The residual stream a block reads (n·T × d).
    func blockInput(_ block: Int) -> UnsafeMutablePointer<Float> {
        if block == 0 { return embedded.data }
        return block == 1 && usesFirstPositionTable ? firstStream.data : workspaces[block - 1].output.data
    }

    public func forward(_ batch: InputBatch) -> UnsafeMutablePointer<Float> {
        guard let tokens = batch.tokens else { preconditionFailure("a transformer reads token inputs") }
        let n = batch.count
        precondition(n <= capacity, "batch of \(n) exceeds capacity \(capacity)")
        lastCount = n
        let d = shape.modelDimension
        layOutSequences(tokens, count: n)
        composeTokenTable()
        embed(count: n)
        if usesTables { forwardTables() }
        for block in 0..<shape.layers {
            forwardBlock(block, input: blockInput(block), count: n)
            if block == 0 && usesFirstPositionTable {
                forwardFirstPositionTable()
                assembleFirstStream(count: n)
            }
        }
        let input = UnsafePointer(workspaces[shape.layers - 1].output.data)
        let queries = queries(ofBlock: shape.layers - 1)
        var final = input
        if let (weight, bias) = finalNorm {
            LayerNorm.forward(
                out: finalNormalized.data, mean: finalMean.data, inverseDeviation: finalInverseDeviation.data,
                x: input, weight: parameters.value(weight), bias: parameters.value(bias),
                rows: n * queries, dimension: d)
            final = UnsafePointer(finalNormalized.data)
        }
        // logits (n × C) = final[last position] · W_Uᵀ
        BLAS.gemm(
            transposeA: false, transposeB: true, m: n, n: shape.classes, k: d,
            a: final + (queries - 1) * d, lda: queries * d, b: parameters.value(unembedding), ldb: d,
            beta: 0, c: logits.data, ldc: shape.classes)
        return logits.data
    }

    /// tokens (n × inputTokens) → sequences (n × T), slot by slot: an input or a constant token.
    private func layOutSequences(_ tokens: UnsafePointer<Int32>, count n: Int) {
        let (inputs, t) = (shape.sequence.inputTokens, shape.sequenceLength)
        for example in 0..<n {
            let row = sequences + example * t
            for (position, slot) in shape.sequence.slots.enumerated() {
                switch slot {
                case .input(let index):
                    let token = tokens[example * inputs + index]
                    precondition(token >= 0 && Int(token) < shape.vocabularySize, "token \(token) outside the vocabulary")
                    row[position] = token
                case .constant(let token):
                    row[position] = token
                }
            }
        }
    }

    /// sequences (n × T) → embedded (n·T × d) = token row + position row
    private func embed(count n: Int) {
        let (t, d) = (shape.sequenceLength, shape.modelDimension)
        let tokenTable = tokenTableValues, positionTable = parameters.value(positionEmbedding)
        for row in 0..<(n * t) {
            let token = tokenTable + Int(sequences[row]) * d, position = positionTable + (row % t) * d
            let out = embedded.data + row * d
            for column in 0..<d { out[column] = token[column] + position[column] }
        }
    }
}
