/// A gradient amplifier: a step between backward and the optimiser that reshapes the gradient
/// of the trial's (target) model. Trial-level and optional: absent, `null` and
/// `{"kind": "none"}` all mean no amplifier and give the same trial id.
///
/// Only the keys of the chosen kind are read and written, so adding a kind never changes the
/// ids of existing trials.
public struct AmplifierConfig: Hashable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        /// No amplifier (normalised away when decoding).
        case none
        /// Grokfast-EMA: μ ← α μ + (1 − α) g;  g ← g + λ μ  (Lee et al. 2024).
        case ema
        /// Grokfast-MA: g ← g + λ · mean of the last `window` gradients.
        case ma
        /// NeuralGrok: a learned per-entry amplifier trained by bilevel optimisation on a held-out
        /// part of the training set (Zhou et al. 2025).
        case neuralgrok
    }

    public var kind: Kind
    // ema
    public var alpha: Double = 0.98
    // ema, ma
    /// Amplification λ of the slow component (2 for EMA, 5 for MA by the papers' defaults).
    public var lamb: Double = 2.0
    // ma
    public var window: Int = 100
    /// Leave gradients unfiltered until the window is full (the reference code's default).
    public var warmup: Bool = true
    // neuralgrok
    /// Hidden layer widths of the amplifier MLP (1 → hidden… → 1, ReLU).
    public var hidden: [Int] = [32]
    /// Rescaling coefficient c: each tensor's amplified gradient has norm c.
    public var rescale: Double = 1.0
    /// Outer (amplifier) update every this many inner steps (T).
    public var outerEvery: Int = 4
    /// Learning rate of the amplifier's Adam optimiser.
    public var outerLearningRate: Double = 1e-4
    /// Fraction of the training set held out for the outer objective (the code's 1 % of the
    /// whole data set is 2 % of a half split).
    public var outerFraction: Double = 0.02
    /// Global gradient-norm clip after amplification (0 = off); the reference code clips at 1.
    public var clip: Double = 1.0

    public init(kind: Kind) {
        self.kind = kind
        if kind == .ma { lamb = 5.0 }
    }
}

extension AmplifierConfig {
    /// Decodes an amplifier section; nil for `kind: "none"`.
    static func decode(_ reader: ObjectReader?) throws -> AmplifierConfig? {
        guard var reader else { return nil }
        var config = AmplifierConfig(kind: try reader.choice("kind"))
        switch config.kind {
        case .none:
            break
        case .ema:
            config.alpha = try reader.number("alpha", default: config.alpha, in: 0...0.999_999, rangeText: "a number in [0, 1)")
            config.lamb = try reader.number("lamb", default: config.lamb, in: 0...1e4, rangeText: "a number ≥ 0")
        case .ma:
            config.window = try reader.integer("window", default: config.window, in: 1...100_000)
            config.lamb = try reader.number("lamb", default: config.lamb, in: 0...1e4, rangeText: "a number ≥ 0")
            config.warmup = try reader.bool("warmup", default: config.warmup)
        case .neuralgrok:
            config.hidden = try Self.widths(&reader, key: "hidden", default: config.hidden)
            config.rescale = try reader.number("rescale", default: config.rescale, in: 1e-6...1e6, rangeText: "a number > 0")
            config.outerEvery = try reader.integer("outerEvery", default: config.outerEvery, in: 1...1_000_000)
            config.outerLearningRate = try reader.number("outerLearningRate", default: config.outerLearningRate,
                                                         in: 1e-12...10, rangeText: "a number > 0")
            config.outerFraction = try reader.number("outerFraction", default: config.outerFraction, in: 0.001...0.5,
                                                     rangeText: "a fraction in [0.001, 0.5]")
            config.clip = try reader.number("clip", default: config.clip, in: 0...1e6, rangeText: "a number ≥ 0 (0 = off)")
        }
        try reader.finish()
        return config.kind == .none ? nil : config
    }

    private static func widths(_ reader: inout ObjectReader, key: String, default fallback: [Int]) throws -> [Int] {
        guard let raw = reader.value(key) else { return fallback }
        let path = reader.childPath(key)
        guard case .array(let items) = raw, !items.isEmpty, items.count <= 8 else {
            throw ConfigError(path: path, expected: "a list of 1 to 8 layer widths", found: raw.kindDescription)
        }
        return try items.enumerated().map { index, item in
            guard case .number(let number) = item, number == number.rounded(), number >= 1, number <= 4096 else {
                throw ConfigError(path: "\(path)[\(index)]", expected: "an integer in 1...4096", found: item.kindDescription)
            }
            return Int(number)
        }
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        switch kind {
        case .none:
            break
        case .ema:
            members["alpha"] = .number(alpha)
            members["lamb"] = .number(lamb)
        case .ma:
            members["window"] = .number(Double(window))
            members["lamb"] = .number(lamb)
            members["warmup"] = .bool(warmup)
        case .neuralgrok:
            members["hidden"] = .array(hidden.map { .number(Double($0)) })
            members["rescale"] = .number(rescale)
            members["outerEvery"] = .number(Double(outerEvery))
            members["outerLearningRate"] = .number(outerLearningRate)
            members["outerFraction"] = .number(outerFraction)
            members["clip"] = .number(clip)
        }
        return .object(members)
    }
}
