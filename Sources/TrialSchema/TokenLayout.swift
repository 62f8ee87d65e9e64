/// How a modular equation is spelled as a token sequence, with the operand range the papers'
/// code pairs with it. Tokens: residues 0..<p, `=` = p, the operator p + 1.
public enum TokenLayout: String, CaseIterable, Hashable, Sendable {
    /// `a b =` over every pair; logits over the p residues (Nanda et al.).
    case plain
    /// `a op b =` with b ≠ 0, logits over all p + 2 tokens (the Grokfast code's sequence and head).
    case infix
    /// `a b op =` with b ≠ 0, logits over all p + 2 tokens (the NeuralGrok code's).
    case postfix

    /// Whether the second operand skips 0, as the papers' data builders do.
    public var excludesZeroSecondOperand: Bool { self != .plain }
}
