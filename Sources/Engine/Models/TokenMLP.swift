/// The shape of a token MLP: embeddings of each input token, concatenated, through `depth`
/// hidden layers of `width`, to `classes` logits.
public struct MLPShape: Sendable, Equatable {
    public enum Activation: Sendable { case relu, gelu }

    public var vocabularySize: Int
    public var tokensPerExample: Int
    public var embeddingDimension: Int
    public var width: Int
    public var depth: Int
    public var classes: Int
    public var activation: Activation
    public var bias: Bool

    public init(vocabularySize: Int, tokensPerExample: Int = 2, embeddingDimension: Int, width: Int, depth: Int,
                classes: Int, activation: Activation = .relu, bias: Bool = true) {
        precondition(depth >= 1, "a token MLP needs at least one hidden layer")
        self.vocabularySize = vocabularySize
        self.tokensPerExample = tokensPerExample
        self.embeddingDimension = embeddingDimension
        self.width = width
        self.depth = depth
        self.classes = classes
        self.activation = activation
        self.bias = bias
    }

    var concatenatedDimension: Int { tokensPerExample * embeddingDimension }

    /// Dense forward FLOPs per example: what a straightforward implementation multiplies.
    public var forwardFlopsPerExample: Double {
        Linear.forwardFlops(count: 1, inputs: concatenatedDimension, outputs: width)
            + Double(depth - 1) * Linear.forwardFlops(count: 1, inputs: width, outputs: width)
            + Linear.forwardFlops(count: 1, inputs: width, outputs: classes)
    }
}

/// A token MLP with its parameters and activation workspace, for batches of up to `capacity`
/// examples.
///
/// The fast path computes the first hidden layer on the vocabulary table (`EmbeddingLinear`),
/// the straightforward path (`reference: true`) embeds every example and multiplies; tests
/// check they agree. Parameters: `embedding` (V × d), `hidden.i.weight` (H × in),
/// `hidden.i.bias` (H), `output.weight` (C × H), `output.bias` (C).
public final class TokenMLP {
    public let shape: MLPShape
    public let parameters: ParameterStore
    public let capacity: Int
    /// Use the straightforward embedding-then-linear path (slow; for checking the fast one).
    public var reference = false

    private let embedding: ParameterSlice
    private let hiddenWeights: [ParameterSlice]
    private let hiddenBiases: [ParameterSlice]
    private let outputWeight: ParameterSlice
    private let outputBias: ParameterSlice?

    // Workspace. `preActivations[l]` is the same buffer as `activations[l]` for ReLU, which
    // is applied in place and differentiated from its output.
    private let activations: [Tensor]
    private let preActivations: [Tensor]
    private let logits: Tensor
    private let hiddenGradient: Tensor
    private let spareGradient: Tensor
    private let tables: Tensor
    private let tableGradients: Tensor
    private let embedded: Tensor
    private var lastTokens: UnsafePointer<Int32>?

    public init(shape: MLPShape, capacity: Int) {
        self.shape = shape
        self.capacity = capacity
        var layout: [(name: String, shape: [Int])] = [("embedding", [shape.vocabularySize, shape.embeddingDimension])]
        var inputs = shape.concatenatedDimension
        for layer in 0..<shape.depth {
            layout.append(("hidden.\(layer).weight", [shape.width, inputs]))
            if shape.bias { layout.append(("hidden.\(layer).bias", [shape.width])) }
            inputs = shape.width
        }
        layout.append(("output.weight", [shape.classes, shape.width]))
        if shape.bias { layout.append(("output.bias", [shape.classes])) }
        let store = ParameterStore(layout: layout)
        parameters = store
        embedding = store.slice("embedding")
        hiddenWeights = (0..<shape.depth).map { store.slice("hidden.\($0).weight") }
        hiddenBiases = shape.bias ? (0..<shape.depth).map { store.slice("hidden.\($0).bias") } : []
        outputWeight = store.slice("output.weight")
        outputBias = shape.bias ? store.slice("output.bias") : nil

        let hiddenShape = [capacity, shape.width]
        activations = (0..<shape.depth).map { _ in Tensor(shape: hiddenShape) }
        preActivations = shape.activation == .relu ? activations : (0..<shape.depth).map { _ in Tensor(shape: hiddenShape) }
        logits = Tensor(shape: [capacity, shape.classes])
        hiddenGradient = Tensor(shape: hiddenShape)
        spareGradient = Tensor(shape: hiddenShape)
        tables = Tensor(shape: [shape.tokensPerExample, shape.vocabularySize, shape.width])
        tableGradients = Tensor(shape: [shape.tokensPerExample, shape.vocabularySize, shape.width])
        embedded = Tensor(shape: [capacity, shape.concatenatedDimension])
    }

