import TrialSchema

/// The transformer's initial parameters under each `TransformerInitialization` scheme. One
/// generator (the trial's "init" stream) draws every slice in layout order; `scale` multiplies
/// each random draw (Omnigrok's α) and leaves the constant ones (LayerNorm 1 and 0, zero biases).
extension Transformer {
    public func initialize(seed: Int, scale: Double = 1, scheme: TransformerInitialization = .nanda) {
        var generator = SeededGenerator(seed: seed, stream: "init")
        for slice in parameters.slices {
            let values = parameters.value(slice)
            switch draw(for: slice.name, scheme: scheme, scale: scale) {
            case .constant(let constant):
                values.update(repeating: constant, count: slice.count)
            case .normal(let deviation):
                for index in 0..<slice.count { values[index] = Float(deviation * generator.normal()) }
            case .uniform(let bound):
                for index in 0..<slice.count { values[index] = Float(generator.uniform(-bound, bound)) }
            }
        }
    }

    /// How one parameter slice starts (random draws already scaled).
    enum InitialDraw: Equatable {
        case constant(Float)
        case normal(deviation: Double)
        case uniform(bound: Double)
    }

    func draw(for name: String, scheme: TransformerInitialization, scale: Double) -> InitialDraw {
        let isNorm = name.contains("norm")
        if isNorm { return .constant(name.hasSuffix(".weight") ? 1 : 0) }
        let (d, m) = (Double(shape.modelDimension), Double(shape.mlpDimension))
        // GrokTransfer's factor B (r × d) starts so that A·B has A's scale under either scheme.
        if name == "embedding.B" { return .normal(deviation: scale / Double(shape.embeddingRank ?? 1).squareRoot()) }
        switch scheme {
        case .nanda:
            // Nanda's `Transformer` code (reproduced in Omnigrok): N(0, 1/d_model), the
            // unembedding N(0, 1/V), biases 0.
            if name.hasSuffix(".bias") { return .constant(0) }
            let fanIn = name == unembedding.name ? Double(shape.vocabularySize) : d
            return .normal(deviation: scale / fanIn.squareRoot())
        case .pytorch:
            if name.hasPrefix("embedding.") { return .normal(deviation: scale) }
            // nn.MultiheadAttention._reset_parameters: Xavier-uniform in-projection (3d × d),
            // zero in- and out-projection biases; its out-projection weight keeps nn.Linear's.
            if name.hasSuffix("attention.qkv.weight") { return .uniform(bound: scale * (6 / (d + 3 * d)).squareRoot()) }
            if name.hasSuffix("attention.qkv.bias") || name.hasSuffix("attention.output.bias") { return .constant(0) }
            // nn.Linear: kaiming_uniform(a = √5) = U(±1/√fan_in) for the weight, the same bound for the bias.
            let fanIn = name.hasPrefix("block.") && name.contains("mlp.output.") ? m : d
            return .uniform(bound: scale / fanIn.squareRoot())
        }
    }
}
