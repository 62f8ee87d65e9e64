import TrialSchema

/// The formulas modulo a prime p: the canonical grokking tasks (Power et al. 2022) and
/// NeuralGrok's harder ones, with how the papers' code spells and ranges them.
extension ModularOperation {
    /// One token of a formula's infix spelling: an operand by index, or an operator by index
    /// into the formula's distinct operator tokens (p + 1 + index).
    public enum Term: Equatable, Sendable {
        case operand(Int)
        case `operator`(Int)
    }

    /// Operands per equation.
    public var operandCount: Int {
        switch self {
        case .add, .subtract, .multiply, .divide, .polynomial, .squareMinus: 2
        case .dotMinus: 5
        }
    }

    /// The formula's distinct operator tokens (one for every binary task, as the papers' code uses).
    public var operatorCount: Int {
        switch self {
        case .add, .subtract, .multiply, .divide, .polynomial: 1
        case .squareMinus: 2
        case .dotMinus: 3
        }
    }

    /// Operands the papers' code draws from 1..<p rather than 0..<p (NeuralGrok's `src/dataset.py`;
    /// Grokfast's `main.py` for the binary tasks).
    public var papersNonzeroOperands: Set<Int> {
        switch self {
        case .add, .subtract, .multiply, .divide, .polynomial, .squareMinus: [1]
        case .dotMinus: [2, 3]
        }
    }

    /// The `infix` sequence before `=`, as the papers' code spells it. NeuralGrok's code spells
    /// a² − b as `a × a − b` and a·c + b·d − e as `a × b + c × d − e` (operators ×, +, −): its
    /// reading order is not the formula's, and the model learns from the sequence as given.
    public var infixSpelling: [Term] {
        switch self {
        case .add, .subtract, .multiply, .divide, .polynomial: [.operand(0), .operator(0), .operand(1)]
        case .squareMinus: [.operand(0), .operator(0), .operand(0), .operator(1), .operand(1)]
        case .dotMinus:
            [.operand(0), .operator(0), .operand(1), .operator(1), .operand(2), .operator(0), .operand(3), .operator(2), .operand(4)]
        }
    }

    /// The formula's value mod p, or nil when undefined (division by zero).
    public func apply(_ x: [Int], modulus p: Int) -> Int? {
        precondition(x.count == operandCount, "\(self) takes \(operandCount) operands")
        let value: Int
        switch self {
        case .add: value = x[0] + x[1]
        case .subtract: value = x[0] - x[1]
        case .multiply: value = x[0] * x[1]
        case .divide:
            guard x[1] % p != 0 else { return nil }
            value = x[0] * ModularOperation.inverse(x[1], modulus: p)
        case .polynomial: value = x[0] * x[0] + x[0] * x[1] + x[1] * x[1]
        case .squareMinus: value = x[0] * x[0] - x[1]
        case .dotMinus: value = x[0] * x[2] + x[1] * x[3] - x[4]
        }
        return (value % p + p) % p
    }

    /// `a ∘ b mod p` for the binary formulas.
    public func apply(_ a: Int, _ b: Int, modulus p: Int) -> Int? { apply([a, b], modulus: p) }

    /// Equations over every operand tuple, counting `papersNonzeroOperands` as 1..<p when asked.
    public func equationCount(modulus p: Int, papersOperandRanges: Bool) -> Int {
        let nonzero = papersOperandRanges ? papersNonzeroOperands.count : 0
        var count = 1
        for _ in 0..<(operandCount - nonzero) { count = count.multipliedReportingOverflow(by: p).partialValue }
        for _ in 0..<nonzero { count = count.multipliedReportingOverflow(by: p - 1).partialValue }
        return count
    }

    /// b⁻¹ mod p by Fermat's little theorem (p prime).
    static func inverse(_ b: Int, modulus p: Int) -> Int {
        var result = 1, base = b % p, exponent = p - 2
        while exponent > 0 {
            if exponent & 1 == 1 { result = result * base % p }
            base = base * base % p
            exponent >>= 1
        }
        return result
    }
}

/// Every defined equation of a formula mod p as an example (operands…) → value, operand 0 most
/// significant in the order; the papers' operand ranges (`ModularOperation.papersNonzeroOperands`
/// from 1..<p) when `papersOperandRanges`, as the Grokfast and NeuralGrok code build their data.
public enum ModularArithmetic {
    /// More equations than this are refused: the data would not fit a worker.
    public static let equationLimit = 1 << 24

    public static func dataset(
        operation: ModularOperation, modulus p: Int, papersOperandRanges: Bool = false
    ) -> Dataset {
        let k = operation.operandCount
        let nonzero = papersOperandRanges ? operation.papersNonzeroOperands : []
        let lower = (0..<k).map { nonzero.contains($0) ? 1 : 0 }
        let total = operation.equationCount(modulus: p, papersOperandRanges: papersOperandRanges)
        precondition(total <= equationLimit, "\(total) equations exceed the limit of \(equationLimit)")
        var tokens: [Int32] = []
        var labels: [Int32] = []
        tokens.reserveCapacity(k * total)
        labels.reserveCapacity(total)
        var operands = lower
        while true {
            if let value = operation.apply(operands, modulus: p) {
                for operand in operands { tokens.append(Int32(operand)) }
                labels.append(Int32(value))
            }
            // Odometer step, the last operand fastest.
            var position = k - 1
            while position >= 0 {
                operands[position] += 1
                if operands[position] < p { break }
                operands[position] = lower[position]
                position -= 1
            }
            if position < 0 { break }
        }
        return Dataset(tokens: tokens, labels: labels, tokensPerExample: k, vocabularySize: p, classes: p)
    }
}