    // MARK: Initialisation

    /// PyTorch's defaults scaled by `scale` (Omnigrok's α): embedding N(0, 1); linear weights
    /// and biases U(±1/√fan_in).
    public func initialize(seed: Int, scale: Double) {
        var generator = SeededGenerator(seed: seed, stream: "init")
        for slice in parameters.slices {
            let values = parameters.value(slice)
            if slice.name == "embedding" {
                for index in 0..<slice.count { values[index] = Float(scale * generator.normal()) }
            } else {
                let fanIn = slice.name.hasSuffix(".bias") ? parameters.slice(slice.name.replacingSuffix()).shape[1] : slice.shape[1]
                let bound = 1 / Double(fanIn).squareRoot()
                for index in 0..<slice.count { values[index] = Float(scale * generator.uniform(-bound, bound)) }
            }
        }
    }

    // MARK: Forward

    /// Logits (n × classes) for n ≤ capacity examples; the pointer is valid until the next call.
    @discardableResult
    public func forward(tokens: UnsafePointer<Int32>, count n: Int) -> UnsafeMutablePointer<Float> {
        precondition(n <= capacity, "batch of \(n) exceeds capacity \(capacity)")
        lastTokens = tokens
        let (v, d, t, h) = (shape.vocabularySize, shape.embeddingDimension, shape.tokensPerExample, shape.width)
        let table = parameters.value(embedding)
        let firstBias = shape.bias ? UnsafePointer(parameters.value(hiddenBiases[0])) : nil
        if reference {
            Embedding.forward(out: embedded.data, tokens: tokens, table: table, count: n, tokensPerExample: t, dimension: d)
            Linear.forward(out: preActivations[0].data, x: embedded.data, weight: parameters.value(hiddenWeights[0]),
                           bias: firstBias, count: n, inputs: t * d, outputs: h)
        } else {
            EmbeddingLinear.forwardTables(tables: tables.data, table: table, weight: parameters.value(hiddenWeights[0]),
                                          vocabulary: v, dimension: d, tokensPerExample: t, outputs: h)
            if shape.activation == .relu {
                EmbeddingLinear.gatherReLU(out: activations[0].data, tables: tables.data, bias: firstBias, tokens: tokens,
                                           count: n, vocabulary: v, tokensPerExample: t, outputs: h)
            } else {
                EmbeddingLinear.gather(out: preActivations[0].data, tables: tables.data, bias: firstBias, tokens: tokens,
                                       count: n, vocabulary: v, tokensPerExample: t, outputs: h)
            }
        }
        if reference || shape.activation != .relu { activate(layer: 0, count: n) }
        for layer in 1..<shape.depth {
            Linear.forward(out: preActivations[layer].data, x: activations[layer - 1].data,
                           weight: parameters.value(hiddenWeights[layer]),
                           bias: shape.bias ? UnsafePointer(parameters.value(hiddenBiases[layer])) : nil,
                           count: n, inputs: h, outputs: h)
            activate(layer: layer, count: n)
        }
        Linear.forward(out: logits.data, x: activations[shape.depth - 1].data, weight: parameters.value(outputWeight),
                       bias: outputBias.map { UnsafePointer(parameters.value($0)) }, count: n, inputs: h, outputs: shape.classes)
        return logits.data
    }

    private func activate(layer: Int, count n: Int) {
        let size = n * shape.width
        switch shape.activation {
        case .relu: Activation.reluForward(out: activations[layer].data, x: preActivations[layer].data, count: size)
        case .gelu: Activation.geluForward(out: activations[layer].data, x: preActivations[layer].data, count: size)
        }
    }

