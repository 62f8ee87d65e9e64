import TrialSchema

/// The shape of a decoder-only transformer over fixed-length token sequences: vocabulary,
/// sequence layout, widths, depth, activation, whether LayerNorm is used and the block's form.
///
/// The classifier reads the residual stream at the last position only (the modular tasks
/// predict one answer token), through a bias-free unembedding to `classes` logits.
public struct TransformerShape: Sendable, Equatable {
    public typealias Activation = MLPShape.Activation

    /// How an example becomes a sequence: each position holds one of the example's
    /// `inputTokens` ids or a constant id (`=`, an operator), e.g. `a op b =`.
    public struct SequenceLayout: Sendable, Equatable {
        public enum Slot: Sendable, Equatable {
            /// The example's input token at this index.
            case input(Int)
            case constant(Int32)
        }

        public var inputTokens: Int
        public var slots: [Slot]

        public init(inputTokens: Int, slots: [Slot]) {
            precondition(!slots.isEmpty, "a sequence needs a position")
            precondition(
                slots.allSatisfy { if case .input(let index) = $0 { (0..<inputTokens).contains(index) } else { true } },
                "a slot reads an input the example does not have")
            self.inputTokens = inputTokens
            self.slots = slots
        }

        /// The inputs in order, then the constant ids of `appendedTokens` (e.g. `[p]` for `a b =`).
        public init(inputTokens: Int, appendedTokens: [Int32] = []) {
            self.init(
                inputTokens: inputTokens,
                slots: (0..<inputTokens).map { Slot.input($0) } + appendedTokens.map { Slot.constant($0) })
        }

        public var length: Int { slots.count }

        var constants: [Int32] { slots.compactMap { if case .constant(let token) = $0 { token } else { nil } } }
    }

    public var vocabularySize: Int
    public var sequence: SequenceLayout
    public var modelDimension: Int
    public var heads: Int
    public var mlpDimension: Int
    public var layers: Int
    public var classes: Int
    public var activation: Activation
    /// Pre-LN blocks and a final LayerNorm when true; no normalisation at all when false (Nanda).
    public var layerNorm: Bool
    /// Biases on the query/key/value and attention-output projections (PyTorch's
    /// `nn.MultiheadAttention` has them; Nanda's attention does not).
    public var attentionBias: Bool
    /// What each block's attention residual adds onto (`normalizedResidual` needs `layerNorm`).
    public var blockForm: TransformerBlockForm
    /// r when the token table is factorised E = A·B (A: V × r, B: r × d), as GrokTransfer builds it.
    public var embeddingRank: Int?

    public init(
        vocabularySize: Int, sequence: SequenceLayout, modelDimension: Int, heads: Int, mlpDimension: Int,
        layers: Int, classes: Int, activation: Activation = .relu, layerNorm: Bool = false,
        attentionBias: Bool = false, blockForm: TransformerBlockForm = .preNorm, embeddingRank: Int? = nil
    ) {
        precondition(layers >= 1, "a transformer needs at least one layer")
        precondition(heads >= 1 && modelDimension % heads == 0, "model dimension \(modelDimension) not divisible by \(heads) heads")
        precondition(sequence.constants.allSatisfy { $0 >= 0 && Int($0) < vocabularySize }, "constant token outside the vocabulary")
        precondition(blockForm == .preNorm || layerNorm, "a normalised residual needs LayerNorm")
        self.vocabularySize = vocabularySize
        self.sequence = sequence
        self.modelDimension = modelDimension
        self.heads = heads
        self.mlpDimension = mlpDimension
        self.layers = layers
        self.classes = classes
        self.activation = activation
        self.layerNorm = layerNorm
        self.attentionBias = attentionBias
        self.blockForm = blockForm
        precondition(embeddingRank.map { $0 >= 1 } ?? true, "an embedding rank is at least 1")
        self.embeddingRank = embeddingRank
    }

    /// Nanda's modular-arithmetic transformer (d 128, 4 heads, d_mlp 512, ReLU, no LayerNorm)
    /// over `a b =`: vocabulary p + 1 with `=` = p, or p and sequence `a b` without it.
    public static func modularArithmetic(
        modulus p: Int, layers: Int = 1, modelDimension: Int = 128, heads: Int = 4,
        mlpDimension: Int = 512, activation: Activation = .relu,
        layerNorm: Bool = false, equalsToken: Bool = true
    ) -> TransformerShape {
        TransformerShape(
            vocabularySize: equalsToken ? p + 1 : p,
            sequence: SequenceLayout(inputTokens: 2, appendedTokens: equalsToken ? [Int32(p)] : []),
            modelDimension: modelDimension, heads: heads, mlpDimension: mlpDimension, layers: layers,
            classes: p, activation: activation, layerNorm: layerNorm)
    }

    public var sequenceLength: Int { sequence.length }
    public var headDimension: Int { modelDimension / heads }

    /// Dense forward FLOPs per example: every layer at every position (projections, attention
    /// scores and mixing, MLP), the unembedding at the last position.
    public var forwardFlopsPerExample: Double {
        let (t, d, m) = (Double(sequenceLength), Double(modelDimension), Double(mlpDimension))
        let projections = 2 * t * d * 3 * d + 2 * t * d * d
        let attention = 2 * 2 * t * t * d
        let mlp = 2 * 2 * t * d * m
        return Double(layers) * (projections + attention + mlp) + 2 * d * Double(classes)
    }
}
