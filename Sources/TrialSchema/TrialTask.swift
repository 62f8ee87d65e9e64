/// What the model learns: one task kind with its own settings.
public enum TrialTask: Hashable, Sendable {
    /// A formula of two or more operands mod p over every tuple, one token per operand.
    case modular(ModularTask)
    /// (n, k)-sparse parity: x ∈ {±1}ⁿ, label = product of the first k bits.
    case parity(ParityTask)
    /// GrokTransfer's XOR cluster data: two ±1 signal coordinates, the rest ±ε noise, label =
    /// XOR of the signal signs.
    case xorCluster(XorClusterTask)
    /// The 1 797 UCI 8 × 8 handwritten digits, pixels scaled to [0, 1].
    case digits(DigitsTask)

    /// The token sequence a transformer reads (`plain` for tasks without one).
    public var tokenLayout: TokenLayout {
        if case .modular(let task) = self { return task.layout }
        return .plain
    }

    /// Whether examples are token sequences (modular) rather than feature vectors.
    public var readsTokens: Bool {
        if case .modular = self { return true }
        return false
    }
}

/// The formulas modulo p. Binary: `add`, `subtract`, `multiply`, `divide` (b ≠ 0, prime p) and
/// `polynomial` (a² + ab + b²). NeuralGrok's harder tasks: `squareMinus` (a² − b) and
/// `dotMinus` (a·c + b·d − e, five operands).
public enum ModularOperation: String, CaseIterable, Hashable, Sendable {
    case add, subtract, multiply, divide, polynomial, squareMinus, dotMinus
}

/// Modular arithmetic: every tuple of operands mod `modulus` (under the papers' layouts without
/// the operands their code draws from 1..<p), split by the trial seed.
public struct ModularTask: Hashable, Sendable {
    public var operation = ModularOperation.add
    public var modulus = 97
    /// Fraction of all equations used for training; the rest is the test set.
    public var trainFraction = 0.5
    /// The sequence a transformer reads, and whether the papers' operand ranges apply.
    public var layout = TokenLayout.plain

    public init(
        operation: ModularOperation = .add, modulus: Int = 97, trainFraction: Double = 0.5,
        layout: TokenLayout = .plain
    ) {
        self.operation = operation
        self.modulus = modulus
        self.trainFraction = trainFraction
        self.layout = layout
    }
}

/// Sparse parity: fresh ±1 vectors of `bits` entries, labelled by the product of the first `order`.
public struct ParityTask: Hashable, Sendable {
    /// n: input bits.
    public var bits = 40
    /// k: the label is the product of the first k bits.
    public var order = 3
    public var trainCount = 1_000
    public var testCount = 1_000

    public init() {}
}

/// GrokTransfer's XOR cluster data, sampled fresh from the trial seed.
public struct XorClusterTask: Hashable, Sendable {
    /// p: input dimension (two signal coordinates, the rest noise).
    public var dimension = 2_000
    /// ε: amplitude of the noise coordinates.
    public var noise = 0.05
    /// The paper's 400 training points.
    public var trainCount = 400
    public var testCount = 1_000

    public init() {}
}

/// The UCI digits, split by the trial seed.
public struct DigitsTask: Hashable, Sendable {
    /// Images drawn for training; the rest of the 1 797 is the test set.
    public var trainCount = 1_000

    public init() {}
}
