import TrialSchema

/// The sequence each `TokenLayout` builds from an example's operand tokens.
extension TokenLayout {
    /// Operands are the example's tokens, ids in 0..<modulus; `=` is `modulus`, the formula's
    /// operators `modulus + 1 + i`. Returns the layout and the vocabulary it reads.
    public func sequence(
        for operation: ModularOperation, modulus p: Int
    )
        -> (layout: TransformerShape.SequenceLayout, vocabulary: Int)
    {
        typealias Slot = TransformerShape.SequenceLayout.Slot
        let k = operation.operandCount
        let equals = Slot.constant(Int32(p))
        let operators = (0..<operation.operatorCount).map { Slot.constant(Int32(p + 1 + $0)) }
        let operands = (0..<k).map { Slot.input($0) }
        let slots: [Slot] =
            switch self {
            case .plain: operands + [equals]
            case .infix:
                operation.infixSpelling.map { term in
                    switch term {
                    case .operand(let index): operands[index]
                    case .operator(let index): operators[index]
                    }
                } + [equals]
            case .postfix: operands + operators + [equals]
            }
        let vocabulary = self == .plain ? p + 1 : p + 1 + operators.count
        return (TransformerShape.SequenceLayout(inputTokens: k, slots: slots), vocabulary)
    }
}
