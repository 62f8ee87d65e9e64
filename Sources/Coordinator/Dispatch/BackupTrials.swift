import Foundation
import Protocol

/// Backup trials at the tail of a sweep, after MapReduce's backup tasks: when nothing is queued
/// and a worker sits idle, the running trial expected to finish last is started again on it —
/// from its latest saved state — and the first result wins.
///
/// Owns the choice and the bookkeeping of which worker backs up which trial. A trial gets at
/// most one backup, only on a worker of the same build and compute-thread count as its holder
/// (their curves are then bit-identical, so two results of one trial must agree), and only
/// when the copy is expected to finish clearly sooner: from the latest state at the rate of
/// trials that finished in this session, against the holder's own rate so far.
struct BackupTrials {
    var enabled = true
    /// The copy must be expected to save at least this share of the holder's remaining time…
    var minimumGain = 0.25
    /// …and at least this much time.
    var minimumSaving: Duration = .seconds(5)

    /// Trial → the worker running its backup, and the step the copy started from.
    private(set) var workers: [String: PeerID] = [:]
    private var startSteps: [String: Int] = [:]
    /// Steps per second of trials finished in this session (the pace of a healthy worker).
    private var finishedRates: [Double] = []

    /// A candidate: the trial, and the seconds its holder and a backup are expected to need.
    struct Choice: Equatable {
        var trial: String
        var holderSeconds: Double
        var backupSeconds: Double
    }

    mutating func finished(steps: Int, seconds: Double) {
        guard steps > 0, seconds > 0 else { return }
        finishedRates.append(Double(steps) / seconds)
    }

    /// The trial `peer` (described by `info`) should back up, if any.
    func choose(
        for peer: PeerID, info: WorkerInfo, roster: WorkerRoster, budget: (String) -> Int?,
        startStep: (String) -> Int
    ) -> Choice? {
        guard enabled, let pace = median(finishedRates) else { return nil }
        var best: Choice?
        for (holder, entry) in roster.holdingEntries {
            guard holder != peer, let held = entry.holding, workers[held.trial] == nil,
                let holderInfo = entry.info, holderInfo.build == info.build, holderInfo.blasThreads == info.blasThreads,
                let track = entry.progress, let rate = track.stepsPerSecond, let budget = budget(held.trial)
            else { continue }
            let holderSeconds = Double(max(0, budget - track.step)) / rate
            let backupSeconds = Double(max(0, budget - startStep(held.trial))) / pace
            let saving = holderSeconds - backupSeconds
            guard saving >= max(minimumSaving.seconds, minimumGain * holderSeconds) else { continue }
            if best.map({ holderSeconds > $0.holderSeconds }) ?? true {
                best = Choice(trial: held.trial, holderSeconds: holderSeconds, backupSeconds: backupSeconds)
            }
        }
        return best
    }

    mutating func started(_ trial: String, on peer: PeerID, from step: Int) {
        workers[trial] = peer
        startSteps[trial] = step
    }

    /// Ends the backup of `trial`; returns the worker that ran it and the step it started from.
    @discardableResult
    mutating func end(_ trial: String) -> (worker: PeerID, from: Int)? {
        guard let peer = workers.removeValue(forKey: trial) else { return nil }
        return (peer, startSteps.removeValue(forKey: trial) ?? 0)
    }

    /// The trial `peer` backs up, if any.
    func trial(backedUpBy peer: PeerID) -> String? { workers.first { $0.value == peer }?.key }

    /// Forgets whatever `peer` backed up (it left or died); returns that trial.
    @discardableResult
    mutating func remove(_ peer: PeerID) -> String? {
        guard let trial = trial(backedUpBy: peer) else { return nil }
        end(trial)
        return trial
    }

    private func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
