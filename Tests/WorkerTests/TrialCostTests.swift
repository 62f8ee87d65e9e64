import Engine
import Protocol
import Testing
import TrialSchema

@testable import Worker

/// The cost of a trial before it runs, and the worker's refusal of one that cannot fit.
struct TrialCostTests {
    static func config(_ text: String) throws -> TrialConfig { try TrialConfig(json: JSONValue.parse(text)) }

    @Test("the canonical MLP: its parameter count exactly, memory and FLOPs per step to the formula")
    func canonicalMLP() throws {
        let cost = try TrialCost.of(Self.config("{}"))
        // Embedding 97 × 128, hidden (2·128) × 512 + 512, output 512 × 97 + 97.
        #expect(cost.parameters == 97 * 128 + 256 * 512 + 512 + 512 * 97 + 97)
        #expect(cost.bytes > 4 * 4 * cost.parameters && cost.bytes < 200_000_000)
        // Full batch of half the 97² pairs, three times the forward pass.
        let train = 97 * 97 / 2
        #expect(cost.flopsPerStep == 3 * Double(train) * 2 * Double(256 * 512 + 512 * 97))
    }

    @Test("a transformer's parameters grow with its layers as the formula says")
    func transformerLayers() throws {
        let one = try TrialCost.of(Self.config(#"{ "target": { "architecture": "transformer", "depth": 1 } }"#))
        let two = try TrialCost.of(Self.config(#"{ "target": { "architecture": "transformer", "depth": 2 } }"#))
        #expect(two.parameters > one.parameters && two.flopsPerStep > one.flopsPerStep)
        #expect(two.parameters - one.parameters == 4 * 128 * 128 + 2 * 128 * 512 + 512 + 128)
    }

    @Test("a typo'd size (width 65536, depth 2) is refused before anything is allocated, with the figure")
    func oversizedTrialIsRefused() throws {
        let config = try Self.config(#"{ "target": { "width": 65536, "depth": 2 } }"#)
        let cost = try TrialCost.of(config)
        #expect(cost.bytes > 50_000_000_000)
        let result = TrialExecution.run(config, host: "test")
        #expect(result.outcome == .failed)
        #expect(result.error?.contains("needs about") == true && result.error?.contains("GB") == true, "\(result.error ?? "")")
    }

    /// Regression: `grok-worker trial` runs trials through `TrialCheckpointing` (for its state
    /// options), which skipped the check that `TrialExecution` made.
    @Test("the path of grok-worker trial (TrialCheckpointing) refuses it too")
    func oversizedTrialIsRefusedWithCheckpointing() throws {
        let config = try Self.config(#"{ "target": { "width": 65536, "depth": 2 } }"#)
        #expect {
            try TrialCheckpointing(config: config).run(host: "test")
        } throws: { error in
            "\(error)".contains("needs about")
        }
    }
}
