import Foundation
import Protocol
import TrialSchema

/// What a run is about: the sweep's trials and the metadata the report needs, as journaled.
///
/// Owns "enough to rebuild the report from the journal alone": every trial's full config, id,
/// cell and label, plus axes, seeds, baseline and heatmap choice. Written once as the `sweep`
/// record and again (with only the new trials) as each `extended` record.
struct SweepRecord: Hashable, Sendable {
    var name: String
    var description: String
    var file: String
    /// Fingerprint of every trial of the run once this record is applied.
    var fingerprint: String
    var axisPaths: [String]
    var seeds: [Int]
    var baselineLabel: [LabelPart]
    var baselineCellKeys: [String]
    var heatmapAxes: [String]?
    var trials: [ExpandedTrial]

    /// The record for `plan`, carrying `trials` (all of the plan's by default).
    init(plan: SweepPlan, trials: [ExpandedTrial]? = nil) {
        name = plan.name
        description = plan.description
        file = plan.file
        fingerprint = plan.fingerprint
        axisPaths = plan.axisPaths
        seeds = plan.seeds
        baselineLabel = plan.baselineLabel
        baselineCellKeys = plan.baselineCellKeys
        heatmapAxes = plan.heatmapAxes
        self.trials = trials ?? plan.trials
    }
}

/// One line of `journal.jsonl`: one state change of a run.
///
/// Owns the line format: a compact JSON object with a `type` member and, when written by
/// `Journal`, the wall-clock time `at` (seconds since 1970; informative, ignored by replay).
enum JournalRecord: Hashable, Sendable {
    case sweep(SweepRecord)
    /// Handed to `worker`; `fromStep` is the step of the saved state it continues from (nil:
    /// from the start).
    case assigned(trial: String, worker: String, attempt: Int, fromStep: Int? = nil)
    case finished(TrialResult)
    /// An attempt ended without a result. `blame` says whose fault the journal holds it to be:
    /// only the trial's count towards giving it up. `reached` is the last step its worker
    /// reported, when known: what a continuation from an older state recomputes.
    case attemptFailed(
        trial: String, worker: String, attempt: Int, error: String, blame: AttemptBlame = .trial,
        reached: Int? = nil)
    /// A state of the running trial, saved by `worker` at `step` (`bytes` long), is stored in
    /// the run directory (`TrialStateStore`): the trial continues from there if it runs again.
    case checkpoint(trial: String, worker: String, step: Int, bytes: Int)
    /// A backup copy of the running trial was started on `worker` (an idle worker at the tail
    /// of the sweep): its result counts as the trial's if it comes first.
    case backup(trial: String, worker: String)
    /// The sweep file raised the budget of trials whose config is otherwise unchanged: each
    /// trial of `raised` takes the id of its config under the new budget. Grokked and diverged
    /// trials keep their results (a larger budget changes nothing for them); censored ones run
    /// on from their final state.
    case budgetRaised(SweepRecord, raised: [BudgetRaise])
    /// The trial gave up after `attempts` attempts; `error` is the last attempt's.
    case failed(trial: String, attempts: Int, error: String)
    case extended(SweepRecord)
    case interrupted(reason: String)

    var typeName: String {
        switch self {
        case .sweep: "sweep"
        case .assigned: "assigned"
        case .finished: "finished"
        case .attemptFailed: "attemptFailed"
        case .failed: "failed"
        case .extended: "extended"
        case .checkpoint: "checkpoint"
        case .backup: "backup"
        case .budgetRaised: "budgetRaised"
        case .interrupted: "interrupted"
        }
    }

    /// The trial this record is about, for trial-level records.
    var trialId: String? {
        switch self {
        case .assigned(let trial, _, _, _), .attemptFailed(let trial, _, _, _, _, _), .failed(let trial, _, _),
            .checkpoint(let trial, _, _, _), .backup(let trial, _):
            trial
        case .finished(let result): result.trialId
        case .sweep, .extended, .budgetRaised, .interrupted: nil
        }
    }
}

// MARK: - Encoding

