/// One fully specified trial: task, model and optimiser, budget, thresholds and seed.
///
/// This is the contract between sweep files, the coordinator and the worker. It is decoded from
/// JSON with defaults filled in, every unknown key or bad value rejected with its JSON path, and
/// re-encoded in a normalised form whose canonical text defines the trial id.
public struct TrialConfig: Hashable, Sendable {
    public var task: TaskConfig
    public var method: Method
    public var target: StageConfig
    /// GrokTransfer's weak model (only with `method: groktransfer`).
    public var weak: WeakStageConfig?
    /// How the weak model's embedding reaches the target (only with `method: groktransfer`).
    public var transfer: TransferConfig?
    /// A gradient amplifier on the target model (Grokfast, NeuralGrok); nil for none.
    public var amplifier: AmplifierConfig?
    /// Also record weight norm, gradient norm and AGE at every evaluation.
    public var diagnostics: Bool
    /// Maximum optimiser steps of the target model.
    public var budget: Int
    /// Evaluate train/test loss and accuracy every this many steps.
    public var evalEvery: Int
    public var thresholds: Thresholds
    /// Fixes initialisation, data split and batch order.
    public var seed: Int

    public enum Method: String, CaseIterable, Sendable {
        /// Train the target from scratch.
        case scratch
        /// Train a weak model first, then the target with its input embedding initialised
        /// from the weak model's (Xu et al., "Let Me Grok for You", ICLR 2025).
        case groktransfer
    }

    /// Accuracy thresholds defining memorisation (`train`) and grokking (`test`), each to be
    /// held for `sustain` consecutive evaluations.
    public struct Thresholds: Hashable, Sendable {
        public var train: Double = 0.99
        public var test: Double = 0.99
        public var sustain: Int = 3
        public init() {}
    }

    public static let canonicalExample = try! TrialConfig(json: .object([:]))
}

/// What the model learns. Only the keys of the chosen `kind` are read or written, so adding a
/// kind never changes the ids of existing trials.
public struct TaskConfig: Hashable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        /// a ∘ b mod p over all pairs, as two tokens.
        case modular
        /// (n, k)-sparse parity: x ∈ {±1}ⁿ, label = product of the first k bits.
        case parity
        /// GrokTransfer's XOR cluster data: two ±1 signal coordinates, the rest ±ε noise,
        /// label = XOR of the signal signs.
        case xorCluster
        /// The 1 797 UCI 8 × 8 handwritten digits, pixels scaled to [0, 1].
        case digits
    }
    /// Binary operations mod p; `divide` only for b ≠ 0; `polynomial` is a² + ab + b².
    public enum Operation: String, CaseIterable, Sendable { case add, subtract, multiply, divide, polynomial }

    public var kind: Kind = .modular
    // modular
    public var operation: Operation = .add
    public var modulus: Int = 97
    /// Fraction of all (a, b) pairs used for training; the rest is the test set.
    public var trainFraction: Double = 0.5
    // parity: n bits, label from the first k
    public var bits: Int = 40
    public var order: Int = 3
    // xorCluster: input dimension p and noise amplitude ε
    public var dimension: Int = 2_000
    public var noise: Double = 0.05
    // parity, xorCluster, digits
    /// Training examples (digits: drawn from the 1 797 images, the rest is the test set).
    public var trainCount: Int = 1_000
    /// Fresh test examples for the generated tasks.
    public var testCount: Int = 1_000
    public init() {}

    /// The defaults of a kind (the paper's settings where it has them).
    public init(kind: Kind) {
        self.init()
        self.kind = kind
        if kind == .xorCluster { trainCount = 400 }
    }
}

/// GrokTransfer's weak model: a training stage with its own budget and stop rule.
public struct WeakStageConfig: Hashable, Sendable {
    /// Defaults follow the paper's weak model: embedding 4, one hidden layer of 16.
    public var stage: StageConfig = {
        var stage = StageConfig()
        stage.embeddingDim = 4
        stage.width = 16
        return stage
    }()
    public var budget: Int = 10_000
    /// Stop the weak model at the first evaluation with test accuracy at least this; nil
    /// trains for the whole budget.
    public var stopAtTestAccuracy: Double? = 0.9
    public init() {}
}

