import TrialSchema

/// The shape of an MLP: inputs (token embeddings, concatenated, or a feature vector) through
/// `depth` hidden layers of `width`, to `classes` logits.
///
/// `embeddingRank` makes the input layer a product of two trainable matrices (GrokTransfer's
/// E = A·B for tokens, W₁ = B·A for features), with A of rank `embeddingRank`.
public struct MLPShape: Sendable, Equatable {
    public typealias Activation = ActivationFunction
    public enum Input: Sendable, Equatable {
        case tokens(vocabulary: Int, perExample: Int)
        case features(width: Int)
    }

    public var input: Input
    /// Embedding dimension for token inputs (unused for features).
    public var embeddingDimension: Int
    public var width: Int
    public var depth: Int
    public var classes: Int
    public var activation: Activation
    public var bias: Bool
    public var embeddingRank: Int?

    public init(
        vocabularySize: Int, tokensPerExample: Int = 2, embeddingDimension: Int, width: Int, depth: Int,
        classes: Int, activation: Activation = .relu, bias: Bool = true, embeddingRank: Int? = nil
    ) {
        self.init(
            input: .tokens(vocabulary: vocabularySize, perExample: tokensPerExample),
            embeddingDimension: embeddingDimension, width: width, depth: depth, classes: classes,
            activation: activation, bias: bias, embeddingRank: embeddingRank)
    }

    public init(
        input: Input, embeddingDimension: Int = 0, width: Int, depth: Int, classes: Int,
        activation: Activation = .relu, bias: Bool = true, embeddingRank: Int? = nil
    ) {
        precondition(depth >= 1, "an MLP needs at least one hidden layer")
        self.input = input
        self.embeddingDimension = embeddingDimension
        self.width = width
        self.depth = depth
        self.classes = classes
        self.activation = activation
        self.bias = bias
        self.embeddingRank = embeddingRank
    }

    public var vocabularySize: Int {
        if case .tokens(let vocabulary, _) = input { return vocabulary }
        return 0
    }

    public var tokensPerExample: Int {
        if case .tokens(_, let perExample) = input { return perExample }
        return 0
    }

    /// Width of the first linear layer's input: concatenated embeddings or the feature vector.
    var firstLayerInputs: Int {
        switch input {
        case .tokens(_, let perExample): perExample * embeddingDimension
        case .features(let width): width
        }
    }

    /// Dense forward FLOPs per example: what a straightforward implementation multiplies.
    public var forwardFlopsPerExample: Double {
        Linear.forwardFlops(count: 1, inputs: firstLayerInputs, outputs: width)
            + Double(depth - 1) * Linear.forwardFlops(count: 1, inputs: width, outputs: width)
            + Linear.forwardFlops(count: 1, inputs: width, outputs: classes)
    }
}
