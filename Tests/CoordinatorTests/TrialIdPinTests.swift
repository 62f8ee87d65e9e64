import Foundation
import Protocol
import Testing
import TrialSchema

@testable import Coordinator

/// Trial ids name run directories' journal entries: a change to the config schema or its
/// canonical encoding that moved an id would orphan every existing run. These pins were taken
/// from the code before the typed schema; a sweep file changed on purpose updates its row here
/// in the same commit, saying why.
@Suite struct TrialIdPinTests {
    /// Per sweep file: trial count, then `StableHash` of the sorted trial ids, of the sorted cell
    /// keys, and of the normalised configs' canonical text (sorted by id, one per line).
    @Test(arguments: [
        ("amplifier.json", 24, "f39a42ce2f283805", "9083f960460b8dd3", "b65cb7b80b69b92d"),
        ("canonical.json", 3, "c4a0999bff8a35d7", "f28b3e53d4891387", "dc1d206abaadb1fa"),
        ("combined.json", 12, "ed8d26604ce9e903", "69b9b5f4a180da0d", "b109510f594133d7"),
        ("digits.json", 9, "3659d0a33517a772", "6d0998d7124dd4a9", "a1c538512f98cd5e"),
        ("grokfast.json", 9, "4dc52de3b79eb5f1", "4c8be83b703eda5b", "f0b9eed8c10d8f0e"),
        ("neuralgrok.json", 6, "a41a54ed4c8b0d91", "34088b053ce59e67", "5d300290c73a6709"),
        // NeuralGrok's own tasks, added with the k-operand formulas.
        ("neuralgrok-mod7.json", 12, "22ae9d2590c58f81", "f6c75421996da911", "8732dbc619b08901"),
        ("neuralgrok-table1.json", 48, "713b62ac0cdad86d", "57131bb9c7ee8825", "db7328417be1dffb"),
        ("parity.json", 15, "56acdd297ec75bdb", "708e1c7c7b31e568", "1f3c65a69c312214"),
        // GrokTransfer into transformers, added with the factorised token table.
        ("transfer-deep.json", 6, "a21165dacc9c1fe1", "977c738ddaea5da2", "5ab8e243018d6da5"),
        ("transfer-transformer.json", 42, "d7d4e7bd087d659f", "19b33399cf1c4904", "0dfd3cd7b191be66"),
        ("smoke.json", 6, "66218c5bb6ac1dd0", "decc2c6254d3f1ab", "a2c5b9c9d91ab82d"),
        ("weakdim.json", 60, "05cf8331a020c677", "d638db14a059da69", "256c8f5cc38e73cf"),
        ("xorcluster.json", 12, "e43757fd55689d6a", "fbc18c2767aff60c", "16486305a5996d84"),
    ])
    func sweepFileKeepsItsIds(file: String, count: Int, ids: String, cells: String, configs: String) throws {
        let plan = try SweepPlan.load(path: sweepsDirectory.appendingPathComponent(file).path)
        let trials = plan.trials.sorted { $0.id < $1.id }
        #expect(trials.count == count)
        #expect(StableHash.hex(of: trials.map(\.id).joined(separator: "\n")) == ids)
        #expect(StableHash.hex(of: Set(trials.map(\.cellKey)).sorted().joined(separator: "\n")) == cells)
        #expect(StableHash.hex(of: trials.map(\.config.json.canonicalText).joined(separator: "\n")) == configs)
        #expect(trials.allSatisfy { $0.config.id == $0.id })
    }

