import Protocol
import Testing

/// Decoding trial configs: defaults, method-specific sections, ids.
struct TrialConfigTests {
    @Test func defaultsAreTheCanonicalExperiment() throws {
        let config = try TrialConfig(json: .object([:]))
        #expect(config.task.modulus == 97 && config.task.trainFraction == 0.5)
        #expect(config.target.embeddingDim == 128 && config.target.width == 512 && config.target.weightDecay == 1)
        #expect(config.method == .scratch && config.weak == nil)
    }

    @Test func spelledOutDefaultsKeepTheId() throws {
        let bare = try TrialConfig(json: JSONValue.parse(#"{"seed": 1}"#))
        let explicit = try TrialConfig(json: JSONValue.parse(#"{"seed": 1, "budget": 2e4, "target": {"weightDecay": 1.0}}"#))
        #expect(bare.id == explicit.id)
        let other = try TrialConfig(json: JSONValue.parse(#"{"seed": 1, "target": {"weightDecay": 0.5}}"#))
        #expect(other.id != bare.id)
        // Round trip through the normalised JSON keeps the id.
        #expect(try TrialConfig(json: other.json).id == other.id)
    }

    @Test func grokTransferCarriesItsOwnSections() throws {
        let config = try TrialConfig(json: JSONValue.parse(
            #"{"method": "groktransfer", "weak": {"embeddingDim": 8, "budget": 500, "stopAtTestAccuracy": null}, "transfer": {"mode": "randomA"}}"#))
        #expect(config.weak?.stage.embeddingDim == 8 && config.weak?.budget == 500 && config.weak?.stopAtTestAccuracy == nil)
        #expect(config.transfer?.mode == .randomA)
        #expect(try TrialConfig(json: config.json) == config)
        let defaults = try TrialConfig(json: JSONValue.parse(#"{"method": "groktransfer"}"#))
        #expect(defaults.weak?.stage.embeddingDim == 4 && defaults.weak?.stage.width == 16)
        #expect(defaults.transfer?.mode == .factorized)
    }

    @Test(arguments: [
        (#"{"weak": {"width": 8}}"#, "$.weak", "no weak for method \"scratch\""),
        (#"{"method": "groktransfer", "weak": {"widht": 8}}"#, "$.weak.widht", "no such key"),
        (#"{"method": "groktransfer", "transfer": {"mode": "magic"}}"#, "$.transfer.mode", "one of"),
        (#"{"method": "groktransfer", "transfer": {"mode": "copy"}}"#, "$.weak.embeddingDim", "the target's embeddingDim"),
        (#"{"method": "groktransfer", "weak": {"stopAtTestAccuracy": 2}}"#, "$.weak.stopAtTestAccuracy", "a number in"),
        (#"{"method": "groktransfer", "transfer": {"mergeAfter": 0}}"#, "$.transfer.mergeAfter", "a positive step count"),
        (#"{"method": "groktransfer", "weak": {"embeddingDim": 128}, "transfer": {"mode": "copy", "mergeAfter": 5}}"#,
         "$.transfer.mergeAfter", "nothing to merge"),
    ])
    func badSectionsNameTheirPath(text: String, path: String, expectation: String) throws {
        let error = try #require(throws: ConfigError.self) { try TrialConfig(json: JSONValue.parse(text)) }
        #expect(error.path == path)
        #expect(error.expected.contains(expectation), "\(error)")
    }
}

struct TaskKindTests {
    @Test func eachKindReadsAndWritesOnlyItsOwnKeys() throws {
        let parity = try TrialConfig(json: JSONValue.parse(#"{"task": {"kind": "parity", "bits": 30}}"#))
        #expect(parity.task.kind == .parity && parity.task.bits == 30 && parity.task.order == 3)
        guard case .object(let members) = parity.task.json else { Issue.record("task JSON is not an object"); return }
        #expect(Set(members.keys) == ["kind", "bits", "order", "trainCount", "testCount"])
        #expect(try TrialConfig(json: parity.json) == parity)
        let xor = try TrialConfig(json: JSONValue.parse(#"{"task": {"kind": "xorCluster"}}"#))
        #expect(xor.task.trainCount == 400 && xor.task.noise == 0.05)
        let digits = try TrialConfig(json: JSONValue.parse(#"{"task": {"kind": "digits", "trainCount": 500}}"#))
        #expect(digits.task.trainCount == 500 && digits.id != xor.id)
        // Spelling out the modular kind keeps the canonical id.
        let modular = try TrialConfig(json: JSONValue.parse(#"{"task": {"kind": "modular", "modulus": 97}}"#))
        #expect(modular.id == TrialConfig.canonicalExample.id)
    }

    @Test(arguments: [
        (#"{"task": {"kind": "parity", "modulus": 7}}"#, "$.task.modulus", "no such key"),
        (#"{"task": {"kind": "parity", "bits": 4, "order": 5}}"#, "$.task.order", "1...bits (4)"),
        (#"{"task": {"kind": "digits", "trainCount": 1797}}"#, "$.task.trainCount", "1...1796"),
        (#"{"task": {"kind": "xorCluster", "dimension": 2}}"#, "$.task.dimension", "3..."),
        (#"{"task": {"kind": "mnist"}}"#, "$.task.kind", "one of"),
    ])
    func badTaskKeysNameTheirPath(text: String, path: String, expectation: String) throws {
        let error = try #require(throws: ConfigError.self) { try TrialConfig(json: JSONValue.parse(text)) }
        #expect(error.path == path)
        #expect(error.expected.contains(expectation), "\(error)")
    }
}
