import TrialSchema

/// The JSON form of a trial: the member tables of every schema type. The layout is the one
/// earlier versions wrote (flat `task`, `target`, `weak`, `transfer` and `amplifier` objects),
/// so the normalised form — and with it every trial id — is unchanged: members a case does not
/// have but earlier versions always wrote appear as `FixedMember`s at their old default.

// MARK: - Trial

extension TrialConfig: ConfigObject {
    public static var defaults: TrialConfig { TrialConfig() }

    public static var fields: [ConfigField<TrialConfig>] {
        [
            .union("task", \.task),
            .inline(\.method),
            .object("target", \.target),
            .optionalUnion("amplifier", \.amplifier, none: "none"),
            .flag("diagnostics", \.diagnostics),
            .integer("budget", \.budget, in: 1...100_000_000, "a positive integer"),
            .integer("evalEvery", \.evalEvery, in: 1...1_000_000, "a positive integer"),
            .object("thresholds", \.thresholds),
            .integer("seed", \.seed, in: 0...Int(Int32.max), "an integer ≥ 0"),
        ]
    }

    /// The transformer reads token sequences: modular tasks only. GrokTransfer's `copy` needs
    /// equal sizes on both sides (a transformer target's d_model is its embedding dimension).
    public static func validate(_ config: TrialConfig, at path: String) throws {
        if case .transformer = config.target.architecture {
            if !config.task.readsTokens {
                throw ConfigError(
                    path: path + ".target.architecture", expected: "\"mlp\" for task kind \"\(config.task.caseName)\"",
                    found: "\"transformer\" (it reads token sequences: modular tasks only)")
            }
        }
        guard case .grokTransfer(let weak, .copy) = config.method else { return }
        // Tokens copy the embedding table (V × d), features the first layer (width × inputs).
        let (key, weakSize, targetSize) =
            switch config.target.architecture {
            case .transformer(let target): ("embeddingDim", weak.model.embeddingDimensions, target.modelDimensions)
            case .mlp(let target):
                config.task.readsTokens
                    ? ("embeddingDim", weak.model.embeddingDimensions, target.embeddingDimensions)
                    : ("width", weak.model.width, target.width)
            }
        if weakSize != targetSize {
            throw ConfigError(
                path: "\(path).weak.\(key)", expected: "the target's \(key) (\(targetSize)) for transfer mode \"copy\"",
                found: String(weakSize))
        }
    }
}

extension Thresholds: ConfigObject {
    public static var defaults: Thresholds { Thresholds() }

    public static var fields: [ConfigField<Thresholds>] {
        [
            .number("train", \.train, in: 0...1),
            .number("test", \.test, in: 0...1),
            .integer("sustain", \.sustain, in: 1...1000),
        ]
    }
}

extension Method: ConfigUnion {
    public static var tag: String { "method" }

    public static var cases: [ConfigCase<Method>] {
        [
            .unit(
                "scratch", .scratch,
                fixed: ["weak", "transfer"].map { key in
                    FixedMember(key, .null, expected: "no \(key) for method \"scratch\"", found: "a \(key) section")
                }),
            ConfigCase(
                "groktransfer", matches: { if case .grokTransfer = $0 { true } else { false } },
                read: { current, reader in
                    var (weak, transfer) = (WeakStage(), Transfer.factorized(mergeAfter: nil))
                    if case .grokTransfer(let currentWeak, let currentTransfer)? = current {
                        (weak, transfer) = (currentWeak, currentTransfer)
                    }
                    try ConfigField<WeakStage>.object("weak", \.self).read(&weak, &reader)
                    try ConfigField<Transfer>.union("transfer", \.self).read(&transfer, &reader)
                    return .grokTransfer(weak: weak, transfer: transfer)
                },
                write: { method, members in
                    guard case .grokTransfer(let weak, let transfer) = method else { return }
                    members["weak"] = weak.json
                    ConfigField<Transfer>.union("transfer", \.self).write(transfer, &members)
                }),
        ]
    }
}

extension WeakStage: ConfigObject {
    public static var defaults: WeakStage { WeakStage() }

    public static var fields: [ConfigField<WeakStage>] {
        [
            .fixed(FixedMember("architecture", .string("mlp"), expected: "\"mlp\" (weak models are MLPs)")),
            .inline(\.model),
            .inline(\.training),
            .integer("budget", \.budget, in: 1...100_000_000, "a positive integer"),
            .nullableNumber("stopAtTestAccuracy", \.stopAtTestAccuracy, in: 0...1),
        ]
    }
}

extension Transfer: ConfigUnion {
    public static var tag: String { "mode" }