    // MARK: Backward

    /// Accumulates parameter gradients of the last `forward` from dlogits (n × classes).
    public func backward(dlogits: UnsafePointer<Float>, count n: Int) {
        guard let tokens = lastTokens else { preconditionFailure("backward before forward") }
        let (v, d, t, h) = (shape.vocabularySize, shape.embeddingDimension, shape.tokensPerExample, shape.width)
        var upstream = hiddenGradient.data, spare = spareGradient.data
        Linear.backward(dx: upstream, dweight: parameters.gradient(outputWeight),
                        dbias: outputBias.map { parameters.gradient($0) }, dout: dlogits,
                        x: activations[shape.depth - 1].data, weight: parameters.value(outputWeight),
                        count: n, inputs: h, outputs: shape.classes)
        for layer in stride(from: shape.depth - 1, through: 0, by: -1) {
            let fusedFirstLayer = layer == 0 && !reference && shape.activation == .relu
            if !fusedFirstLayer { deactivate(layer: layer, gradient: upstream, count: n) }
            let dbias = shape.bias ? parameters.gradient(hiddenBiases[layer]) : nil
            if layer > 0 {
                Linear.backward(dx: spare, dweight: parameters.gradient(hiddenWeights[layer]), dbias: dbias,
                                dout: upstream, x: activations[layer - 1].data,
                                weight: parameters.value(hiddenWeights[layer]), count: n, inputs: h, outputs: h)
                swap(&upstream, &spare)
            } else if reference {
                Linear.backward(dx: embedded.data, dweight: parameters.gradient(hiddenWeights[0]), dbias: dbias,
                                dout: upstream, x: embedded.data, weight: parameters.value(hiddenWeights[0]),
                                count: n, inputs: t * d, outputs: h)
                Embedding.backward(dtable: parameters.gradient(embedding), dout: embedded.data, tokens: tokens,
                                   count: n, tokensPerExample: t, dimension: d)
            } else {
                tableGradients.zero()
                if fusedFirstLayer {
                    EmbeddingLinear.scatterReLU(dtables: tableGradients.data, dbias: dbias, dout: upstream,
                                                out: activations[0].data, tokens: tokens, count: n, vocabulary: v,
                                                tokensPerExample: t, outputs: h)
                } else {
                    EmbeddingLinear.scatter(dtables: tableGradients.data, dbias: dbias, dout: upstream, tokens: tokens,
                                            count: n, vocabulary: v, tokensPerExample: t, outputs: h)
                }
                EmbeddingLinear.backwardTables(dtable: parameters.gradient(embedding),
                                               dweight: parameters.gradient(hiddenWeights[0]), dtables: tableGradients.data,
                                               table: parameters.value(embedding), weight: parameters.value(hiddenWeights[0]),
                                               vocabulary: v, dimension: d, tokensPerExample: t, outputs: h)
            }
        }
    }

    private func deactivate(layer: Int, gradient: UnsafeMutablePointer<Float>, count n: Int) {
        let size = n * shape.width
        switch shape.activation {
        case .relu: Activation.reluBackward(dx: gradient, dout: gradient, out: activations[layer].data, count: size)
        case .gelu: Activation.geluBackward(dx: gradient, dout: gradient, x: preActivations[layer].data, count: size)
        }
    }

    // MARK: Cost

    /// FLOPs this implementation actually performs per training step of n examples (the
    /// table path replaces the first layer's n-row products by V-row ones).
    public func executedFlopsPerStep(count n: Int) -> Double {
        let dense = 3 * shape.forwardFlopsPerExample * Double(n)
        if reference { return dense }
        let firstLayerDense = 3 * Linear.forwardFlops(count: n, inputs: shape.concatenatedDimension, outputs: shape.width)
        let firstLayerTables = 3 * Linear.forwardFlops(count: shape.vocabularySize, inputs: shape.concatenatedDimension,
                                                       outputs: shape.width)
        return dense - firstLayerDense + firstLayerTables
    }
}

private extension String {
    /// "hidden.0.bias" → "hidden.0.weight"
    func replacingSuffix() -> String { String(dropLast("bias".count)) + "weight" }
}
