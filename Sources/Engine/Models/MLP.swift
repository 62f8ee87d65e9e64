/// An MLP with its parameters and activation workspace, for batches of up to `capacity`.
///
/// Token inputs take the fast path: the first hidden layer is computed on the vocabulary table
/// (`EmbeddingLinear`); the reference path embeds every example and multiplies instead, and tests
/// check the two agree. With `embeddingRank` the input layer is a product of two trainable
/// factors (GrokTransfer), composed before each forward pass and differentiated through.
///
/// Parameters: `embedding` (V × d) — or `embedding.A` (V × r), `embedding.B` (r × d) — for
/// tokens; `hidden.0.weight` (H × F) — or `hidden.0.A` (r × F), `hidden.0.B` (H × r) — for
/// features; `hidden.i.weight`, `hidden.i.bias`, `output.weight` (C × H), `output.bias` (C).
public final class MLP: TrainableModel {
    public let shape: MLPShape
    public let parameters: ParameterStore
    public let capacity: Int
    public var classes: Int { shape.classes }
    /// The reference path embeds every example, then multiplies (slow; for checking the fast one).
    public let path: ComputePath

    private let inputFactors: (a: ParameterSlice, b: ParameterSlice)?
    private let embedding: ParameterSlice?
    private let hiddenWeights: [ParameterSlice?]
    private let hiddenBiases: [ParameterSlice]
    private let outputWeight: ParameterSlice
    private let outputBias: ParameterSlice?

    // Workspace. For ReLU `preActivations[l]` is `activations[l]`: applied in place and
    // differentiated from its output.
    private let activations: [Tensor]
    private let preActivations: [Tensor]
    private let logits: Tensor
    private let hiddenGradient: Tensor
    private let spareGradient: Tensor
    private let tables: Tensor
    private let tableGradients: Tensor
    private let embedded: Tensor
    /// The composed input matrix (E or W₁) and its gradient, when factorised.
    private let composed: Tensor
    private let composedGradient: Tensor
    /// The last forward's inputs (capacity × tokens per example, or × features): a copy, since
    /// the caller's batch may live only as long as its call.
    private let inputTokens: UnsafeMutablePointer<Int32>
    private let inputFeatures: Tensor
    private var forwardCount: Int?