extension JournalRecord {
    func json(at time: Double? = nil) -> JSONValue {
        var members: [String: JSONValue]
        switch self {
        case .sweep(let record), .extended(let record):
            members = record.json
        case .assigned(let trial, let worker, let attempt, let fromStep):
            members = ["trial": .string(trial), "worker": .string(worker), "attempt": .number(Double(attempt))]
            if let fromStep { members["fromStep"] = .number(Double(fromStep)) }
        case .finished(let result):
            members = ["result": result.json]
        case .attemptFailed(let trial, let worker, let attempt, let error, let blame, let reached):
            members = [
                "trial": .string(trial), "worker": .string(worker), "attempt": .number(Double(attempt)),
                "error": .string(error),
            ]
            // Absent means the trial's: journals written before blame existed read the same.
            if blame == .worker { members["blame"] = .string(blame.rawValue) }
            if let reached { members["reached"] = .number(Double(reached)) }
        case .checkpoint(let trial, let worker, let step, let bytes):
            members = [
                "trial": .string(trial), "worker": .string(worker), "step": .number(Double(step)),
                "bytes": .number(Double(bytes)),
            ]
        case .backup(let trial, let worker):
            members = ["trial": .string(trial), "worker": .string(worker)]
        case .budgetRaised(let record, let raised):
            members = record.json
            members["raised"] = .array(raised.map(\.json))
        case .failed(let trial, let attempts, let error):
            members = ["trial": .string(trial), "attempts": .number(Double(attempts)), "error": .string(error)]
        case .interrupted(let reason):
            members = ["reason": .string(reason)]
        }
        members["type"] = .string(typeName)
        if let time { members["at"] = .number(time) }
        return .object(members)
    }

    /// One journal line, without the newline. Canonical text is compact and never contains a
    /// raw newline (strings escape it), so a line is exactly one record.
    func line(at time: Double? = nil) -> String { json(at: time).canonicalText }
}

extension SweepRecord {
    var json: [String: JSONValue] {
        var members: [String: JSONValue] = [
            "name": .string(name), "description": .string(description), "file": .string(file),
            "fingerprint": .string(fingerprint),
            "axes": .array(axisPaths.map(JSONValue.string)),
            "seeds": .array(seeds.map { .number(Double($0)) }),
            "baseline": .array(baselineLabel.map(\.json)),
            "baselineCells": .array(baselineCellKeys.map(JSONValue.string)),
            "trials": .array(trials.map(\.journalJSON)),
        ]
        if let heatmapAxes { members["heatmap"] = .array(heatmapAxes.map(JSONValue.string)) }
        return members
    }
}

extension LabelPart {
    var json: JSONValue { .object(["path": .string(path), "value": value]) }
}

extension ExpandedTrial {
    /// The seed lives inside `config`; id and cell are stored rather than recomputed, so a
    /// journal written by another build keeps naming its trials the way it did.
    var journalJSON: JSONValue {
        .object([
            "id": .string(id), "cell": .string(cellKey), "label": .array(cellLabel.map(\.json)),
            "config": config.json,
        ])
    }
}

// MARK: - Decoding

extension JournalRecord {
    /// Decodes one record; errors are `ConfigError`s with the JSON path inside the line.
    init(json: JSONValue) throws {
        var reader = try ObjectReader(json)
        let type = try reader.string("type")
        _ = reader.value("at")
        switch type {
        case "sweep", "extended":
            let record = try SweepRecord(reader: &reader)
            self = type == "sweep" ? .sweep(record) : .extended(record)
        case "budgetRaised":
            let record = try SweepRecord(reader: &reader)
            guard case .array(let items)? = reader.value("raised") else {
                throw ConfigError(path: reader.childPath("raised"), expected: "an array of {from, to, budget}")
            }
            let raised = try items.enumerated().map {
                try BudgetRaise(json: $1, path: SweepLocation.element(reader.childPath("raised"), $0))
            }
            self = .budgetRaised(record, raised: raised)
        case "assigned":
            self = .assigned(
                trial: try reader.string("trial"), worker: try reader.string("worker"),
                attempt: try reader.integer("attempt", in: 1...Int.max),
                fromStep: reader.has("fromStep") ? try reader.integer("fromStep", in: 0...Int.max) : nil)
        case "backup":
            self = .backup(trial: try reader.string("trial"), worker: try reader.string("worker"))
        case "checkpoint":
            self = .checkpoint(
                trial: try reader.string("trial"), worker: try reader.string("worker"),
                step: try reader.integer("step", in: 0...Int.max), bytes: try reader.integer("bytes", in: 0...Int.max))
        case "finished":
            guard let result = reader.value("result") else {
                throw ConfigError(path: reader.childPath("result"), expected: "a trial result", found: "nothing")
            }
            self = .finished(try TrialResult(json: result, path: reader.childPath("result")))
        case "attemptFailed":
            let blame = try reader.string("blame", default: AttemptBlame.trial.rawValue)
            guard let parsedBlame = AttemptBlame(rawValue: blame) else {
                throw ConfigError(path: "$.blame", expected: "trial or worker", found: "\"\(blame)\"")
            }
            self = .attemptFailed(
                trial: try reader.string("trial"), worker: try reader.string("worker"),
                attempt: try reader.integer("attempt", in: 1...Int.max), error: try reader.string("error"),
                blame: parsedBlame,
                reached: reader.has("reached") ? try reader.integer("reached", in: 0...Int.max) : nil)
        case "failed":
            self = .failed(
                trial: try reader.string("trial"), attempts: try reader.integer("attempts", in: 0...Int.max),
                error: try reader.string("error"))
        case "interrupted":
            self = .interrupted(reason: try reader.string("reason", default: ""))
        default:
            throw ConfigError(
                path: reader.childPath("type"),
                expected:
                    "one of sweep, assigned, finished, attemptFailed, failed, extended, checkpoint, backup, budgetRaised, interrupted",
                found: "\"\(type)\"")
        }
        try reader.finish()
    }
}

