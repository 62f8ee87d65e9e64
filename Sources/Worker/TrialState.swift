import Engine
import Foundation
import Protocol
import TrialSchema

/// A whole trial's saved state: which trial (its config without the budget), where it stands
/// (GrokTransfer's weak stage, or the target stage with the weak run's summary), and the
/// running stage's complete `TrialRunner` state.
///
/// Sealed in the engine's envelope (`TrialStateCoder`, content tag "TRIL"); payload layout,
/// little-endian:
///
///     trial key     string (UInt32 length + UTF-8)  `TrialConfig.stateKey`
///     budget        Int64   the trial budget when saved (a state continues under any budget ≥ its step)
///     stage         UInt8   0 weak (GrokTransfer's weak model), 1 target (or the only model)
///     stage 0:      runner section (UInt64 length + the weak runner's payload)
///     stage 1:      weak flag; when set: summary key (string), steps Int64, seconds, flops,
///                   final test accuracy (Float64 bits), reused flag, target rank (flag + Int64:
///                   the factorised target's embedding rank as built, absent for "copy");
///                   then the runner section of the target runner
///
/// Whether GrokTransfer's factors were merged follows from the target runner's step.
struct TrialState: Equatable {
    static let content = "TRIL"

    /// What the target stage keeps of the weak stage.
    struct WeakStage: Equatable {
        var summary: WeakRunSummary
        /// The target's factorisation rank as GrokTransfer built it (nil: an unfactorised target).
        var targetRank: Int?
    }

    enum Stage: Equatable {
        case weak(runner: [UInt8])
        case target(weak: WeakStage?, runner: [UInt8])

        var name: String {
            switch self {
            case .weak: "weak"
            case .target(let weak, _): weak == nil ? "training" : "target"
            }
        }
    }

    var trialKey: String
    var budget: Int
    var stage: Stage

    /// The step the running stage would take next.
    func step() throws -> Int {
        switch stage {
        case .weak(let runner), .target(_, let runner): try TrialRunner.step(ofPayload: runner)
        }
    }

    // MARK: Encoding

    func sealed() -> Data {
        var writer = StateWriter()
        writer.write(trialKey)
        writer.write(budget)
        switch stage {
        case .weak(let runner):
            writer.write(UInt8(0))
            writer.write(section: runner)
        case .target(let weak, let runner):
            writer.write(UInt8(1))
            writer.write(weak != nil)
            if let weak {
                let summary = weak.summary
                writer.write(summary.key)
                writer.write(summary.steps)
                for value in [summary.seconds, summary.flops, summary.finalTestAccuracy] { writer.write(value) }
                writer.write(summary.reused)
                writer.write(optional: weak.targetRank)
            }
            writer.write(section: runner)
        }
        return TrialStateCoder.seal(writer.bytes, content: Self.content)
    }

    /// Opens a sealed trial state, checking its envelope (magic, version, checksum, build and,
    /// unless `anyThreadCount`, the compute-thread count).
    init(sealed data: Data, anyThreadCount: Bool = false) throws {
        var reader = StateReader(try TrialStateCoder.open(data, content: Self.content, anyThreadCount: anyThreadCount))
        trialKey = try reader.readString()
        budget = try reader.readInt()
        switch try reader.read(UInt8.self) {
        case 0:
            stage = .weak(runner: try reader.readSection())
        case 1:
            var weak: WeakStage?
            if try reader.readBool() {
                let summary = WeakRunSummary(
                    key: try reader.readString(), steps: try reader.readInt(),
                    seconds: try reader.readDouble(), flops: try reader.readDouble(),
                    finalTestAccuracy: try reader.readDouble(), reused: try reader.readBool())
                weak = WeakStage(summary: summary, targetRank: try reader.readOptionalInt())
            }
            stage = .target(weak: weak, runner: try reader.readSection())
        case let other:
            throw TrialStateError.malformed("trial stage \(other)")
        }
        guard reader.isAtEnd else { throw TrialStateError.malformed("\(reader.remaining) bytes after the trial state") }
    }

    init(trialKey: String, budget: Int, stage: Stage) {
        self.trialKey = trialKey
        self.budget = budget
        self.stage = stage
    }
}

/// A saved state that belongs to another trial.
struct TrialStateMismatch: Error, CustomStringConvertible {
    let stateKey: String
    let configKey: String

    var description: String {
        "the state belongs to another trial (\(stateKey), budget aside) than this config (\(configKey))"
    }
}