    public init(shape: MLPShape, capacity: Int, path: ComputePath = .fast) {
        self.shape = shape
        self.capacity = capacity
        self.path = path
        let (h, inputs) = (shape.width, shape.firstLayerInputs)
        var layout: [(name: String, shape: [Int])] = []
        switch (shape.input, shape.embeddingRank) {
        case (.tokens(let vocabulary, _), nil):
            layout.append(("embedding", [vocabulary, shape.embeddingDimension]))
        case (.tokens(let vocabulary, _), let rank?):
            layout += [("embedding.A", [vocabulary, rank]), ("embedding.B", [rank, shape.embeddingDimension])]
        case (.features, nil):
            break
        case (.features(let width), let rank?):
            layout += [("hidden.0.A", [rank, width]), ("hidden.0.B", [h, rank])]
        }
        let firstIsFactorised: Bool = {
            if case .features = shape.input { return shape.embeddingRank != nil }
            return false
        }()
        for layer in 0..<shape.depth {
            if !(layer == 0 && firstIsFactorised) {
                layout.append(("hidden.\(layer).weight", [h, layer == 0 ? inputs : h]))
            }
            if shape.bias { layout.append(("hidden.\(layer).bias", [h])) }
        }
        layout.append(("output.weight", [shape.classes, h]))
        if shape.bias { layout.append(("output.bias", [shape.classes])) }
        let store = ParameterStore(layout: layout)
        parameters = store
        embedding = store.slices.first { $0.name == "embedding" }
        if let a = store.slices.first(where: { $0.name.hasSuffix(".A") }), let b = store.slices.first(where: { $0.name.hasSuffix(".B") }) {
            inputFactors = (a, b)
        } else {
            inputFactors = nil
        }
        hiddenWeights = (0..<shape.depth).map { layer in store.slices.first { $0.name == "hidden.\(layer).weight" } }
        hiddenBiases = shape.bias ? (0..<shape.depth).map { store.slice("hidden.\($0).bias") } : []
        outputWeight = store.slice("output.weight")
        outputBias = shape.bias ? store.slice("output.bias") : nil

        let hiddenShape = [capacity, h]
        activations = (0..<shape.depth).map { _ in Tensor(shape: hiddenShape) }
        preActivations = shape.activation == .relu ? activations : (0..<shape.depth).map { _ in Tensor(shape: hiddenShape) }
        logits = Tensor(shape: [capacity, shape.classes])
        hiddenGradient = Tensor(shape: hiddenShape)
        spareGradient = Tensor(shape: hiddenShape)
        tables = Tensor(shape: [shape.tokensPerExample, shape.vocabularySize, h])
        tableGradients = Tensor(shape: [shape.tokensPerExample, shape.vocabularySize, h])
        let embedsTokens: Bool = {
            if case .tokens = shape.input { return true }
            return false
        }()
        embedded = Tensor(shape: [embedsTokens ? capacity : 0, inputs])
        let composedCount =
            shape.embeddingRank == nil
            ? 0
            : (embedsTokens ? shape.vocabularySize * shape.embeddingDimension : h * inputs)
        composed = Tensor(shape: [composedCount])
        composedGradient = Tensor(shape: [composedCount])
        let tokenCount = max(capacity * shape.tokensPerExample, 1)
        inputTokens = .allocate(capacity: tokenCount)
        inputTokens.initialize(repeating: 0, count: tokenCount)
        inputFeatures = Tensor(shape: [embedsTokens ? 0 : capacity, inputs])
    }

    deinit { inputTokens.deallocate() }

    // MARK: Initialisation

    /// PyTorch's defaults scaled by `scale` (Omnigrok's α): embeddings (and a token factor A)
    /// N(0, 1); every weight matrix and bias U(±1/√fan_in), fan_in being the matrix's columns
    /// (for a bias, its layer's weight columns).
    public func initialize(seed: Int, scale: Double) {
        var generator = SeededGenerator(seed: seed, stream: "init")
        var lastFanIn = 1
        for slice in parameters.slices {
            let values = parameters.value(slice)
            if slice.name == "embedding" || slice.name == "embedding.A" {
                for index in 0..<slice.count { values[index] = Float(scale * generator.normal()) }
                continue
            }
            // B of a token factorisation maps rank → d; a bias belongs to its layer's input width.
            let fanIn = slice.name == "embedding.B" ? slice.shape[0] : (slice.shape.count == 2 ? slice.shape[1] : lastFanIn)
            if slice.name.hasSuffix(".weight") || slice.name == "hidden.0.A" { lastFanIn = slice.shape[1] }
            let bound = 1 / Double(fanIn).squareRoot()
            for index in 0..<slice.count { values[index] = Float(scale * generator.uniform(-bound, bound)) }
        }
    }

    // MARK: Forward

