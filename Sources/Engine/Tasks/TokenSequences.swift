import TrialSchema

/// The sequence each `TokenLayout` builds from an example's operand tokens.
extension TokenLayout {
    /// Operands are the example's `inputTokens` ids in 0..<vocabulary; `=` is `vocabulary`, the
    /// operator `vocabulary + 1`. `infix` puts the operator between consecutive operands.
    public func sequence(
        inputTokens k: Int, vocabulary: Int
    )
        -> (layout: TransformerShape.SequenceLayout, vocabulary: Int)
    {
        typealias Slot = TransformerShape.SequenceLayout.Slot
        let equals = Slot.constant(Int32(vocabulary)), operation = Slot.constant(Int32(vocabulary + 1))
        let operands = (0..<k).map { Slot.input($0) }
        let slots: [Slot] =
            switch self {
            case .plain: operands + [equals]
            case .infix: operands.enumerated().flatMap { index, operand in index == 0 ? [operand] : [operation, operand] } + [equals]
            case .postfix: operands + [operation, equals]
            }
        return (TransformerShape.SequenceLayout(inputTokens: k, slots: slots), self == .plain ? vocabulary + 1 : vocabulary + 2)
    }
}
