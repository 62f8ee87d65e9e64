/// How a modular equation is spelled as a token sequence, with the operand ranges the papers'
/// code pairs with it. Tokens: residues 0..<p, `=` = p, the formula's operators p + 1, p + 2, ….
public enum TokenLayout: String, CaseIterable, Hashable, Sendable {
    /// The operands then `=`, over every tuple; logits over the p residues (Nanda et al.).
    case plain
    /// The formula as the Grokfast code (binary) and NeuralGrok's `src/dataset.py` spell it,
    /// e.g. `a op b =`; logits over every token.
    case infix
    /// The operands, then the formula's operators, then `=` (NeuralGrok's `neuralgrad` branch),
    /// e.g. `a b op =`; logits over every token.
    case postfix

    /// Whether operands the papers' code draws from 1..<p (b of the binary tasks) skip 0.
    public var usesPapersOperandRanges: Bool { self != .plain }
}
