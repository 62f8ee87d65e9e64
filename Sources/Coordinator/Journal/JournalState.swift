import Foundation
import Protocol

/// A run's state as the journal records it: the trials, each trial's progress, the results.
///
/// Owns the fold of journal records into state (`apply`); replay and the live journal both go
/// through it, so what the coordinator believes and what a restart reconstructs cannot differ.
struct JournalState: Sendable {
    /// The sweep metadata; trials accumulate across `sweep` and `extended` records.
    private(set) var sweep: SweepRecord?
    private(set) var trials: [ExpandedTrial] = []
    private(set) var progress: [String: TrialProgress] = [:]
    /// First result per trial; later duplicates are counted and dropped.
    private(set) var results: [String: TrialResult] = [:]
    private(set) var duplicateResults = 0
    private(set) var interruptions = 0
    /// Trials per state, kept as records apply so status lines need no scan of every trial.
    private(set) var counts = StateCounts()

    init() {}

    var trialIds: [String] { trials.map(\.id) }
    var fingerprint: String { SweepPlan.fingerprint(of: trialIds) }

    func state(of trial: String) -> TrialState? { progress[trial]?.state }

    /// Trials some worker held when the journal ends: they have no result and must run again.
    var inFlight: [String] { trialIds.filter { progress[$0]?.state.isInFlight == true } }
    /// Trials waiting for a worker, in sweep order.
    var queued: [String] { trialIds.filter { progress[$0]?.state == .queued } }
    var finished: [String] { trialIds.filter { progress[$0]?.state == .finished } }
    var failed: [String] { trialIds.filter { progress[$0]?.state == .failed } }

    // MARK: Applying records

    /// Folds one record into the state. Returns false when the record changes nothing (a
    /// duplicate result); throws when the record is impossible here, leaving the state unchanged.
    @discardableResult
    mutating func apply(_ record: JournalRecord) throws -> Bool {
        switch record {
        case .sweep(let sweepRecord):
            guard sweep == nil else { throw JournalError.invalidRecord("a second sweep record") }
            try add(sweepRecord.trials)
            sweep = sweepRecord
            return true
        case .extended(let sweepRecord):
            guard var current = sweep else { throw JournalError.invalidRecord("extended before the sweep record") }
            try add(sweepRecord.trials)
            // The metadata (axes, baseline, heatmap) follows the extended file; trials accumulate.
            current = sweepRecord
            current.trials = trials
            sweep = current
            return true
        case .assigned(let trial, let worker, let attempt, let fromStep):
            let applied = try transition(trial, .assign(worker: worker, attempt: attempt))
            progress[trial]?.continued(from: fromStep ?? 0)
            return applied
        case .finished(let result):
            let applied = try transition(result.trialId, .finish)
            if applied {
                results[result.trialId] = result
                if result.outcome == .censored { counts.censored += 1 }
            } else {
                duplicateResults += 1
            }
            return applied
        case .attemptFailed(let trial, let worker, let attempt, let error, let blame, let reached):
            let applied = try transition(trial, .attemptFail(worker: worker, attempt: attempt, blame: blame))
            progress[trial]?.lastError = error
            progress[trial]?.reachedStep = reached
            return applied
        case .checkpoint(let trial, _, let step, _):
            guard progress[trial] != nil else { throw JournalError.invalidRecord("checkpoint of unknown trial \(trial)") }
            progress[trial]?.checkpointStep = step
            return true
        case .backup(let trial, let worker):
            guard case .running? = progress[trial]?.state else {
                throw JournalError.invalidRecord("backup of trial \(trial), which is not running")
            }
            if progress[trial]?.assignedWorkers.contains(worker) == false { progress[trial]?.assignedWorkers.append(worker) }
            return true
        case .budgetRaised(let record, let raised):
            guard var current = sweep else { throw JournalError.invalidRecord("budgetRaised before the sweep record") }
            try raiseBudgets(raised, newTrials: record.trials)
            current = record
            current.trials = trials
            sweep = current
            return true
        case .failed(let trial, _, let error):
            let applied = try transition(trial, .giveUp)
            progress[trial]?.lastError = error
            return applied
        case .interrupted:
            guard sweep != nil else { throw JournalError.invalidRecord("interrupted before the sweep record") }
            for trial in inFlight { _ = try transition(trial, .interrupt) }
            interruptions += 1
            return true
        }
    }

