import TrialSchema

/// Binary operations modulo a prime p: the canonical grokking tasks (Power et al. 2022).
extension ModularOperation {
    /// `a ∘ b mod p`, or nil when undefined (division by zero).
    public func apply(_ a: Int, _ b: Int, modulus p: Int) -> Int? {
        switch self {
        case .add: return (a + b) % p
        case .subtract: return ((a - b) % p + p) % p
        case .multiply: return (a * b) % p
        case .divide:
            guard b % p != 0 else { return nil }
            return (a * ModularOperation.inverse(b, modulus: p)) % p
        case .polynomial: return (a * a + a * b + b * b) % p
        }
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

/// Every defined equation `a ∘ b = c (mod p)` as a two-token example (a, b) → c; b ≠ 0 when
/// `excludingZeroSecondOperand`, as the Grokfast and NeuralGrok code build their data.
public enum ModularArithmetic {
    public static func dataset(
        operation: ModularOperation, modulus p: Int,
        excludingZeroSecondOperand: Bool = false
    ) -> Dataset {
        var tokens: [Int32] = []
        var labels: [Int32] = []
        tokens.reserveCapacity(2 * p * p)
        labels.reserveCapacity(p * p)
        for a in 0..<p {
            for b in (excludingZeroSecondOperand ? 1 : 0)..<p {
                guard let c = operation.apply(a, b, modulus: p) else { continue }
                tokens.append(Int32(a))
                tokens.append(Int32(b))
                labels.append(Int32(c))
            }
        }
        return Dataset(tokens: tokens, labels: labels, tokensPerExample: 2, vocabularySize: p, classes: p)
    }
}
