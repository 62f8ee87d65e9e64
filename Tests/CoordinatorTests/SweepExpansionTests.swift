import Foundation
import Protocol
import Testing
import TrialSchema

@testable import Coordinator

/// Expands sweep text as if it were the file `sweeps/x.json`.
func expandSweep(_ text: String, file: String = "sweeps/x.json") throws -> SweepPlan {
    try SweepExpansion.expand(SweepFile.parse(data: Data(text.utf8), file: file))
}

/// The repository's `sweeps/` directory, found from this file's location.
let sweepsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("sweeps")

@Suite struct SweepExpansionTests {
    // MARK: Order and counts

    @Test func crossProductRunsFirstAxisSlowestAndSeedsInnermost() throws {
        let plan = try expandSweep(
            """
            { "name": "order",
              "grid": [ { "path": "task.operation", "values": ["add", "multiply"] },
                        { "path": "target.weightDecay", "values": [0.1, 0.3, 1] } ],
              "seeds": [7, 8] }
            """)
        #expect(plan.trials.count == 12)
        #expect(plan.cellCount == 6)
        #expect(plan.axisPaths == ["task.operation", "target.weightDecay"])
        let rows = plan.trials.map { $0.cellLabel.map(\.text) + [String($0.seed)] }
        #expect(rows.prefix(4) == [["add", "0.1", "7"], ["add", "0.1", "8"], ["add", "0.3", "7"], ["add", "0.3", "8"]])
        #expect(rows.last == ["multiply", "1", "8"])
        #expect(plan.trials[0].config.modular?.operation == .add)
        #expect(plan.trials[11].config.training.weightDecay == 1)
        #expect(Set(plan.trialIds).count == 12)
        #expect(Set(plan.trials.map(\.cellKey)).count == 6)
    }

    @Test func expansionIsDeterministic() throws {
        let text = try String(contentsOf: sweepsDirectory.appendingPathComponent("smoke.json"), encoding: .utf8)
        let first = try expandSweep(text)
        let second = try expandSweep(text)
        #expect(first.trialIds == second.trialIds)
        #expect(first.fingerprint == second.fingerprint)
    }

