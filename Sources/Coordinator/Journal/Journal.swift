import Foundation
import Protocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a journal could not be opened, replayed or written; each message names the file.
enum JournalError: Error, CustomStringConvertible, Equatable {
    /// A record that cannot follow the records before it (no line known yet).
    case invalidRecord(String)
    case badLine(file: String, line: Int, reason: String)
    case io(file: String, reason: String)
    /// The sweep file's trial set differs from the run's.
    case specChanged(journal: String, sweepFile: String, added: Int, removed: Int)
    case locked(file: String)
    case missing(file: String)
    /// The sweep file lowers the budget of trials that are otherwise unchanged.
    case budgetLowered(journal: String, sweepFile: String, trials: Int, from: Int, to: Int)

    var description: String {
        switch self {
        case .invalidRecord(let reason):
            return reason
        case .badLine(let file, let line, let reason):
            guard line > 1 else { return "\(file): line \(line): \(reason)" }
            let runDirectory = (file as NSString).deletingLastPathComponent
            return "\(file): line \(line): \(reason). To go on: grok-coord repair \(runDirectory) "
                + "(sets unreadable lines aside and keeps the original; their trials run again)"
        case .io(let file, let reason):
            return "\(file): \(reason)"
        case .specChanged(let journal, let sweepFile, let added, let removed):
            let change = [
                added > 0 ? "adds \(added) trial\(added == 1 ? "" : "s")" : nil,
                removed > 0 ? "drops \(removed) trial\(removed == 1 ? "" : "s")" : nil,
            ]
            .compactMap { $0 }.joined(separator: " and ")
            let remedy =
                removed > 0
                ? "use a new run directory (a run can only grow)"
                : "pass --extend to run only the new trials, or use a new run directory"
            return "\(sweepFile) \(change) compared with the run in \(journal); \(remedy)"
        case .locked(let file):
            return "\(file): another coordinator is using this run directory"
        case .missing(let file):
            return "\(file): no journal here (not a run directory?)"
        case .budgetLowered(let journal, let sweepFile, let trials, let from, let to):
            return "\(sweepFile) lowers the budget of \(trials) trial\(trials == 1 ? "" : "s") from \(from) to \(to) steps "
                + "compared with the run in \(journal); a run's budget can only grow (its censored trials continue "
                + "from where they stopped): raise it, or use a new run directory"
        }
    }
}

/// The append-only run journal, `RUN_DIR/journal.jsonl`: the source of truth of a run.
///
/// Owns the file and the durability promise: `append` checks the record against the current
/// state (illegal transitions never reach the disk), writes one line, fsyncs, and only then
/// returns — so a record the caller acted on survives any crash. For throughput, `stage` and
/// `commit` split that in two (group commit): records staged in a batch go to disk with one
/// write and one fsync, and the caller acts on none of them before `commit` returns. Opening
/// replays the file, cuts a torn last line, applies the resume rules, and holds an exclusive
/// lock so two coordinators never write one run. One class owns the POSIX file calls.
final class Journal: Sendable {
    static let fileName = "journal.jsonl"

    /// What appending changes, behind one mutex.
    private struct Contents {
        /// Bytes of the file that hold whole records.
        var length: Int
        var state: JournalState
        /// Lines staged since the last commit, written and fsynced together by `commit`.
        var staged: [UInt8] = []
    }

    let path: String
    private let descriptor: Int32
    private let contents: Mutex<Contents>
    private let clock: @Sendable () -> Double

    var state: JournalState { contents.withLock { $0.state } }

    /// One trial's progress, without copying the whole state.
    func progress(of trial: String) -> TrialProgress? { contents.withLock { $0.state.progress[trial] } }

    private init(path: String, descriptor: Int32, length: Int, state: JournalState, clock: @escaping @Sendable () -> Double) {
        self.path = path
        self.descriptor = descriptor
        contents = Mutex(Contents(length: length, state: state))
        self.clock = clock
    }

