import Protocol
import Testing
import TrialSchema

/// The amplifier section, diagnostics flag and transformer keys of a trial config: decoding,
/// errors with paths, round trips, and ids of existing trials left unchanged.
struct AmplifierConfigTests {
    static func config(_ text: String) throws -> TrialConfig { try TrialConfig(json: JSONValue.parse(text)) }

    @Test func absentNullAndNoneAreTheSameTrial() throws {
        let bare = try Self.config(#"{"seed": 2}"#)
        for text in [
            #"{"seed": 2, "amplifier": null}"#, #"{"seed": 2, "amplifier": {"kind": "none"}}"#,
            #"{"seed": 2, "diagnostics": false}"#,
        ] {
            let other = try Self.config(text)
            #expect(other.amplifier == nil && other.id == bare.id)
        }
        guard case .object(let members) = bare.identity else {
            Issue.record("identity is not an object")
            return
        }
        #expect(members["amplifier"] == nil && members["diagnostics"] == nil)
    }

    @Test func kindsReadOnlyTheirOwnKeysWithPaperDefaults() throws {
        #expect(try Self.config(#"{"amplifier": {"kind": "ema"}}"#).amplifier == .ema(EMASettings(alpha: 0.98, lamb: 2)))
        #expect(
            try Self.config(#"{"amplifier": {"kind": "ma", "window": 50}}"#).amplifier
                == .movingAverage(MovingAverageSettings(window: 50, lamb: 5, warmup: true)))
        let neural = try Self.config(#"{"amplifier": {"kind": "neuralgrok", "hidden": [128, 128], "rescale": 0.2}}"#).amplifier
        #expect(neural == .neuralGrok(NeuralGrokSettings(hidden: [128, 128], rescale: 0.2, outerEvery: 4)))
        for amplifier in [Amplifier.ema(EMASettings()), .movingAverage(MovingAverageSettings()), .neuralGrok(NeuralGrokSettings())] {
            let trial = try TrialConfig(json: .object(["amplifier": amplifier.json]))
            #expect(trial.amplifier == amplifier)
        }
        // Spelled-out defaults keep the id; another setting changes it.
        let spelled = try Self.config(#"{"amplifier": {"kind": "ema", "alpha": 0.98, "lamb": 2}}"#)
        #expect(spelled.id == (try Self.config(#"{"amplifier": {"kind": "ema"}}"#)).id)
        #expect(spelled.id != (try Self.config(#"{"amplifier": {"kind": "ema", "lamb": 5}}"#)).id)
    }

    @Test(arguments: [
        (#"{"amplifier": {"kind": "ema", "window": 10}}"#, "$.amplifier.window", "no such key"),
        (#"{"amplifier": {"kind": "fast"}}"#, "$.amplifier.kind", "one of"),
        (#"{"amplifier": {"alpha": 0.9}}"#, "$.amplifier.kind", "one of"),
        (#"{"amplifier": {"kind": "ema", "alpha": 1.5}}"#, "$.amplifier.alpha", "[0, 1)"),
        (#"{"amplifier": {"kind": "neuralgrok", "hidden": []}}"#, "$.amplifier.hidden", "1 to 8 layer widths"),
        (#"{"amplifier": {"kind": "neuralgrok", "hidden": [32, 0.5]}}"#, "$.amplifier.hidden[1]", "an integer"),
        (#"{"target": {"architecture": "transformer", "embeddingDim": 100, "heads": 3}}"#, "$.target.heads", "a divisor"),
        (#"{"target": {"heads": 4}}"#, "$.target.heads", "no such key"),
        (#"{"task": {"kind": "parity"}, "target": {"architecture": "transformer"}}"#, "$.target.architecture", "modular"),
        (
            #"{"method": "groktransfer", "weak": {"embeddingDim": 16}, "transfer": {"mode": "copy"}, "target": {"architecture": "transformer"}}"#,
            "$.weak.embeddingDim", "the target's embeddingDim (128)"
        ),
        (#"{"method": "groktransfer", "weak": {"architecture": "transformer"}}"#, "$.weak.architecture", "weak models"),
        (#"{"target": {"architecture": "transformer", "bias": false}}"#, "$.target.bias", "no bias switch"),
        (#"{"target": {"architecture": "transformer", "embeddingDim": 2}}"#, "$.target.heads", "1...embeddingDim (2)"),
    ])
    func mistakesNameTheirPath(text: String, path: String, expectation: String) throws {
        let error = try #require(throws: ConfigError.self) { try Self.config(text) }
        #expect(error.path == path, "\(error)")
        #expect(error.expected.contains(expectation) || (error.found ?? "").contains(expectation), "\(error)")
    }

    @Test func transformerKeysAppearOnlyForTransformers() throws {
        let transformer = try Self.config(#"{"target": {"architecture": "transformer", "depth": 2, "heads": 8, "layerNorm": true}}"#)
        var expected = TransformerSettings()
        (expected.layers, expected.heads, expected.layerNorm) = (2, 8, true)
        #expect(transformer.target.architecture == .transformer(expected))
        #expect(try TrialConfig(json: transformer.json) == transformer)
        let mlp = try Self.config(#"{"method": "groktransfer"}"#)
        guard case .object(let target)? = mlp.json["target"], case .object(let weak)? = mlp.json["weak"] else {
            Issue.record("stages are not objects")
            return
        }
        #expect(target["heads"] == nil && weak["heads"] == nil && weak["layerNorm"] == nil)
        #expect(try Self.config(#"{"target": {"optimizer": "adam"}}"#).target.training.optimizer == .adam(AdamSettings()))
    }

    @Test func curvePointsCarryDiagnosticsOrNot() throws {
        let plain = CurvePoint(step: 10, trainLoss: 1, trainAccuracy: 0.5, testLoss: 2, testAccuracy: 0.25)
        let measured = CurvePoint(
            step: 20, trainLoss: 0.5, trainAccuracy: 1, testLoss: 1.5, testAccuracy: 0.5,
            diagnostics: GradientDiagnostics(weightNorm: 40, gradientNorm: 0.01, gradientEntropy: 3.5))
        for point in [plain, measured] {
            #expect(try CurvePoint(json: point.json, path: "$") == point)
        }
        guard case .array(let fields) = plain.json else {
            Issue.record("not an array")
            return
        }
        #expect(fields.count == 5)
    }
}