    public static var cases: [ConfigCase<Transfer>] {
        [
            factorization("factorized", Transfer.factorized, { if case .factorized(let steps) = $0 { steps } else { nil } }),
            factorization("randomA", Transfer.randomA, { if case .randomA(let steps) = $0 { steps } else { nil } }),
            .unit(
                "copy", .copy,
                fixed: [
                    FixedMember("mergeAfter", nil, expected: "no mergeAfter for transfer mode \"copy\" (nothing to merge)")
                ]),
        ]
    }

    /// A factorised case: `mergeAfter` only when set, so configs without it keep their ids.
    private static func factorization(
        _ name: String, _ embed: @escaping (Int?) -> Transfer,
        _ extract: @escaping (Transfer) -> Int??
    ) -> ConfigCase<Transfer> {
        ConfigCase(
            name, matches: { extract($0) != nil },
            read: { current, reader in
                var steps = current.flatMap(extract) ?? nil
                try ConfigField<Int?>.optionalInteger("mergeAfter", \.self, in: 1...100_000_000, "a positive step count")
                    .read(&steps, &reader)
                return embed(steps)
            },
            write: { transfer, members in
                if let steps = extract(transfer) ?? nil { members["mergeAfter"] = .number(Double(steps)) }
            })
    }
}

// MARK: - Task

extension TrialTask: ConfigUnion {
    public static var tag: String { "kind" }

    public static var cases: [ConfigCase<TrialTask>] {
        [
            .payload("modular", TrialTask.modular, { if case .modular(let task) = $0 { task } else { nil } }),
            .payload("parity", TrialTask.parity, { if case .parity(let task) = $0 { task } else { nil } }),
            .payload("xorCluster", TrialTask.xorCluster, { if case .xorCluster(let task) = $0 { task } else { nil } }),
            .payload("digits", TrialTask.digits, { if case .digits(let task) = $0 { task } else { nil } }),
        ]
    }
}

extension ModularTask: ConfigObject {
    public static var defaults: ModularTask { ModularTask() }

    public static var fields: [ConfigField<ModularTask>] {
        [
            .choice("operation", \.operation),
            .integer("modulus", \.modulus, in: 2...2000),
            .number("trainFraction", \.trainFraction, in: 0.001...0.999, "a fraction strictly between 0 and 1"),
            .choice("layout", \.layout, omittedAt: .plain),
        ]
    }
}

extension ParityTask: ConfigObject {
    public static var defaults: ParityTask { ParityTask() }

    public static var fields: [ConfigField<ParityTask>] {
        [
            .integer("bits", \.bits, in: 1...100_000),
            .integer(
                "order", \.order, in: { 1...$0.bits }, { "an integer in 1...bits (\($0.bits))" },
                default: { min($0.order, $0.bits) }),
            .integer("trainCount", \.trainCount, in: 1...10_000_000),
            .integer("testCount", \.testCount, in: 1...10_000_000),
        ]
    }
}

extension XorClusterTask: ConfigObject {
    public static var defaults: XorClusterTask { XorClusterTask() }

    public static var fields: [ConfigField<XorClusterTask>] {
        [
            .integer("dimension", \.dimension, in: 3...1_000_000),
            .number("noise", \.noise, in: 0...1),
            .integer("trainCount", \.trainCount, in: 1...10_000_000),
            .integer("testCount", \.testCount, in: 1...10_000_000),
        ]
    }
}

extension DigitsTask: ConfigObject {
    public static var defaults: DigitsTask { DigitsTask() }

    /// Training images come out of the 1 797; the rest is the test set.
    public static var fields: [ConfigField<DigitsTask>] { [.integer("trainCount", \.trainCount, in: 1...1_796)] }
}

// MARK: - Model and training

extension Stage: ConfigObject {
    public static var defaults: Stage { Stage() }

    /// The model's members and its training's side by side in one object, as a sweep writes them.
    public static var fields: [ConfigField<Stage>] { [.inline(\.architecture), .inline(\.training)] }
}

extension Architecture: ConfigUnion {
    public static var tag: String { "architecture" }

    public static var cases: [ConfigCase<Architecture>] {
        [
            .payload("mlp", Architecture.mlp, { if case .mlp(let model) = $0 { model } else { nil } }),
            // Earlier versions wrote every stage's `bias`; transformers never read it.
            .payload(
                "transformer", Architecture.transformer, { if case .transformer(let model) = $0 { model } else { nil } },
                fixed: [FixedMember("bias", .bool(true), expected: "true or nothing (transformers have no bias switch)")]),
        ]
    }
}

extension MLPSettings: ConfigObject {
    public static var defaults: MLPSettings { MLPSettings() }