/// How GrokTransfer initialises the target's embedding from the weak model's `E_weak`.
public struct TransferConfig: Hashable, Sendable {
    public enum Mode: String, CaseIterable, Sendable {
        /// E_T = A·B with A = E_weak (trainable) and B fresh: the paper's method.
        case factorized
        /// The same factorisation with A random: low rank without transfer (ablation).
        case randomA
        /// E_T = E_weak copied into a full embedding (needs equal dimensions; ablation).
        case copy
    }
    public var mode: Mode = .factorized
    /// Replace the factors by their product E_T = A·B, one full trainable matrix, after this
    /// many target steps (the paper's Figure 15b ablation); nil keeps the factorisation.
    public var mergeAfter: Int?
    public init() {}
}

/// A model and how it is trained: one training stage of a trial.
///
/// For `architecture: "transformer"` (a decoder-only transformer over the sequence `a b =`,
/// read at the last position) the sizes are: `depth` = layers, `embeddingDim` = d_model,
/// `width` = d_mlp, plus `heads`, `layerNorm` and `attentionBias`, which only transformers
/// read and write (so MLP trials keep their ids).
public struct StageConfig: Hashable, Sendable {
    public enum Architecture: String, CaseIterable, Sendable { case mlp, transformer }
    public enum Activation: String, CaseIterable, Sendable { case relu, gelu }
    /// `adam` adds weight decay to the gradient (coupled L2, `torch.optim.Adam`), as the
    /// Grokfast and NeuralGrok code trains; `adamw` decouples it.
    public enum Optimizer: String, CaseIterable, Sendable { case adamw, adam, sgd }
    public enum Loss: String, CaseIterable, Sendable { case crossEntropy, mse }

    public var architecture: Architecture = .mlp
    public var embeddingDim: Int = 128
    /// Hidden layer width.
    public var width: Int = 512
    /// Number of hidden layers.
    public var depth: Int = 1
    public var activation: Activation = .relu
    /// Multiplies every initial parameter (Omnigrok's α).
    public var initScale: Double = 1.0
    public var bias: Bool = true
    public var optimizer: Optimizer = .adamw
    public var learningRate: Double = 1e-3
    /// Decoupled for AdamW; plain L2 added to the gradient for SGD.
    public var weightDecay: Double = 1.0
    public var beta1: Double = 0.9
    public var beta2: Double = 0.98
    public var epsilon: Double = 1e-8
    /// SGD momentum.
    public var momentum: Double = 0
    /// Linear learning-rate warm-up over this many steps.
    public var warmupSteps: Int = 0
    /// Examples per step; 0 means the full training set.
    public var batchSize: Int = 0
    public var loss: Loss = .crossEntropy
    // transformer only
    /// Attention heads; must divide `embeddingDim`.
    public var heads: Int = 4
    /// Pre-LN blocks and a final LayerNorm (none by default, as in Nanda et al.).
    public var layerNorm: Bool = false
    /// Biases on the attention projections (none by default, as in Nanda et al.).
    public var attentionBias: Bool = false
    public init() {}
}

// MARK: - Decoding

