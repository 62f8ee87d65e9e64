import Foundation
import Protocol

/// Finds running trials whose worker has stopped reporting progress while still heartbeating
/// (a deadlocked trial thread, a node swapping to death, a hostile peer).
///
/// The bound is the trial's own: `factor` times its mean interval between progress messages,
/// but never below `floor` (and before the first message, `floor` from the assignment or from
/// the latest progress of a GrokTransfer weak stage, which comes first).
struct ProgressWatchdog {
    var floor: Duration = .seconds(60)
    var factor = 10

    struct Overdue {
        var peer: PeerID
        var holding: WorkerRoster.Holding
        var silentFor: Duration
        var bound: Duration
    }

    func bound(for entry: WorkerRoster.Entry) -> Duration {
        guard let interval = entry.progress?.meanInterval else { return floor }
        return max(floor, interval * factor)
    }

    func overdue(in roster: WorkerRoster, now: ContinuousClock.Instant) -> [Overdue] {
        roster.holdingEntries.compactMap { peer, entry in
            guard let holding = entry.holding, let last = entry.progress?.at ?? entry.weakStageAt ?? entry.heldSince else {
                return nil
            }
            let silentFor = now - last
            let bound = bound(for: entry)
            return silentFor > bound ? Overdue(peer: peer, holding: holding, silentFor: silentFor, bound: bound) : nil
        }
    }
}