    public static var fields: [ConfigField<MLPSettings>] {
        [
            .integer("embeddingDim", \.embeddingDimensions, in: 1...65_536),
            .integer("width", \.width, in: 1...65_536),
            .integer("depth", \.depth, in: 1...64),
            .choice("activation", \.activation),
            .flag("bias", \.bias),
        ]
    }
}

extension TransformerSettings: ConfigObject {
    public static var defaults: TransformerSettings { TransformerSettings() }

    /// The MLP's keys name the transformer's sizes: `embeddingDim` = d_model, `width` = d_mlp,
    /// `depth` = layers.
    public static var fields: [ConfigField<TransformerSettings>] {
        [
            .integer("embeddingDim", \.modelDimensions, in: 1...65_536),
            .integer("width", \.mlpDimensions, in: 1...65_536),
            .integer("depth", \.layers, in: 1...64),
            .choice("activation", \.activation),
            .integer(
                "heads", \.heads, in: { 1...$0.modelDimensions }, { "an integer in 1...embeddingDim (\($0.modelDimensions))" },
                default: \.heads),
            .flag("layerNorm", \.layerNorm),
            .flag("attentionBias", \.attentionBias),
            .choice("block", \.block, omittedAt: .preNorm),
            .choice("initialization", \.initialization, omittedAt: .nanda),
        ]
    }

    public static func validate(_ model: TransformerSettings, at path: String) throws {
        if model.block == .normalizedResidual, !model.layerNorm {
            throw ConfigError(
                path: path + ".block", expected: "\"preNorm\" without layerNorm (the normalised residual is ln₁'s output)",
                found: "\"normalizedResidual\"")
        }
        guard model.modelDimensions % model.heads == 0 else {
            throw ConfigError(
                path: path + ".heads", expected: "a divisor of embeddingDim (\(model.modelDimensions))",
                found: String(model.heads))
        }
    }
}

extension TrainingSettings: ConfigObject {
    public static var defaults: TrainingSettings { TrainingSettings() }

    public static var fields: [ConfigField<TrainingSettings>] {
        [
            .number("initScale", \.initScale, in: 1e-6...1e6, "a number > 0"),
            .inline(\.optimizer),
            .number("learningRate", \.learningRate, in: 1e-12...1e3, "a number > 0"),
            .number("weightDecay", \.weightDecay, in: 0...1e4, "a number ≥ 0"),
            .integer("warmupSteps", \.warmupSteps, in: 0...100_000_000),
            .integer("batchSize", \.batchSize, in: 0...100_000_000, "an integer ≥ 0 (0 = full batch)"),
            .choice("loss", \.loss),
        ]
    }
}

extension OptimizerSettings: ConfigUnion {
    public static var tag: String { "optimizer" }

    /// Earlier versions wrote every optimiser's settings on every stage: each case writes the
    /// others' at their defaults and accepts them only there.
    public static var cases: [ConfigCase<OptimizerSettings>] {
        let adamOnly = AdamSettings()
        let sgdOnly = [FixedMember("momentum", .number(SGDSettings().momentum), expected: "no momentum for an Adam optimizer (SGD's)")]
        let adamFixed = [("beta1", adamOnly.beta1), ("beta2", adamOnly.beta2), ("epsilon", adamOnly.epsilon)].map { key, value in
            FixedMember(key, .number(value), expected: "no \(key) for optimizer \"sgd\" (Adam's)")
        }
        return [
            .payload("adamw", OptimizerSettings.adamW, { if case .adamW(let settings) = $0 { settings } else { nil } }, fixed: sgdOnly),
            .payload("adam", OptimizerSettings.adam, { if case .adam(let settings) = $0 { settings } else { nil } }, fixed: sgdOnly),
            .payload("sgd", OptimizerSettings.sgd, { if case .sgd(let settings) = $0 { settings } else { nil } }, fixed: adamFixed),
        ]
    }
}

extension AdamSettings: ConfigObject {
    public static var defaults: AdamSettings { AdamSettings() }

    public static var fields: [ConfigField<AdamSettings>] {
        [
            .number("beta1", \.beta1, in: 0...0.999_999_9, "a number in [0, 1)"),
            .number("beta2", \.beta2, in: 0...0.999_999_9, "a number in [0, 1)"),
            .number("epsilon", \.epsilon, in: 1e-20...1, "a number in (0, 1]"),
        ]
    }
}

extension SGDSettings: ConfigObject {
    public static var defaults: SGDSettings { SGDSettings() }

    public static var fields: [ConfigField<SGDSettings>] {
        [.number("momentum", \.momentum, in: 0...0.999_999_9, "a number in [0, 1)")]
    }
}

// MARK: - Amplifier

extension Amplifier: ConfigUnion {
    public static var tag: String { "kind" }