    deinit { close(descriptor) }

    // MARK: Opening

    /// Opens (or creates) the journal of `runDirectory` for `plan`, applying the resume rules:
    /// a new journal starts with a `sweep` record; the same trial set continues (finished
    /// trials are never re-run; trials in flight are requeued by an `interrupted` record);
    /// a grown trial set is accepted only with `extend` (an `extended` record adds the new
    /// trials); a trial set that lost trials is refused — except trials whose only change is a
    /// raised budget (same `stateKey`): a `budgetRaised` record renames them, and censored ones
    /// continue from their final state. A lowered budget is refused.
    static func start(
        plan: SweepPlan, runDirectory: String, extend: Bool = false,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws -> Journal {
        let journal = try open(runDirectory: runDirectory, clock: clock)
        let state = journal.state
        guard state.sweep != nil else {
            try journal.append(.sweep(SweepRecord(plan: plan)))
            return journal
        }
        let runIds = Set(state.trialIds)
        let planIds = Set(plan.trialIds)
        var added = plan.trials.filter { !runIds.contains($0.id) }
        var removed = state.trials.filter { !planIds.contains($0.id) }
        let raises = try budgetChanges(added: &added, removed: &removed, journal: journal.path, sweepFile: plan.file)
        if !removed.isEmpty || (!added.isEmpty && !extend) {
            throw JournalError.specChanged(
                journal: journal.path, sweepFile: plan.file, added: added.count,
                removed: removed.count)
        }
        if !state.inFlight.isEmpty {
            try journal.append(.interrupted(reason: "resumed: \(state.inFlight.count) trials were in flight"))
        }
        if !raises.isEmpty {
            let raisedIds = Set(raises.map(\.to))
            try journal.append(
                .budgetRaised(
                    SweepRecord(plan: plan, trials: plan.trials.filter { raisedIds.contains($0.id) }),
                    raised: raises))
        }
        if !added.isEmpty {
            try journal.append(.extended(SweepRecord(plan: plan, trials: added)))
        }
        return journal
    }

    /// Pairs trials that left the run with trials that joined it when only their budget differs
    /// (same `stateKey`), taking them out of `added` and `removed`: the raises to record.
    /// Throws when a budget went down.
    private static func budgetChanges(
        added: inout [ExpandedTrial], removed: inout [ExpandedTrial],
        journal: String, sweepFile: String
    ) throws -> [BudgetRaise] {
        guard !added.isEmpty, !removed.isEmpty else { return [] }
        var leaving = Dictionary(removed.map { ($0.config.stateKey, $0) }, uniquingKeysWith: { first, _ in first })
        var raises: [BudgetRaise] = []
        var lowered: [(from: Int, to: Int)] = []
        var stillAdded: [ExpandedTrial] = []
        for trial in added {
            guard let old = leaving[trial.config.stateKey] else {
                stillAdded.append(trial)
                continue
            }
            leaving[trial.config.stateKey] = nil
            if trial.config.budget > old.config.budget {
                raises.append(BudgetRaise(from: old.id, to: trial.id, oldBudget: old.config.budget, newBudget: trial.config.budget))
            } else {
                lowered.append((old.config.budget, trial.config.budget))
            }
        }
        if let first = lowered.first {
            throw JournalError.budgetLowered(
                journal: journal, sweepFile: sweepFile, trials: lowered.count,
                from: first.from, to: first.to)
        }
        added = stillAdded
        let renamed = Set(raises.map(\.from))
        removed.removeAll { renamed.contains($0.id) }
        return raises
    }

    /// Opens the journal for appending, creating it and its directory when absent.
    static func open(
        runDirectory: String,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws -> Journal {
        let path = (runDirectory as NSString).appendingPathComponent(fileName)
        do {
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        } catch {
            throw JournalError.io(file: runDirectory, reason: "cannot create the run directory (\(error.localizedDescription))")
        }
        let existed = FileManager.default.fileExists(atPath: path)
        let descriptor = openFile(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError.io(file: path, reason: "cannot open (\(errnoText()))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw JournalError.locked(file: path)
        }
        if !existed { syncDirectory(runDirectory) }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let outcome = try JournalReplay.replay(data: data, file: path)
            let journal = Journal(
                path: path, descriptor: descriptor, length: outcome.validLength,
                state: outcome.state, clock: clock)
            if outcome.tornLineNumber != nil {
                // Cut the torn line so the next append starts a fresh line and the file stays JSONL.
                try journal.check(ftruncate(descriptor, off_t(outcome.validLength)) == 0, "cannot truncate a torn line")
                try journal.check(fsync(descriptor) == 0, "cannot sync")
            } else if outcome.needsNewline {
                try journal.contents.withLock { try journal.writeDurably(Array("\n".utf8), length: &$0.length) }
            }
            return journal
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// Replays a run's journal without writing to it (for reports); a torn last line is ignored.
    static func read(runDirectory: String) throws -> JournalState {
        let path = (runDirectory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { throw JournalError.missing(file: path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw JournalError.io(file: path, reason: "cannot read (\(error.localizedDescription))")
        }
        return try JournalReplay.replay(data: data, file: path).state
    }

    // MARK: Appending

    /// Validates `record` against the state, writes it as one line and fsyncs before returning.
    /// Returns false (and writes nothing) for a record that changes nothing, such as a second
    /// result for a finished trial; throws `IllegalTransition`/`JournalError` for an impossible one.
    @discardableResult
    func append(_ record: JournalRecord) throws -> Bool {
        let applied = try stage(record)
        try commit()
        return applied
    }

    /// Validates `record` and applies it to `state`, and queues its line for the next `commit`.
    /// Returns false (staging nothing) for a record that changes nothing. Until `commit` returns
    /// the record is not durable: tell no one about it (no message, no file) before then.
    @discardableResult
    func stage(_ record: JournalRecord) throws -> Bool {
        try contents.withLock { contents in
            // In place: `apply` leaves the state unchanged when it throws, and a copy would cost
            // a copy of every trial's progress per record.
            guard try contents.state.apply(record) else { return false }
            contents.staged += (record.line(at: clock()) + "\n").utf8
            return true
        }
    }

    /// Writes every staged line and fsyncs once. On failure nothing of the batch is left in the
    /// file and the error is thrown: the in-memory state is then ahead of the disk, so the
    /// caller must stop (a restart replays the file).
    func commit() throws {
        try contents.withLock { contents in
            guard !contents.staged.isEmpty else { return }
            defer { contents.staged.removeAll(keepingCapacity: true) }
            try writeDurably(contents.staged, length: &contents.length)
        }
    }

    /// Records staged and not yet committed.
    var hasStagedRecords: Bool { contents.withLock { !$0.staged.isEmpty } }

    /// Appends `bytes` and fsyncs; `length` is the file's length of whole records, kept on success.
    private func writeDurably(_ bytes: [UInt8], length: inout Int) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                // Leave no half line behind: a partial record in the middle would be corruption.
                _ = ftruncate(descriptor, off_t(length))
                throw JournalError.io(file: path, reason: "cannot write (\(Self.errnoText()))")
            }
            written += count
        }
        try check(fsync(descriptor) == 0, "cannot sync")
        length += bytes.count
    }

    // MARK: POSIX helpers

    private func check(_ success: Bool, _ what: String) throws {
        guard success else { throw JournalError.io(file: path, reason: "\(what) (\(Self.errnoText()))") }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// A new file's directory entry is only durable once the directory itself is synced.
    static func syncDirectory(_ directory: String) {
        let descriptor = openFile(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}

/// The C `open(2)`, reachable by a name that `Journal.open` does not shadow.
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}