    public func forward(_ batch: InputBatch) -> UnsafeMutablePointer<Float> {
        let n = batch.count
        precondition(n <= capacity, "batch of \(n) exceeds capacity \(capacity)")
        let h = shape.width
        let firstBias = shape.bias ? UnsafePointer(parameters.value(hiddenBiases[0])) : nil
        let inputMatrix = composeInputMatrix()
        switch shape.input {
        case .tokens(_, let perExample):
            guard let tokens = batch.tokens else { preconditionFailure("this MLP reads token inputs") }
            inputTokens.update(from: tokens, count: n * perExample)
            forwardTokens(inputTokens, count: n, table: inputMatrix, firstBias: firstBias)
        case .features(let width):
            guard let features = batch.features else { preconditionFailure("this MLP reads feature inputs") }
            inputFeatures.data.update(from: features, count: n * width)
            Linear.forward(
                out: preActivations[0].data, x: inputFeatures.data, weight: inputMatrix, bias: firstBias,
                count: n, inputs: shape.firstLayerInputs, outputs: h)
            activate(layer: 0, count: n)
        }
        forwardCount = n
        for layer in 1..<shape.depth {
            Linear.forward(
                out: preActivations[layer].data, x: activations[layer - 1].data,
                weight: parameters.value(hiddenWeights[layer]!),
                bias: shape.bias ? UnsafePointer(parameters.value(hiddenBiases[layer])) : nil,
                count: n, inputs: h, outputs: h)
            activate(layer: layer, count: n)
        }
        Linear.forward(
            out: logits.data, x: activations[shape.depth - 1].data, weight: parameters.value(outputWeight),
            bias: outputBias.map { UnsafePointer(parameters.value($0)) }, count: n, inputs: h, outputs: shape.classes)
        return logits.data
    }

    /// The embedding table (tokens) or first-layer weight (features), composed from its
    /// factors when factorised: E = A·B (V × d), W₁ = B·A (H × F).
    private func composeInputMatrix() -> UnsafeMutablePointer<Float> {
        guard let (a, b) = inputFactors, let rank = shape.embeddingRank else {
            return embedding.map { parameters.value($0) } ?? parameters.value(hiddenWeights[0]!)
        }
        if case .tokens(let vocabulary, _) = shape.input {
            BLAS.gemm(
                transposeA: false, transposeB: false, m: vocabulary, n: shape.embeddingDimension, k: rank,
                a: parameters.value(a), lda: rank, b: parameters.value(b), ldb: shape.embeddingDimension,
                beta: 0, c: composed.data, ldc: shape.embeddingDimension)
        } else {
            BLAS.gemm(
                transposeA: false, transposeB: false, m: shape.width, n: shape.firstLayerInputs, k: rank,
                a: parameters.value(b), lda: rank, b: parameters.value(a), ldb: shape.firstLayerInputs,
                beta: 0, c: composed.data, ldc: shape.firstLayerInputs)
        }
        return composed.data
    }

    private func forwardTokens(
        _ tokens: UnsafePointer<Int32>, count n: Int, table: UnsafePointer<Float>,
        firstBias: UnsafePointer<Float>?
    ) {
        let (v, d, t, h) = (shape.vocabularySize, shape.embeddingDimension, shape.tokensPerExample, shape.width)
        let firstWeight = parameters.value(hiddenWeights[0]!)
        if path == .reference {
            Embedding.forward(out: embedded.data, tokens: tokens, table: table, count: n, tokensPerExample: t, dimension: d)
            Linear.forward(
                out: preActivations[0].data, x: embedded.data, weight: firstWeight, bias: firstBias,
                count: n, inputs: t * d, outputs: h)
            activate(layer: 0, count: n)
            return
        }
        EmbeddingLinear.forwardTables(
            tables: tables.data, table: table, weight: firstWeight,
            vocabulary: v, dimension: d, tokensPerExample: t, outputs: h)
        if shape.activation == .relu {
            EmbeddingLinear.gatherReLU(
                out: activations[0].data, tables: tables.data, bias: firstBias, tokens: tokens,
                count: n, vocabulary: v, tokensPerExample: t, outputs: h)
        } else {
            EmbeddingLinear.gather(
                out: preActivations[0].data, tables: tables.data, bias: firstBias, tokens: tokens,
                count: n, vocabulary: v, tokensPerExample: t, outputs: h)
            activate(layer: 0, count: n)
        }
    }

    private func activate(layer: Int, count n: Int) {
        let size = n * shape.width
        switch shape.activation {
        case .relu: Activation.reluForward(out: activations[layer].data, x: preActivations[layer].data, count: size)
        case .gelu: Activation.geluForward(out: activations[layer].data, x: preActivations[layer].data, count: size)
        }
    }

    // MARK: Backward