    public static var cases: [ConfigCase<Amplifier>] {
        [
            .payload("ema", Amplifier.ema, { if case .ema(let settings) = $0 { settings } else { nil } }),
            .payload("ma", Amplifier.movingAverage, { if case .movingAverage(let settings) = $0 { settings } else { nil } }),
            .payload("neuralgrok", Amplifier.neuralGrok, { if case .neuralGrok(let settings) = $0 { settings } else { nil } }),
        ]
    }
}

extension EMASettings: ConfigObject {
    public static var defaults: EMASettings { EMASettings() }

    public static var fields: [ConfigField<EMASettings>] {
        [
            .number("alpha", \.alpha, in: 0...0.999_999, "a number in [0, 1)"),
            .number("lamb", \.lamb, in: 0...1e4, "a number ≥ 0"),
        ]
    }
}

extension MovingAverageSettings: ConfigObject {
    public static var defaults: MovingAverageSettings { MovingAverageSettings() }

    public static var fields: [ConfigField<MovingAverageSettings>] {
        [
            .integer("window", \.window, in: 1...100_000),
            .number("lamb", \.lamb, in: 0...1e4, "a number ≥ 0"),
            .flag("warmup", \.warmup),
        ]
    }
}

extension NeuralGrokSettings: ConfigObject {
    public static var defaults: NeuralGrokSettings { NeuralGrokSettings() }

    public static var fields: [ConfigField<NeuralGrokSettings>] {
        [
            .widths("hidden", \.hidden),
            .number("rescale", \.rescale, in: 1e-6...1e6, "a number > 0"),
            .integer("outerEvery", \.outerEvery, in: 1...1_000_000),
            .number("outerLearningRate", \.outerLearningRate, in: 1e-12...10, "a number > 0"),
            .number("outerFraction", \.outerFraction, in: 0.001...0.5, "a fraction in [0.001, 0.5]"),
            .number("clip", \.clip, in: 0...1e6, "a number ≥ 0 (0 = off)"),
        ]
    }
}

extension ConfigField {
    /// 1 to 8 layer widths, each in 1...4096.
    static func widths(_ key: String, _ path: WritableKeyPath<Root, [Int]>) -> ConfigField {
        ConfigField(
            read: { root, reader in
                guard let raw = reader.value(key) else { return }
                let itemsPath = reader.childPath(key)
                guard case .array(let items) = raw, !items.isEmpty, items.count <= 8 else {
                    throw ConfigError(path: itemsPath, expected: "a list of 1 to 8 layer widths", found: raw.kindDescription)
                }
                root[keyPath: path] = try items.enumerated().map { index, item in
                    guard case .number(let number) = item, number == number.rounded(), number >= 1, number <= 4096 else {
                        throw ConfigError(path: "\(itemsPath)[\(index)]", expected: "an integer in 1...4096", found: item.kindDescription)
                    }
                    return Int(number)
                }
            }, write: { root, members in members[key] = .array(root[keyPath: path].map { .number(Double($0)) }) })
    }
}

// MARK: - Identity

extension TrialConfig {
    /// The canonical grokking experiment: every default.
    public static var canonicalExample: TrialConfig { TrialConfig() }

    /// Decodes a trial from JSON text, attributing errors to `file`.
    public init(text: String, file: String) throws {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch let error as JSONParseError {
            throw ConfigError(file: file, path: "$", expected: "valid JSON", found: error.description)
        }
        do { try self.init(json: json) } catch let error as ConfigError { throw error.inFile(file) }
    }

    /// What identifies the trial: the normalised config without the members that hold their
    /// default value, so fields added in later versions (with defaults) keep existing ids.
    public var identity: JSONValue { json.removingMembers(equalTo: Self.defaultJSON) }

    /// Hash of the canonical identity: equal trials have equal ids wherever they are expanded,
    /// however their numbers were written and whether defaults were spelled out.
    public var id: String { StableHash.hex(of: identity.canonicalText) }

    /// The trial's cell: the same config with the seed removed, hashed the same way.
    public var cellKey: String {
        var copy = self
        copy.seed = 0
        return copy.id
    }

    /// What a saved state of the trial must match: the id computed with the budget left at its
    /// default, so a state saved under one budget continues under a raised one, and a run
    /// directory recognises a sweep file whose only change is a raised budget.
    public var stateKey: String {
        var unbudgeted = self
        unbudgeted.budget = TrialConfig().budget
        return unbudgeted.id
    }

    private static let defaultJSON = TrialConfig().json
}

extension ConfigUnion {
    /// The name of this value's case, as the tag writes it.
    public var caseName: String { Self.cases.first { $0.matches(self) }?.name ?? "" }
}