extension TrialConfig {
    /// Decodes a trial from JSON, filling defaults (the canonical grokking experiment: modular
    /// addition mod 97, half the pairs for training, MLP d 128 / 512 ReLU, AdamW 1e-3, wd 1).
    public init(json: JSONValue) throws {
        var reader = try ObjectReader(json)
        task = try TaskConfig(reader: reader.object("task"), path: reader.childPath("task"))
        method = try reader.choice("method", default: .scratch)
        target = try StageConfig(reader: reader.object("target"), path: reader.childPath("target"))
        if method == .groktransfer {
            weak = try WeakStageConfig(reader: reader.object("weak"))
            transfer = try TransferConfig(reader: reader.object("transfer"))
            if transfer?.mode == .copy, transfer?.mergeAfter != nil {
                throw ConfigError(path: "$.transfer.mergeAfter", expected: "no mergeAfter for transfer mode \"copy\" (nothing to merge)",
                                  found: String(transfer?.mergeAfter ?? 0))
            }
            if transfer?.mode == .copy, weak?.stage.embeddingDim != target.embeddingDim {
                throw ConfigError(path: "$.weak.embeddingDim",
                                  expected: "the target's embeddingDim (\(target.embeddingDim)) for transfer mode \"copy\"",
                                  found: String(weak?.stage.embeddingDim ?? 0))
            }
        } else {
            // Each method carries only its own parameters.
            for key in ["weak", "transfer"] where reader.value(key) != nil {
                throw ConfigError(path: reader.childPath(key), expected: "no \(key) for method \"\(method.rawValue)\"",
                                  found: "a \(key) section")
            }
        }
        amplifier = try AmplifierConfig.decode(reader.object("amplifier"))
        diagnostics = try reader.bool("diagnostics", default: false)
        budget = try reader.integer("budget", default: 20_000, in: 1...100_000_000, rangeText: "a positive integer")
        evalEvery = try reader.integer("evalEvery", default: 10, in: 1...1_000_000, rangeText: "a positive integer")
        thresholds = Thresholds()
        if var limits = try reader.object("thresholds") {
            thresholds.train = try limits.number("train", default: thresholds.train, in: 0...1)
            thresholds.test = try limits.number("test", default: thresholds.test, in: 0...1)
            thresholds.sustain = try limits.integer("sustain", default: thresholds.sustain, in: 1...1000)
            try limits.finish()
        }
        seed = try reader.integer("seed", default: 0, in: 0...Int(Int32.max), rangeText: "an integer ≥ 0")
        try checkArchitectures(path: reader.path)
        try reader.finish()
    }

    /// The transformer reads token sequences and has no factorised embedding (yet): it runs
    /// modular tasks from scratch, and a weak model is always an MLP.
    private func checkArchitectures(path: String) throws {
        if weak?.stage.architecture == .transformer {
            throw ConfigError(path: path + ".weak.architecture", expected: "\"mlp\" (weak models are MLPs)",
                              found: "\"transformer\"")
        }
        guard target.architecture == .transformer else { return }
        if task.kind != .modular {
            throw ConfigError(path: path + ".target.architecture", expected: "\"mlp\" for task kind \"\(task.kind.rawValue)\"",
                              found: "\"transformer\" (it reads token sequences: modular tasks only)")
        }
        if method == .groktransfer {
            throw ConfigError(path: path + ".target.architecture", expected: "\"mlp\" for method \"groktransfer\"",
                              found: "\"transformer\"")
        }
    }

    /// Decodes a trial from JSON text, attributing errors to `file`.
    public init(text: String, file: String) throws {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch let error as JSONParseError {
            throw ConfigError(file: file, path: "$", expected: "valid JSON", found: error.description)
        }
        do { try self.init(json: json) } catch let error as ConfigError { throw error.inFile(file) }
    }
}

extension TaskConfig {
    init(reader: ObjectReader?, path: String) throws {
        self.init()
        guard var reader else { return }
        self.init(kind: try reader.choice("kind", default: Kind.modular))
        switch kind {
        case .modular:
            operation = try reader.choice("operation", default: operation)
            modulus = try reader.integer("modulus", default: modulus, in: 2...2000)
            trainFraction = try reader.number("trainFraction", default: trainFraction, in: 0.001...0.999,
                                              rangeText: "a fraction strictly between 0 and 1")
        case .parity:
            bits = try reader.integer("bits", default: bits, in: 1...100_000)
            order = try reader.integer("order", default: min(order, bits), in: 1...bits,
                                       rangeText: "an integer in 1...bits (\(bits))")
            try readCounts(&reader, generated: true)
        case .xorCluster:
            dimension = try reader.integer("dimension", default: dimension, in: 3...1_000_000)
            noise = try reader.number("noise", default: noise, in: 0...1)
            try readCounts(&reader, generated: true)
        case .digits:
            try readCounts(&reader, generated: false)
        }
        try reader.finish()
    }

