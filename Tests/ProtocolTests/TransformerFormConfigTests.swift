import Protocol
import Testing
import TrialSchema

/// The faithful-model options in trial JSON: written only when set (so earlier configs keep
/// their normalised form and id), read back to the same trial, and refused where they clash.
struct TransformerFormConfigTests {
    static let faithful = #"""
        {"task": {"kind": "modular", "operation": "multiply", "layout": "infix"},
         "target": {"architecture": "transformer", "depth": 2, "activation": "gelu", "layerNorm": true,
                    "attentionBias": true, "block": "normalizedResidual", "initialization": "pytorch"}}
        """#

    @Test func faithfulOptionsRoundTrip() throws {
        let config = try TrialConfig(text: Self.faithful, file: "faithful.json")
        guard case .transformer(let model) = config.target.architecture, case .modular(let task) = config.task else {
            Issue.record("not a modular transformer trial")
            return
        }
        #expect(model.block == .normalizedResidual && model.initialization == .pytorch && task.layout == .infix)
        #expect(try TrialConfig(json: config.json) == config)
        #expect(config.json["target"]?["block"] == .string("normalizedResidual"))
        #expect(config.json["task"]?["layout"] == .string("infix"))
    }

    /// Spelling out the defaults changes nothing: not the form, not the id.
    @Test func defaultsAreNotWritten() throws {
        let bare = try TrialConfig(text: #"{"target": {"architecture": "transformer", "layerNorm": true}}"#, file: "bare.json")
        let spelled = try TrialConfig(
            text: #"""
                {"task": {"layout": "plain"}, "target": {"architecture": "transformer", "layerNorm": true, "block": "preNorm",
                 "initialization": "nanda"}}
                """#, file: "spelled.json")
        #expect(bare == spelled && bare.id == spelled.id)
        #expect(spelled.json["target"]?["block"] == nil && spelled.json["target"]?["initialization"] == nil)
        #expect(spelled.json["task"]?["layout"] == nil)
    }

    @Test(arguments: [
        (#"{"target": {"architecture": "transformer", "block": "normalizedResidual"}}"#, "$.target.block"),
        (#"{"target": {"architecture": "transformer", "initialization": "xavier"}}"#, "$.target.initialization"),
        (#"{"task": {"layout": "a op b ="}}"#, "$.task.layout"),
        (#"{"target": {"architecture": "mlp", "block": "preNorm"}}"#, "$.target.block"),
    ])
    func clashesAreRefused(text: String, path: String) {
        #expect {
            try TrialConfig(text: text, file: "bad.json")
        } throws: { error in
            (error as? ConfigError)?.description.contains(path) == true
        }
    }
}