    /// Renames each raised trial to its id under the new budget. Censored results are dropped
    /// (the trial runs on from its final state); any other outcome stays, as a larger budget
    /// cannot change a trial that grokked or diverged before the old one ran out.
    private mutating func raiseBudgets(_ raised: [BudgetRaise], newTrials: [ExpandedTrial]) throws {
        let replacements = Dictionary(newTrials.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for raise in raised {
            guard let index = trials.firstIndex(where: { $0.id == raise.from }), var entry = progress[raise.from] else {
                throw JournalError.invalidRecord("budget raise of unknown trial \(raise.from)")
            }
            guard progress[raise.to] == nil, let replacement = replacements[raise.to] else {
                throw JournalError.invalidRecord("budget raise to \(raise.to), which is already part of the run or not described")
            }
            guard !entry.state.isInFlight else {
                throw JournalError.invalidRecord("budget raise of trial \(raise.from) while it runs")
            }
            trials[index] = replacement
            progress[raise.from] = nil
            if var result = results.removeValue(forKey: raise.from) {
                if result.outcome == .censored {
                    counts.count(.finished, -1)
                    counts.censored -= 1
                    counts.count(.queued, +1)
                    entry.state = .queued
                } else {
                    result.trialId = raise.to
                    results[raise.to] = result
                }
            }
            progress[raise.to] = entry
        }
    }

    private mutating func add(_ newTrials: [ExpandedTrial]) throws {
        var seen = Set(trialIds)
        for trial in newTrials where !seen.insert(trial.id).inserted {
            throw JournalError.invalidRecord("trial \(trial.id) is already part of the run")
        }
        trials += newTrials
        for trial in newTrials { progress[trial.id] = TrialProgress() }
        counts.queued += newTrials.count
    }

    private mutating func transition(_ trial: String, _ event: TrialEvent) throws -> Bool {
        guard var entry = progress[trial] else {
            throw JournalError.invalidRecord(
                sweep == nil
                    ? "a trial record before the sweep record"
                    : "unknown trial \(trial)")
        }
        let before = entry.state
        let applied = try entry.apply(event, trial: trial)
        progress[trial] = entry
        if applied {
            counts.count(before, -1)
            counts.count(entry.state, +1)
        }
        return applied
    }
}

/// How many trials are in each state (and how many finished trials were censored).
struct StateCounts: Hashable, Sendable {
    var queued = 0
    var running = 0
    var finished = 0
    var failed = 0
    var censored = 0

    mutating func count(_ state: TrialState, _ delta: Int) {
        switch state {
        case .queued: queued += delta
        case .running: running += delta
        case .finished: finished += delta
        case .failed: failed += delta
        }
    }
}

// MARK: - Replay

/// The pure function from journal bytes to a `JournalState`.
///
/// Owns the tolerance rules: a torn or unparsable *last* line is what a crash mid-append leaves,
/// so it is ignored and reported (`tornLineNumber`, `validLength` for truncation); anything
/// wrong before it is corruption and an error naming the line.
enum JournalReplay {
    struct Outcome: Sendable {
        var state: JournalState
        /// Bytes of the file that hold complete records (cut the rest before appending).
        var validLength: Int
        /// The 1-based number of an ignored torn last line.
        var tornLineNumber: Int?
        /// The last record is complete but lacks its newline: write one before appending.
        var needsNewline: Bool
    }

    static func replay(lines: [String], file: String = "journal.jsonl") throws -> JournalState {
        try replay(data: Data(lines.map { $0 + "\n" }.joined().utf8), file: file).state
    }

    static func replay(data: Data, file: String) throws -> Outcome {
        let bytes = [UInt8](data)
        let segments = lineRanges(of: bytes)
        let isBlank = { (range: Range<Int>) in isBlankLine(bytes[range]) }
        let lastContent = segments.lastIndex { !isBlank($0) }

        var state = JournalState()
        for (index, range) in segments.enumerated() where !isBlank(range) {
            let record: JournalRecord
            do {
                record = try JournalRecord(json: JSONValue.parse(Data(bytes[range])))
            } catch {
                if index == lastContent {
                    return Outcome(state: state, validLength: range.lowerBound, tornLineNumber: index + 1, needsNewline: false)
                }
                throw JournalError.badLine(file: file, line: index + 1, reason: "not a journal record: \(error)")
            }
            if state.sweep == nil {
                guard case .sweep = record else {
                    throw JournalError.badLine(
                        file: file, line: index + 1,
                        reason: "the journal must start with a sweep record, found \(record.typeName)")
                }
            }
            do { try state.apply(record) } catch {
                throw JournalError.badLine(file: file, line: index + 1, reason: "\(error)")
            }
        }
        let needsNewline = !bytes.isEmpty && bytes.last != UInt8(ascii: "\n")
        return Outcome(state: state, validLength: bytes.count, tornLineNumber: nil, needsNewline: needsNewline)
    }

    /// Each line's bytes without its newline, in order (a last line without one included).
    static func lineRanges(of bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            ranges.append(start..<index)
            start = index + 1
        }
        if start < bytes.count { ranges.append(start..<bytes.count) }
        return ranges
    }

    static func isBlankLine(_ line: ArraySlice<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}