    public func backward(dlogits: UnsafePointer<Float>, count n: Int) {
        guard let forwardCount, n <= forwardCount else { preconditionFailure("backward without its forward") }
        let h = shape.width
        var upstream = hiddenGradient.data, spare = spareGradient.data
        Linear.backward(
            dx: upstream, dweight: parameters.gradient(outputWeight),
            dbias: outputBias.map { parameters.gradient($0) }, dout: dlogits,
            x: activations[shape.depth - 1].data, weight: parameters.value(outputWeight),
            count: n, inputs: h, outputs: shape.classes)
        for layer in stride(from: shape.depth - 1, through: 1, by: -1) {
            deactivate(layer: layer, gradient: upstream, count: n)
            Linear.backward(
                dx: spare, dweight: parameters.gradient(hiddenWeights[layer]!),
                dbias: shape.bias ? parameters.gradient(hiddenBiases[layer]) : nil,
                dout: upstream, x: activations[layer - 1].data,
                weight: parameters.value(hiddenWeights[layer]!), count: n, inputs: h, outputs: h)
            swap(&upstream, &spare)
        }
        // The input layer's gradient goes to the composed buffer when factorised.
        let inputGradient =
            inputFactors == nil
            ? (embedding.map { parameters.gradient($0) } ?? parameters.gradient(hiddenWeights[0]!))
            : composedGradient.data
        if inputFactors != nil { composedGradient.zero() }
        let firstBiasGradient = shape.bias ? parameters.gradient(hiddenBiases[0]) : nil
        switch shape.input {
        case .tokens:
            backwardTokens(inputTokens, count: n, upstream: upstream, dtable: inputGradient, dbias: firstBiasGradient)
        case .features:
            deactivate(layer: 0, gradient: upstream, count: n)
            Linear.backward(
                dx: nil, dweight: inputGradient, dbias: firstBiasGradient, dout: upstream, x: inputFeatures.data,
                weight: composeInputMatrixPointer(), count: n, inputs: shape.firstLayerInputs, outputs: h)
        }
        backwardThroughFactors()
    }

    private func composeInputMatrixPointer() -> UnsafeMutablePointer<Float> {
        inputFactors == nil ? (embedding.map { parameters.value($0) } ?? parameters.value(hiddenWeights[0]!)) : composed.data
    }

    private func backwardTokens(
        _ tokens: UnsafePointer<Int32>, count n: Int, upstream: UnsafeMutablePointer<Float>,
        dtable: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?
    ) {
        let (v, d, t, h) = (shape.vocabularySize, shape.embeddingDimension, shape.tokensPerExample, shape.width)
        let table = composeInputMatrixPointer()
        let firstWeight = parameters.value(hiddenWeights[0]!), firstWeightGradient = parameters.gradient(hiddenWeights[0]!)
        if path == .reference {
            deactivate(layer: 0, gradient: upstream, count: n)
            Linear.backward(
                dx: embedded.data, dweight: firstWeightGradient, dbias: dbias, dout: upstream,
                x: embedded.data, weight: firstWeight, count: n, inputs: t * d, outputs: h)
            Embedding.backward(dtable: dtable, dout: embedded.data, tokens: tokens, count: n, tokensPerExample: t, dimension: d)
            return
        }
        tableGradients.zero()
        if shape.activation == .relu {
            EmbeddingLinear.scatterReLU(
                dtables: tableGradients.data, dbias: dbias, dout: upstream, out: activations[0].data,
                tokens: tokens, count: n, vocabulary: v, tokensPerExample: t, outputs: h)
        } else {
            deactivate(layer: 0, gradient: upstream, count: n)
            EmbeddingLinear.scatter(
                dtables: tableGradients.data, dbias: dbias, dout: upstream, tokens: tokens,
                count: n, vocabulary: v, tokensPerExample: t, outputs: h)
        }
        EmbeddingLinear.backwardTables(
            dtable: dtable, dweight: firstWeightGradient, dtables: tableGradients.data,
            table: table, weight: firstWeight, vocabulary: v, dimension: d,
            tokensPerExample: t, outputs: h)
    }

