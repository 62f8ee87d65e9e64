/// How a transformer's parameters are drawn before training; `TrainingSettings.initScale`
/// multiplies every random draw on top (LayerNorm gains stay 1, zero biases stay 0).
public enum TransformerInitialization: String, CaseIterable, Hashable, Sendable {
    /// Nanda et al.'s scheme: every matrix and embedding N(0, 1/d_model), the unembedding
    /// N(0, 1/V), biases 0.
    case nanda
    /// PyTorch's per-layer defaults, which the Grokfast, NeuralGrok and GrokTransfer code keep:
    /// `nn.Embedding` N(0, 1) (token and position); `nn.MultiheadAttention` in-projection
    /// Xavier-uniform with bias 0, out-projection U(±1/√d) with bias 0; every other
    /// `nn.Linear` U(±1/√fan_in) for weight and bias; LayerNorm (1, 0).
    case pytorch
}

/// What a block's attention residual adds onto (only with LayerNorm).
public enum TransformerBlockForm: String, CaseIterable, Hashable, Sendable {
    /// `x + attn(ln₁(x))`, then `+ mlp(ln₂(·))`: the usual pre-LN block.
    case preNorm
    /// `x ← ln₁(x); x + attn(x)`, then `+ mlp(ln₂(·))`: the block of the Grokfast and NeuralGrok
    /// code, whose residual stream restarts from the normalised input in every block.
    case normalizedResidual
}