    private mutating func readCounts(_ reader: inout ObjectReader, generated: Bool) throws {
        let most = generated ? 10_000_000 : 1_796
        trainCount = try reader.integer("trainCount", default: trainCount, in: 1...most)
        if generated { testCount = try reader.integer("testCount", default: testCount, in: 1...10_000_000) }
    }
}

extension WeakStageConfig {
    init(reader: ObjectReader?) throws {
        self.init()
        guard var reader else { return }
        try stage.read(from: &reader)
        budget = try reader.integer("budget", default: budget, in: 1...100_000_000, rangeText: "a positive integer")
        if reader.has("stopAtTestAccuracy") {
            stopAtTestAccuracy = try reader.number("stopAtTestAccuracy", in: 0...1)
        } else if reader.isNull("stopAtTestAccuracy") {
            stopAtTestAccuracy = nil
        }
        try reader.finish()
    }

    public var json: JSONValue {
        guard case .object(var members) = stage.json else { return stage.json }
        members["budget"] = .number(Double(budget))
        members["stopAtTestAccuracy"] = stopAtTestAccuracy.map(JSONValue.number) ?? .null
        return .object(members)
    }
}

extension TransferConfig {
    init(reader: ObjectReader?) throws {
        self.init()
        guard var reader else { return }
        mode = try reader.choice("mode", default: mode)
        if reader.has("mergeAfter") {
            mergeAfter = try reader.integer("mergeAfter", in: 1...100_000_000, rangeText: "a positive step count")
        }
        try reader.finish()
    }

    /// `mergeAfter` appears only when set, so configs without it keep their ids.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["mode": .string(mode.rawValue)]
        if let mergeAfter { members["mergeAfter"] = .number(Double(mergeAfter)) }
        return .object(members)
    }
}

extension StageConfig {
    init(reader: ObjectReader?, path: String) throws {
        self.init()
        guard var reader else { return }
        try read(from: &reader)
        try reader.finish()
    }

    /// Reads the stage's keys, leaving unknown-key checking to the caller (a weak stage has more).
    mutating func read(from reader: inout ObjectReader) throws {
        architecture = try reader.choice("architecture", default: architecture)
        embeddingDim = try reader.integer("embeddingDim", default: embeddingDim, in: 1...65_536)
        width = try reader.integer("width", default: width, in: 1...65_536)
        depth = try reader.integer("depth", default: depth, in: 1...64)
        activation = try reader.choice("activation", default: activation)
        initScale = try reader.number("initScale", default: initScale, in: 1e-6...1e6, rangeText: "a number > 0")
        bias = try reader.bool("bias", default: bias)
        optimizer = try reader.choice("optimizer", default: optimizer)
        learningRate = try reader.number("learningRate", default: learningRate, in: 1e-12...1e3, rangeText: "a number > 0")
        weightDecay = try reader.number("weightDecay", default: weightDecay, in: 0...1e4, rangeText: "a number ≥ 0")
        beta1 = try reader.number("beta1", default: beta1, in: 0...0.999_999_9, rangeText: "a number in [0, 1)")
        beta2 = try reader.number("beta2", default: beta2, in: 0...0.999_999_9, rangeText: "a number in [0, 1)")
        epsilon = try reader.number("epsilon", default: epsilon, in: 1e-20...1, rangeText: "a number in (0, 1]")
        momentum = try reader.number("momentum", default: momentum, in: 0...0.999_999_9, rangeText: "a number in [0, 1)")
        warmupSteps = try reader.integer("warmupSteps", default: warmupSteps, in: 0...100_000_000)
        batchSize = try reader.integer("batchSize", default: batchSize, in: 0...100_000_000,
                                       rangeText: "an integer ≥ 0 (0 = full batch)")
        loss = try reader.choice("loss", default: loss)
        if architecture == .transformer {
            heads = try reader.integer("heads", default: heads, in: 1...embeddingDim,
                                       rangeText: "an integer in 1...embeddingDim (\(embeddingDim))")
            guard embeddingDim % heads == 0 else {
                throw ConfigError(path: reader.childPath("heads"),
                                  expected: "a divisor of embeddingDim (\(embeddingDim))", found: String(heads))
            }
            layerNorm = try reader.bool("layerNorm", default: layerNorm)
            attentionBias = try reader.bool("attentionBias", default: attentionBias)
        }
    }
}