    /// From the composed matrix's gradient G to the factors: E = A·B gives dA += G·Bᵀ,
    /// dB += Aᵀ·G; W₁ = B·A gives dB += G·Aᵀ, dA += Bᵀ·G.
    private func backwardThroughFactors() {
        guard let (a, b) = inputFactors, let rank = shape.embeddingRank else { return }
        let g = composedGradient.data
        let (av, bv, ag, bg) = (parameters.value(a), parameters.value(b), parameters.gradient(a), parameters.gradient(b))
        if case .tokens(let vocabulary, _) = shape.input {
            let d = shape.embeddingDimension
            BLAS.gemm(
                transposeA: false, transposeB: true, m: vocabulary, n: rank, k: d, a: g, lda: d, b: bv, ldb: d,
                beta: 1, c: ag, ldc: rank)
            BLAS.gemm(
                transposeA: true, transposeB: false, m: rank, n: d, k: vocabulary, a: av, lda: rank, b: g, ldb: d,
                beta: 1, c: bg, ldc: d)
        } else {
            let (h, f) = (shape.width, shape.firstLayerInputs)
            BLAS.gemm(
                transposeA: false, transposeB: true, m: h, n: rank, k: f, a: g, lda: f, b: av, ldb: f,
                beta: 1, c: bg, ldc: rank)
            BLAS.gemm(
                transposeA: true, transposeB: false, m: rank, n: f, k: h, a: bv, lda: rank, b: g, ldb: f,
                beta: 1, c: ag, ldc: f)
        }
    }

    private func deactivate(layer: Int, gradient: UnsafeMutablePointer<Float>, count n: Int) {
        let size = n * shape.width
        switch shape.activation {
        case .relu: Activation.reluBackward(dx: gradient, dout: gradient, out: activations[layer].data, count: size)
        case .gelu: Activation.geluBackward(dx: gradient, dout: gradient, x: preActivations[layer].data, count: size)
        }
    }

    // MARK: Transfer and cost

    /// The input representation GrokTransfer takes from a trained model: the embedding table
    /// (V × d) for tokens, the first-layer weight (H × F) for features — composed if factorised.
    public func inputRepresentation() -> [Float] {
        let pointer = composeInputMatrix()
        let count =
            shape.embeddingRank != nil
            ? composed.count
            : (embedding.map(\.count) ?? hiddenWeights[0]!.count)
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// An unfactorised copy: the same parameters, with the input factors replaced by their
    /// product (`embedding` for tokens, `hidden.0.weight` for features); nil when unfactorised.
    public func mergingInputFactors() -> TrainableModel? {
        guard shape.embeddingRank != nil else { return nil }
        var mergedShape = shape
        mergedShape.embeddingRank = nil
        let merged = MLP(shape: mergedShape, capacity: capacity, path: path)
        for slice in merged.parameters.slices {
            if let own = parameters.slices.first(where: { $0.name == slice.name }) {
                merged.parameters.value(slice).update(from: parameters.value(own), count: slice.count)
            }
        }
        let full: String = if case .tokens = shape.input { "embedding" } else { "hidden.0.weight" }
        merged.parameters.overwriteRows(of: full, with: inputRepresentation())
        return merged
    }

    public var denseForwardFlopsPerExample: Double { shape.forwardFlopsPerExample }

    public func executedFlopsPerStep(count n: Int) -> Double {
        let dense = 3 * shape.forwardFlopsPerExample * Double(n)
        guard path == .fast, case .tokens(let vocabulary, _) = shape.input else { return dense }
        let firstLayerDense = 3 * Linear.forwardFlops(count: n, inputs: shape.firstLayerInputs, outputs: shape.width)
        let firstLayerTables = 3 * Linear.forwardFlops(count: vocabulary, inputs: shape.firstLayerInputs, outputs: shape.width)
        return dense - firstLayerDense + firstLayerTables
    }
}