    @Test func emptyGridIsOneCell() throws {
        let plan = try expandSweep(#"{ "name": "one", "budget": 500, "seeds": [0, 1] }"#)
        #expect(plan.cellCount == 1)
        #expect(plan.trials.map(\.config.budget) == [500, 500])
        #expect(plan.trials.allSatisfy { $0.cellLabel.isEmpty })
    }

    // MARK: Seeds

    @Test(arguments: [
        (#""seeds": [3, 1, 2]"#, [3, 1, 2]),
        (#""seeds": { "count": 3 }"#, [0, 1, 2]),
        (#""seeds": { "count": 2, "start": 10 }"#, [10, 11]),
        (#""budget": 100"#, [0]),
    ])
    func seedForms(member: String, seeds: [Int]) throws {
        let plan = try expandSweep(#"{ "name": "s", \#(member) }"#)
        #expect(plan.trials.map(\.seed) == seeds)
        #expect(plan.seeds == seeds)
    }

    // MARK: Numbers and ids

    @Test func numbersWrittenDifferentlyGiveTheSameTrialIds() throws {
        let exponent = try expandSweep(
            #"{ "name": "a", "budget": 3e3, "grid": [{ "path": "target.warmupSteps", "values": [1e2, 2.5e2] }] }"#)
        let plain = try expandSweep(
            #"{ "name": "b", "base": { "budget": 3000 }, "grid": [{ "path": "target.warmupSteps", "values": [100, 250.0] }] }"#)
        #expect(exponent.trialIds == plain.trialIds)
        #expect(exponent.fingerprint == plain.fingerprint)
        #expect(exponent.trials[0].id == exponent.trials[0].config.id)
        #expect(exponent.trials.map { $0.cellLabel[0].text } == ["100", "250"])
    }

    // MARK: Zip, objects and branches

    @Test func zipVariesAxesTogether() throws {
        let plan = try expandSweep(
            """
            { "name": "z", "grid": [
                { "zip": [ { "path": "target.learningRate", "values": [0.001, 0.003, 0.001] },
                           { "path": "target.warmupSteps", "values": [0, 100, 200] } ] },
                { "path": "target.weightDecay", "values": [0.1, 1] } ] }
            """)
        #expect(plan.cellCount == 6)
        let pairs = plan.trials.map { [$0.config.training.learningRate, Double($0.config.training.warmupSteps)] }
        #expect(pairs.first == [0.001, 0] && pairs[2] == [0.003, 100] && pairs[4] == [0.001, 200])
        #expect(plan.axisPaths == ["target.learningRate", "target.warmupSteps", "target.weightDecay"])
    }

    @Test func objectValuesMergeUnlessReplaced() throws {
        let base = #""base": { "task": { "modulus": 31, "trainFraction": 0.3 } }"#
        let merged = try expandSweep(#"{ "name": "m", \#(base), "grid": [{ "path": "task", "values": [{ "operation": "multiply" }] }] }"#)
        #expect(merged.trials[0].config.modular?.modulus == 31)
        #expect(merged.trials[0].config.modular?.operation == .multiply)
        #expect(merged.trials[0].cellLabel[0].text == #"{"operation":"multiply"}"#)
        let replaced = try expandSweep(
            #"{ "name": "r", \#(base), "grid": [{ "path": "task", "values": [{ "operation": "multiply" }], "replace": true }] }"#)
        #expect(replaced.trials[0].config.modular?.modulus == 97)
        #expect(replaced.trials[0].config.modular?.trainFraction == 0.5)
    }

    @Test func variantsAreTheUnionOfBranchesEachWithItsOwnGrid() throws {
        let plan = try expandSweep(
            """
            { "name": "v", "grid": [
                { "path": "task.modulus", "values": [23, 31] },
                { "variants": [
                    { "set": { "task.operation": "add" } },
                    { "set": { "task.operation": "multiply", "target.depth": 2 },
                      "grid": [ { "path": "target.weightDecay", "values": [0.1, 1] } ] } ] } ],
              "baseline": { "task.operation": "add" } }
            """)
        #expect(plan.cellCount == 6)
        let labels = plan.trials.map(\.cellDescription)
        #expect(labels[0] == "task.modulus=23 task.operation=add")
        #expect(labels[1] == "task.modulus=23 target.depth=2 task.operation=multiply target.weightDecay=0.1")
        #expect(labels[3] == "task.modulus=31 task.operation=add")
        #expect(plan.trials[0].config.mlp?.depth == 1, "a branch's fixed values stay in that branch")
        #expect(plan.trials[1].config.mlp?.depth == 2)
        #expect(plan.axisPaths == ["task.modulus", "task.operation", "target.depth", "target.weightDecay"])
        #expect(plan.baselineCellKeys == [plan.trials[0].cellKey, plan.trials[3].cellKey])
    }

    @Test func shorthandsSetTrialFields() throws {
        let plan = try expandSweep(
            """
            { "name": "short", "task": { "modulus": 29 }, "budget": 1234, "evalEvery": 7,
              "thresholds": { "test": 0.9, "sustain": 5 }, "report": { "heatmap": ["target.width", "target.weightDecay"] },
              "grid": [ { "path": "target.width", "values": [64] }, { "path": "target.weightDecay", "values": [1] } ] }
            """)
        let config = plan.trials[0].config
        #expect(config.modular?.modulus == 29 && config.budget == 1234 && config.evalEvery == 7)
        #expect(config.thresholds.test == 0.9 && config.thresholds.sustain == 5 && config.thresholds.train == 0.99)
        #expect(plan.heatmapAxes == ["target.width", "target.weightDecay"])
    }

    // MARK: Shipped sweeps

    @Test func everyShippedSweepExpands() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: sweepsDirectory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.contains("smoke.json") && files.contains("canonical.json"))
        for file in files {
            let plan = try SweepPlan.load(path: sweepsDirectory.appendingPathComponent(file).path)
            #expect(!plan.trials.isEmpty, "\(file)")
            #expect(plan.name + ".json" == file, "a sweep's name matches its file name")
        }
    }

    @Test func smokeAndCanonicalHaveTheAgreedShape() throws {
        let smoke = try SweepPlan.load(path: sweepsDirectory.appendingPathComponent("smoke.json").path)
        #expect(smoke.cellCount == 2 && smoke.trials.count == 6)
        #expect(smoke.trials.allSatisfy { ($0.config.modular?.modulus ?? .max) <= 47 && $0.config.budget <= 5_000 })
        let canonical = try SweepPlan.load(path: sweepsDirectory.appendingPathComponent("canonical.json").path)
        #expect(canonical.trials.map(\.seed) == [0, 1, 2])
        let config = canonical.trials[0].config
        #expect(config.modular?.modulus == 97 && config.modular?.trainFraction == 0.5 && config.budget == 20_000)
        #expect(config.mlp?.embeddingDimensions == 128 && config.mlp?.width == 512)
        #expect(
            config.training.optimizer == .adamW(AdamSettings()) && config.training.learningRate == 1e-3 && config.training.weightDecay == 1)
    }

    // MARK: Table

    @Test func tableFitsOneHundredColumns() throws {
        let plan = try expandSweep(
            """
            { "name": "wide", "description": "\(String(repeating: "long words ", count: 20))",
              "grid": [ { "path": "target.learningRate", "values": [0.001, 0.0031622776601683794] },
                        { "path": "task", "values": [{ "operation": "polynomial", "modulus": 59, "trainFraction": 0.35 }] },
                        { "path": "target.activation", "values": ["gelu"] },
                        { "path": "target.weightDecay", "values": [0.1] } ],
              "seeds": { "count": 2 }, "baseline": { "target.activation": "gelu" } }
            """)
        let text = TrialTable(plan: plan).render()
        let lines = text.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 100 })
        #expect(lines.last?.hasPrefix("2 cells × 2 seeds = 4 trials") == true)
        #expect(text.contains(plan.trials[3].id))
    }

    @Test("expand on a six-axis sweep at 100 columns: labels on lines of their own, no value cut, every id shown")
    func sixAxisTableWraps() throws {
        let plan = try expandSweep(
            """
            { "name": "six", "base": { "method": "groktransfer" },
              "grid": [ { "path": "target.weightDecay", "values": [0.1, 1] },
                        { "path": "target.embeddingDim", "values": [64, 128] },
                        { "path": "weak.width", "values": [32, 64] },
                        { "path": "weak.embeddingDim", "values": [2, 4] },
                        { "path": "transfer.mode", "values": ["factorized", "randomA"] },
                        { "path": "weak.learningRate", "values": [0.01] } ],
              "seeds": { "count": 2 } }
            """)
        let text = TrialTable(plan: plan, width: 100).render()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count <= 100 })
        #expect(!text.contains("…"), "nothing is cut")
        #expect(plan.trials.allSatisfy { text.contains($0.id) })
        #expect(lines.contains { $0.hasPrefix(" 1  ") && $0.contains("mode=factorized") })
        // Both weak and target set embeddingDim: those keep their full paths; the rest are short.
        #expect(text.contains("target.embeddingDim=64") && text.contains("weak.embeddingDim=2") && text.contains(" width=32"))
        #expect(lines.last?.hasPrefix("32 cells × 2 seeds = 64 trials") == true)
    }
}