// MARK: - Encoding

extension TrialConfig {
    /// The normalised JSON form: every field present, defaults included.
    public var json: JSONValue {
        .object([
            "task": task.json,
            "method": .string(method.rawValue),
            "target": target.json,
            "weak": weak?.json ?? .null,
            "transfer": transfer?.json ?? .null,
            "amplifier": amplifier?.json ?? .null,
            "diagnostics": .bool(diagnostics),
            "budget": .number(Double(budget)),
            "evalEvery": .number(Double(evalEvery)),
            "thresholds": .object([
                "train": .number(thresholds.train),
                "test": .number(thresholds.test),
                "sustain": .number(Double(thresholds.sustain)),
            ]),
            "seed": .number(Double(seed)),
        ])
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

    private static let defaultJSON = canonicalExample.json
}

extension TaskConfig {
    public var json: JSONValue {
        var members: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        switch kind {
        case .modular:
            members["operation"] = .string(operation.rawValue)
            members["modulus"] = .number(Double(modulus))
            members["trainFraction"] = .number(trainFraction)
        case .parity:
            members["bits"] = .number(Double(bits))
            members["order"] = .number(Double(order))
        case .xorCluster:
            members["dimension"] = .number(Double(dimension))
            members["noise"] = .number(noise)
        case .digits: break
        }
        if kind != .modular { members["trainCount"] = .number(Double(trainCount)) }
        if kind == .parity || kind == .xorCluster { members["testCount"] = .number(Double(testCount)) }
        return .object(members)

    }
}

extension StageConfig {
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "architecture": .string(architecture.rawValue),
            "embeddingDim": .number(Double(embeddingDim)),
            "width": .number(Double(width)),
            "depth": .number(Double(depth)),
            "activation": .string(activation.rawValue),
            "initScale": .number(initScale),
            "bias": .bool(bias),
            "optimizer": .string(optimizer.rawValue),
            "learningRate": .number(learningRate),
            "weightDecay": .number(weightDecay),
            "beta1": .number(beta1),
            "beta2": .number(beta2),
            "epsilon": .number(epsilon),
            "momentum": .number(momentum),
            "warmupSteps": .number(Double(warmupSteps)),
            "batchSize": .number(Double(batchSize)),
            "loss": .string(loss.rawValue),
        ]
        if architecture == .transformer {
            members["heads"] = .number(Double(heads))
            members["layerNorm"] = .bool(layerNorm)
            members["attentionBias"] = .bool(attentionBias)
        }
        return .object(members)
    }
}

extension JSONValue {
    /// This value without the object members (recursively) that equal the same member of
    /// `reference`; members that are absent from `reference` are kept.
    public func removingMembers(equalTo reference: JSONValue) -> JSONValue {
        guard case .object(let members) = self, case .object(let referenceMembers) = reference else { return self }
        var kept: [String: JSONValue] = [:]
        for (key, value) in members {
            guard let referenceValue = referenceMembers[key] else { kept[key] = value; continue }
            if value == referenceValue { continue }
            let pruned = value.removingMembers(equalTo: referenceValue)
            if case .object(let inner) = pruned, inner.isEmpty, case .object = referenceValue { continue }
            kept[key] = pruned
        }
        return .object(kept)
    }
}

/// FNV-1a, 64 bit: a stable, dependency-free hash for ids (not for security).
public enum StableHash {
    public static func hex(of text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