    @Test func everySweepFileIsPinned() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: sweepsDirectory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(
            files == [
                "amplifier.json", "canonical.json", "combined.json", "digits.json", "grokfast.json",
                "neuralgrok-mod7.json", "neuralgrok-table1.json", "neuralgrok.json", "parity.json", "smoke.json",
                "transfer-deep.json", "transfer-transformer.json", "weakdim.json", "xorcluster.json",
            ])
    }

    @Test func smokeAndCanonicalIdsLiterally() throws {
        let smoke = try SweepPlan.load(path: sweepsDirectory.appendingPathComponent("smoke.json").path)
        #expect(
            smoke.trialIds == [
                "ab88bddbbd5e5745", "6bece2259419d8e1", "fbdf479c8f7e158a",
                "46c7ef9e749da462", "fd31300ed8ed321e", "4c9c826d3beeab05",
            ])
        let canonical = try SweepPlan.load(path: sweepsDirectory.appendingPathComponent("canonical.json").path)
        #expect(canonical.trialIds == ["08f44b07b5901a25", "0130ed7ff6234403", "013aed7ff62b9888"])
        #expect(TrialConfig.canonicalExample.id == "08f44b07b5901a25")
    }

    @Test(arguments: [
        ("grokfast_transformer_trial.json", "d4ee41a668e0dec1"),
        ("transformer_grokking.json", "3c59935b894d7399"),
    ])
    func benchmarkConfigKeepsItsId(file: String, id: String) throws {
        let url = sweepsDirectory.deletingLastPathComponent().appendingPathComponent("benchmarks").appendingPathComponent(file)
        #expect(try TrialConfig(text: String(contentsOf: url, encoding: .utf8), file: file).id == id)
    }

    /// One config per kind (task, model, method, transfer mode, amplifier, optimiser): its id and
    /// its whole normalised form.
    @Test(arguments: [
        (
            #"{"task":{"kind":"modular","operation":"multiply","modulus":23},"target":{"architecture":"transformer","depth":2,"embeddingDim":32,"heads":4,"width":64,"activation":"gelu","layerNorm":true,"attentionBias":true,"optimizer":"adam","weightDecay":0.005,"warmupSteps":10,"batchSize":64},"amplifier":{"kind":"ema"},"budget":150,"evalEvery":10,"diagnostics":true,"seed":3}"#,
            "82729192ceca3673",
            #"{"amplifier":{"alpha":0.98,"kind":"ema","lamb":2},"budget":150,"diagnostics":true,"evalEvery":10,"method":"scratch","seed":3,"target":{"activation":"gelu","architecture":"transformer","attentionBias":true,"batchSize":64,"beta1":0.9,"beta2":0.98,"bias":true,"depth":2,"embeddingDim":32,"epsilon":1e-08,"heads":4,"initScale":1,"layerNorm":true,"learningRate":0.001,"loss":"crossEntropy","momentum":0,"optimizer":"adam","warmupSteps":10,"weightDecay":0.005,"width":64},"task":{"kind":"modular","modulus":23,"operation":"multiply","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null}"#
        ),
        (
            #"{"task":{"kind":"parity","bits":20,"order":3,"trainCount":300,"testCount":200},"method":"groktransfer","weak":{"width":8,"budget":100,"stopAtTestAccuracy":null,"optimizer":"sgd","learningRate":0.1},"transfer":{"mode":"factorized","mergeAfter":50},"target":{"width":64,"optimizer":"sgd","momentum":0.5,"learningRate":0.05,"weightDecay":0.01,"batchSize":32},"amplifier":{"kind":"ma","window":5},"budget":150,"evalEvery":10,"seed":1}"#,
            "96fce9237d33b4d2",
            #"{"amplifier":{"kind":"ma","lamb":5,"warmup":true,"window":5},"budget":150,"diagnostics":false,"evalEvery":10,"method":"groktransfer","seed":1,"target":{"activation":"relu","architecture":"mlp","batchSize":32,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":128,"epsilon":1e-08,"initScale":1,"learningRate":0.05,"loss":"crossEntropy","momentum":0.5,"optimizer":"sgd","warmupSteps":0,"weightDecay":0.01,"width":64},"task":{"bits":20,"kind":"parity","order":3,"testCount":200,"trainCount":300},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":{"mergeAfter":50,"mode":"factorized"},"weak":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"budget":100,"depth":1,"embeddingDim":4,"epsilon":1e-08,"initScale":1,"learningRate":0.1,"loss":"crossEntropy","momentum":0,"optimizer":"sgd","stopAtTestAccuracy":null,"warmupSteps":0,"weightDecay":1,"width":8}}"#
        ),
        (
            #"{"task":{"kind":"xorCluster","dimension":50,"noise":0.2,"trainCount":100,"testCount":100},"method":"groktransfer","weak":{"width":3,"budget":50,"bias":false},"transfer":{"mode":"randomA"},"target":{"width":32,"bias":false,"optimizer":"sgd","learningRate":0.1,"weightDecay":0.1},"budget":100,"evalEvery":5,"seed":2}"#,
            "62aa4bef607c36aa",
            #"{"amplifier":null,"budget":100,"diagnostics":false,"evalEvery":5,"method":"groktransfer","seed":2,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":false,"depth":1,"embeddingDim":128,"epsilon":1e-08,"initScale":1,"learningRate":0.1,"loss":"crossEntropy","momentum":0,"optimizer":"sgd","warmupSteps":0,"weightDecay":0.1,"width":32},"task":{"dimension":50,"kind":"xorCluster","noise":0.2,"testCount":100,"trainCount":100},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":{"mode":"randomA"},"weak":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":false,"budget":50,"depth":1,"embeddingDim":4,"epsilon":1e-08,"initScale":1,"learningRate":0.001,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","stopAtTestAccuracy":0.9,"warmupSteps":0,"weightDecay":1,"width":3}}"#
        ),
        (
            #"{"task":{"kind":"modular","operation":"add","modulus":31},"target":{"embeddingDim":16,"width":64,"depth":2,"activation":"gelu","loss":"mse","initScale":2,"warmupSteps":20},"amplifier":{"kind":"neuralgrok","hidden":[8,8],"outerEvery":2},"budget":120,"evalEvery":10,"diagnostics":true,"seed":4}"#,
            "b522e40be16ef323",
            #"{"amplifier":{"clip":1,"hidden":[8,8],"kind":"neuralgrok","outerEvery":2,"outerFraction":0.02,"outerLearningRate":0.0001,"rescale":1},"budget":120,"diagnostics":true,"evalEvery":10,"method":"scratch","seed":4,"target":{"activation":"gelu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":2,"embeddingDim":16,"epsilon":1e-08,"initScale":2,"learningRate":0.001,"loss":"mse","momentum":0,"optimizer":"adamw","warmupSteps":20,"weightDecay":1,"width":64},"task":{"kind":"modular","modulus":31,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null}"#
        ),
        (
            #"{"task":{"kind":"digits","trainCount":300},"method":"groktransfer","weak":{"width":16,"budget":60},"transfer":{"mode":"copy"},"target":{"width":16,"embeddingDim":4,"depth":2,"optimizer":"adamw","batchSize":100},"budget":80,"evalEvery":10,"seed":5}"#,
            "8425e5e007c9cb5e",
            #"{"amplifier":null,"budget":80,"diagnostics":false,"evalEvery":10,"method":"groktransfer","seed":5,"target":{"activation":"relu","architecture":"mlp","batchSize":100,"beta1":0.9,"beta2":0.98,"bias":true,"depth":2,"embeddingDim":4,"epsilon":1e-08,"initScale":1,"learningRate":0.001,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":1,"width":16},"task":{"kind":"digits","trainCount":300},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":{"mode":"copy"},"weak":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"budget":60,"depth":1,"embeddingDim":4,"epsilon":1e-08,"initScale":1,"learningRate":0.001,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","stopAtTestAccuracy":0.9,"warmupSteps":0,"weightDecay":1,"width":16}}"#
        ),
        (
            #"{"task":{"kind":"modular","operation":"subtract","modulus":29,"trainFraction":0.4},"method":"groktransfer","weak":{"embeddingDim":4,"width":16,"budget":80},"transfer":{"mode":"factorized","mergeAfter":30},"target":{"embeddingDim":32,"width":64},"amplifier":{"kind":"ema","alpha":0.9,"lamb":1.5},"budget":100,"evalEvery":10,"seed":6}"#,
            "d58150f2c14f9f20",
            #"{"amplifier":{"alpha":0.9,"kind":"ema","lamb":1.5},"budget":100,"diagnostics":false,"evalEvery":10,"method":"groktransfer","seed":6,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":32,"epsilon":1e-08,"initScale":1,"learningRate":0.001,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":1,"width":64},"task":{"kind":"modular","modulus":29,"operation":"subtract","trainFraction":0.4},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":{"mergeAfter":30,"mode":"factorized"},"weak":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"budget":80,"depth":1,"embeddingDim":4,"epsilon":1e-08,"initScale":1,"learningRate":0.001,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","stopAtTestAccuracy":0.9,"warmupSteps":0,"weightDecay":1,"width":16}}"#
        ),
        (
            #"{"task":{"kind":"modular","operation":"add","modulus":17},"target":{"architecture":"transformer","depth":1,"embeddingDim":16,"heads":2,"width":32},"budget":60,"evalEvery":10,"seed":0}"#,
            "d587d6b78c8179f1",
            #"{"amplifier":null,"budget":60,"diagnostics":false,"evalEvery":10,"method":"scratch","seed":0,"target":{"activation":"relu","architecture":"transformer","attentionBias":false,"batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":16,"epsilon":1e-08,"heads":2,"initScale":1,"layerNorm":false,"learningRate":0.001,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":1,"width":32},"task":{"kind":"modular","modulus":17,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null}"#
        ),
        (
            #"{"task":{"kind":"modular","modulus":13},"target":{"embeddingDim":8,"width":16,"learningRate":1000,"optimizer":"sgd","initScale":100},"budget":100,"evalEvery":5,"seed":0}"#,
            "ac2e07dfe2507aa5",
            #"{"amplifier":null,"budget":100,"diagnostics":false,"evalEvery":5,"method":"scratch","seed":0,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":8,"epsilon":1e-08,"initScale":100,"learningRate":1000,"loss":"crossEntropy","momentum":0,"optimizer":"sgd","warmupSteps":0,"weightDecay":1,"width":16},"task":{"kind":"modular","modulus":13,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null}"#
        ),
    ])
    func configOfEachKindKeepsItsForm(text: String, id: String, normalised: String) throws {
        let config = try TrialConfig(text: text, file: "pinned.json")
        #expect(config.id == id)
        #expect(config.json.canonicalText == normalised)
        #expect(try TrialConfig(json: config.json) == config, "the normalised form decodes to the same trial")
    }

    /// The sweep record a smoke run wrote to its journal: every trial decodes, keeps its id and
    /// re-encodes to the same bytes, so the run directory resumes.
    @Test func smokeJournalStillDecodes() throws {
        let line =
            #"{"at":1795617844.7757764,"axes":["target.weightDecay"],"baseline":[{"path":"target.weightDecay","value":1}],"baselineCells":["46c7ef9e749da462"],"description":"Modular addition mod 47, small MLP: weight decay 0.3 vs 1 x 3 seeds, a few seconds per trial (wd 1 groks after a delay of ~2000 steps; wd 0.3 is censored at the budget)","file":"sweeps/smoke.json","fingerprint":"66218c5bb6ac1dd0","name":"smoke","seeds":[0,1,2],"trials":[{"cell":"ab88bddbbd5e5745","config":{"amplifier":null,"budget":4000,"diagnostics":false,"evalEvery":10,"method":"scratch","seed":0,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":32,"epsilon":1e-08,"initScale":1,"learningRate":0.003,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":0.3,"width":128},"task":{"kind":"modular","modulus":47,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null},"id":"ab88bddbbd5e5745","label":[{"path":"target.weightDecay","value":0.3}]},{"cell":"ab88bddbbd5e5745","config":{"amplifier":null,"budget":4000,"diagnostics":false,"evalEvery":10,"method":"scratch","seed":1,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":32,"epsilon":1e-08,"initScale":1,"learningRate":0.003,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":0.3,"width":128},"task":{"kind":"modular","modulus":47,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null},"id":"6bece2259419d8e1","label":[{"path":"target.weightDecay","value":0.3}]},{"cell":"ab88bddbbd5e5745","config":{"amplifier":null,"budget":4000,"diagnostics":false,"evalEvery":10,"method":"scratch","seed":2,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":32,"epsilon":1e-08,"initScale":1,"learningRate":0.003,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":0.3,"width":128},"task":{"kind":"modular","modulus":47,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null},"id":"fbdf479c8f7e158a","label":[{"path":"target.weightDecay","value":0.3}]},{"cell":"46c7ef9e749da462","config":{"amplifier":null,"budget":4000,"diagnostics":false,"evalEvery":10,"method":"scratch","seed":0,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":32,"epsilon":1e-08,"initScale":1,"learningRate":0.003,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":1,"width":128},"task":{"kind":"modular","modulus":47,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null},"id":"46c7ef9e749da462","label":[{"path":"target.weightDecay","value":1}]},{"cell":"46c7ef9e749da462","config":{"amplifier":null,"budget":4000,"diagnostics":false,"evalEvery":10,"method":"scratch","seed":1,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":32,"epsilon":1e-08,"initScale":1,"learningRate":0.003,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":1,"width":128},"task":{"kind":"modular","modulus":47,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null},"id":"fd31300ed8ed321e","label":[{"path":"target.weightDecay","value":1}]},{"cell":"46c7ef9e749da462","config":{"amplifier":null,"budget":4000,"diagnostics":false,"evalEvery":10,"method":"scratch","seed":2,"target":{"activation":"relu","architecture":"mlp","batchSize":0,"beta1":0.9,"beta2":0.98,"bias":true,"depth":1,"embeddingDim":32,"epsilon":1e-08,"initScale":1,"learningRate":0.003,"loss":"crossEntropy","momentum":0,"optimizer":"adamw","warmupSteps":0,"weightDecay":1,"width":128},"task":{"kind":"modular","modulus":47,"operation":"add","trainFraction":0.5},"thresholds":{"sustain":3,"test":0.99,"train":0.99},"transfer":null,"weak":null},"id":"4c9c826d3beeab05","label":[{"path":"target.weightDecay","value":1}]}],"type":"sweep"}"#
        let json = try JSONValue.parse(line)
        guard case .sweep(let record) = try JournalRecord(json: json) else {
            Issue.record("not a sweep record")
            return
        }
        guard case .array(let stored)? = json["trials"] else { throw ConfigError(path: "$.trials", expected: "an array") }
        #expect(record.trials.count == 6)
        for (trial, entry) in zip(record.trials, stored) {
            #expect(trial.config.id == trial.id)
            #expect(trial.config.json == entry["config"])
        }
    }
}