extension SweepRecord {
    init(reader: inout ObjectReader) throws {
        name = try reader.string("name")
        description = try reader.string("description", default: "")
        file = try reader.string("file")
        fingerprint = try reader.string("fingerprint")
        axisPaths = try Self.strings(reader.value("axes"), at: reader.childPath("axes"))
        seeds = try Self.array(reader.value("seeds"), at: reader.childPath("seeds")) { value, path in
            // Checked before converting: a corrupted journal must give an error, not a trap.
            guard case .number(let number) = value, number == number.rounded(), abs(number) < 9.0e15 else {
                throw ConfigError(path: path, expected: "a seed (an integer)", found: value.kindDescription)
            }
            return Int(number)
        }
        baselineLabel = try Self.array(reader.value("baseline"), at: reader.childPath("baseline"), LabelPart.init)
        baselineCellKeys = try Self.strings(reader.value("baselineCells"), at: reader.childPath("baselineCells"))
        heatmapAxes = reader.has("heatmap") ? try Self.strings(reader.value("heatmap"), at: reader.childPath("heatmap")) : nil
        trials = try Self.array(reader.value("trials"), at: reader.childPath("trials"), ExpandedTrial.init(journalJSON:path:))
    }

    private static func array<Element>(
        _ value: JSONValue?, at path: String,
        _ decode: (JSONValue, String) throws -> Element
    ) throws -> [Element] {
        guard case .array(let items)? = value else {
            throw ConfigError(path: path, expected: "an array", found: value?.kindDescription ?? "nothing")
        }
        return try items.enumerated().map { try decode($1, SweepLocation.element(path, $0)) }
    }

    private static func strings(_ value: JSONValue?, at path: String) throws -> [String] {
        try array(value, at: path) { item, itemPath in
            guard case .string(let text) = item else {
                throw ConfigError(path: itemPath, expected: "a string", found: item.kindDescription)
            }
            return text
        }
    }
}

extension LabelPart {
    init(json: JSONValue, path: String) throws {
        var reader = try ObjectReader(json, path: path)
        self.path = try reader.string("path")
        value = reader.value("value") ?? .null
        try reader.finish()
    }
}

extension ExpandedTrial {
    init(journalJSON json: JSONValue, path: String) throws {
        var reader = try ObjectReader(json, path: path)
        let id = try reader.string("id")
        let cellKey = try reader.string("cell")
        guard case .array(let parts)? = reader.value("label") else {
            throw ConfigError(path: reader.childPath("label"), expected: "an array of {path, value}")
        }
        let label = try parts.enumerated().map { try LabelPart(json: $1, path: SweepLocation.element(reader.childPath("label"), $0)) }
        let config = try TrialConfig(json: reader.value("config") ?? .null, path: reader.childPath("config"))
        try reader.finish()
        self.init(config: config, cellLabel: label, id: id, cellKey: cellKey)
    }
}

/// Whose fault a failed attempt is. A worker that went quiet while still heartbeating (the
/// progress watchdog), left on notice (preemption) or repeated itself is at fault; a trial whose
/// attempt ended in a crash, a silence or an error may be (it could have killed its worker), so
/// those count towards giving it up — on several distinct workers.
enum AttemptBlame: String, Hashable, Sendable {
    case trial
    case worker
}

/// One trial whose budget a sweep file raised: its id before and after, and the budgets.
struct BudgetRaise: Hashable, Sendable {
    var from: String
    var to: String
    var oldBudget: Int
    var newBudget: Int

    var json: JSONValue {
        .object([
            "from": .string(from), "to": .string(to), "oldBudget": .number(Double(oldBudget)),
            "newBudget": .number(Double(newBudget)),
        ])
    }

    init(from: String, to: String, oldBudget: Int, newBudget: Int) {
        self.from = from
        self.to = to
        self.oldBudget = oldBudget
        self.newBudget = newBudget
    }

    init(json: JSONValue, path: String) throws {
        var reader = try ObjectReader(json, path: path)
        from = try reader.string("from")
        to = try reader.string("to")
        oldBudget = try reader.integer("oldBudget", in: 1...Int.max)
        newBudget = try reader.integer("newBudget", in: 1...Int.max)
        try reader.finish()
    }
}
