import Protocol
import Testing
import TrialSchema

/// Decoding trial configs: defaults, method-specific sections, ids.
struct TrialConfigTests {
    static func config(_ text: String) throws -> TrialConfig { try TrialConfig(json: JSONValue.parse(text)) }

    @Test func defaultsAreTheCanonicalExperiment() throws {
        let config = try TrialConfig(json: .object([:]))
        #expect(config == TrialConfig())
        #expect(config.task == .modular(ModularTask(operation: .add, modulus: 97, trainFraction: 0.5)))
        #expect(config.target.architecture == .mlp(MLPSettings(embeddingDimensions: 128, width: 512)))
        #expect(config.target.training.weightDecay == 1 && config.target.training.optimizer == .adamW(AdamSettings()))
        #expect(config.method == .scratch && config.amplifier == nil)
    }

    @Test func spelledOutDefaultsKeepTheId() throws {
        let bare = try Self.config(#"{"seed": 1}"#)
        let explicit = try Self.config(#"{"seed": 1, "budget": 2e4, "target": {"weightDecay": 1.0}}"#)
        #expect(bare.id == explicit.id)
        let other = try Self.config(#"{"seed": 1, "target": {"weightDecay": 0.5}}"#)
        #expect(other.id != bare.id)
        // Round trip through the normalised JSON keeps the id.
        #expect(try TrialConfig(json: other.json).id == other.id)
    }

    @Test func grokTransferCarriesItsOwnSections() throws {
        let config = try Self.config(
            #"{"method": "groktransfer", "weak": {"embeddingDim": 8, "budget": 500, "stopAtTestAccuracy": null}, "transfer": {"mode": "randomA"}}"#
        )
        guard case .grokTransfer(let weak, let transfer) = config.method else {
            Issue.record("not a GrokTransfer trial")
            return
        }
        #expect(weak.model.embeddingDimensions == 8 && weak.budget == 500 && weak.stopAtTestAccuracy == nil)
        #expect(transfer == .randomA(mergeAfter: nil))
        #expect(try TrialConfig(json: config.json) == config)
        let defaults = try Self.config(#"{"method": "groktransfer"}"#)
        #expect(defaults.method == .grokTransfer(weak: WeakStage(), transfer: .factorized(mergeAfter: nil)))
        #expect(WeakStage().model == MLPSettings(embeddingDimensions: 4, width: 16))
    }

    @Test(arguments: [
        (#"{"weak": {"width": 8}}"#, "$.weak", "no weak for method \"scratch\""),
        (#"{"method": "groktransfer", "weak": {"widht": 8}}"#, "$.weak.widht", "no such key"),
        (#"{"method": "groktransfer", "transfer": {"mode": "magic"}}"#, "$.transfer.mode", "one of"),
        (#"{"method": "groktransfer", "transfer": {"mode": "copy"}}"#, "$.weak.embeddingDim", "the target's embeddingDim"),
        (
            #"{"task": {"kind": "parity"}, "method": "groktransfer", "transfer": {"mode": "copy"}}"#, "$.weak.width",
            "the target's width"
        ),
        (#"{"method": "groktransfer", "weak": {"stopAtTestAccuracy": 2}}"#, "$.weak.stopAtTestAccuracy", "a number in"),
        (#"{"method": "groktransfer", "transfer": {"mergeAfter": 0}}"#, "$.transfer.mergeAfter", "a positive step count"),
        (
            #"{"method": "groktransfer", "weak": {"embeddingDim": 128}, "transfer": {"mode": "copy", "mergeAfter": 5}}"#,
            "$.transfer.mergeAfter", "nothing to merge"
        ),
        (#"{"target": {"optimizer": "sgd", "beta1": 0.5}}"#, "$.target.beta1", "no beta1 for optimizer \"sgd\""),
        (#"{"target": {"momentum": 0.9}}"#, "$.target.momentum", "no momentum for an Adam optimizer"),
        (#"{"target": {"optimizer": "rmsprop"}}"#, "$.target.optimizer", "one of \"adamw\", \"adam\", \"sgd\""),
        (#"{"budget": "long"}"#, "$.budget", "a number"),
        (#"{"thresholds": {"test": 1.5}}"#, "$.thresholds.test", "a number in"),
        (#"{"seed": 1, "seeds": 2}"#, "$.seeds", "no such key"),
    ])
    func badSectionsNameTheirPath(text: String, path: String, expectation: String) throws {
        let error = try #require(throws: ConfigError.self) { try Self.config(text) }
        #expect(error.path == path)
        #expect(error.expected.contains(expectation), "\(error)")
    }

    /// Every optimiser writes the others' settings at their defaults (the layout earlier versions
    /// wrote, which the ids hash) and reads back to the same value.
    @Test(arguments: ["adamw", "adam", "sgd"])
    func optimizersKeepTheLegacyLayout(name: String) throws {
        let config = try Self.config(#"{"target": {"optimizer": "\#(name)"}}"#)
        guard case .object(let target)? = config.json["target"] else {
            Issue.record("no target object")
            return
        }
        #expect(Set(["beta1", "beta2", "epsilon", "momentum"]).isSubset(of: target.keys))
        #expect(try TrialConfig(json: config.json) == config)
    }
}

struct TaskKindTests {
    @Test func eachKindReadsAndWritesOnlyItsOwnKeys() throws {
        let parity = try TrialConfigTests.config(#"{"task": {"kind": "parity", "bits": 30}}"#)
        guard case .parity(let task) = parity.task else {
            Issue.record("not parity")
            return
        }
        #expect(task.bits == 30 && task.order == 3)
        guard case .object(let members) = parity.task.json else {
            Issue.record("task JSON is not an object")
            return
        }
        #expect(Set(members.keys) == ["kind", "bits", "order", "trainCount", "testCount"])
        #expect(try TrialConfig(json: parity.json) == parity)
        let xor = try TrialConfigTests.config(#"{"task": {"kind": "xorCluster"}}"#)
        #expect(xor.task == .xorCluster(XorClusterTask()) && XorClusterTask().trainCount == 400)
        let digits = try TrialConfigTests.config(#"{"task": {"kind": "digits", "trainCount": 500}}"#)
        guard case .digits(let images) = digits.task else {
            Issue.record("not digits")
            return
        }
        #expect(images.trainCount == 500 && digits.id != xor.id)
        // Spelling out the modular kind keeps the canonical id.
        let modular = try TrialConfigTests.config(#"{"task": {"kind": "modular", "modulus": 97}}"#)
        #expect(modular.id == TrialConfig.canonicalExample.id)
        // Parity's order defaults to at most the bit count.
        #expect(try TrialConfigTests.config(#"{"task": {"kind": "parity", "bits": 2}}"#).task.json["order"] == .number(2))
    }

    @Test(arguments: [
        (#"{"task": {"kind": "parity", "modulus": 7}}"#, "$.task.modulus", "no such key"),
        (#"{"task": {"kind": "parity", "bits": 4, "order": 5}}"#, "$.task.order", "1...bits (4)"),
        (#"{"task": {"kind": "digits", "trainCount": 1797}}"#, "$.task.trainCount", "1...1796"),
        (#"{"task": {"kind": "xorCluster", "dimension": 2}}"#, "$.task.dimension", "3..."),
        (#"{"task": {"kind": "mnist"}}"#, "$.task.kind", "one of"),
        (#"{"task": [1]}"#, "$.task", "an object"),
    ])
    func badTaskKeysNameTheirPath(text: String, path: String, expectation: String) throws {
        let error = try #require(throws: ConfigError.self) { try TrialConfigTests.config(text) }
        #expect(error.path == path)
        #expect(error.expected.contains(expectation), "\(error)")
    }
}
