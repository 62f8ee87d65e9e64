import Foundation
import Protocol

/// The workers the coordinator currently knows: who they are, when each was last heard from,
/// which trial (at most one) each holds, and which are idle — in the order they asked for work.
///
/// Every operation the dispatch loop runs per message is O(1) in the number of workers; only
/// `removeSilent` scans them all (a few times a second).
struct WorkerRoster {
    typealias Holding = (trial: String, attempt: Int)

    struct Entry {
        var info: WorkerInfo?
        var lastHeard: ContinuousClock.Instant
        /// The trial and attempt this worker holds, if any.
        var holding: Holding?
        /// When the assignment of `holding` was last sent again (a `ready` while holding it).
        var resentAt: ContinuousClock.Instant?
        /// When `holding` was handed out: the watchdog's reference before any progress.
        var heldSince: ContinuousClock.Instant?
        /// The latest progress of GrokTransfer's weak stage, before the target's first.
        var weakStageAt: ContinuousClock.Instant?
        /// The worker asked for work and has none.
        var idle = false
        /// When the worker last asked for work (its `ready` arrived).
        var idleSince: ContinuousClock.Instant?
        /// What the held trial's progress messages said, for the live view.
        var progress: ProgressTrack?
    }

    /// The first and latest progress of a held trial: where it is and how fast it goes.
    struct ProgressTrack {
        var firstStep: Int
        var firstAt: ContinuousClock.Instant
        var step: Int
        var at: ContinuousClock.Instant
        var trainAccuracy: Double
        var testAccuracy: Double
        /// Progress messages received so far.
        var reports = 0

        /// The mean time between progress messages, once there were two.
        var meanInterval: Duration? {
            reports > 1 ? (at - firstAt) / (reports - 1) : nil
        }

        /// Steps per second between the first and the latest report, once they differ.
        var stepsPerSecond: Double? {
            let seconds = (at - firstAt).seconds
            return seconds > 0 && step > firstStep ? Double(step - firstStep) / seconds : nil
        }
    }

    private(set) var entries: [PeerID: Entry] = [:]
    /// Trial → the worker holding it.
    private var holders: [String: PeerID] = [:]
    /// Workers that said `ready`, oldest first; stale entries are skipped when taken.
    private var idleOrder: [PeerID] = []
    private var idleHead = 0

    var count: Int { entries.count }
    var peers: [PeerID] { Array(entries.keys) }

    func entry(_ peer: PeerID) -> Entry? { entries[peer] }
    func isKnown(_ peer: PeerID) -> Bool { entries[peer] != nil }

    /// Registers or refreshes a worker that said hello; a reconnecting worker keeps what it holds.
    mutating func greet(_ peer: PeerID, info: WorkerInfo, now: ContinuousClock.Instant) {
        var entry = entries[peer] ?? Entry(lastHeard: now)
        entry.info = info
        entry.lastHeard = now
        entries[peer] = entry
    }

    mutating func heard(_ peer: PeerID, now: ContinuousClock.Instant) {
        entries[peer]?.lastHeard = now
    }

    /// Marks a worker idle (it asked for work) and puts it at the back of the line.
    mutating func setIdle(_ peer: PeerID, now: ContinuousClock.Instant) {
        guard let entry = entries[peer], !entry.idle else { return }
        entries[peer]?.idle = true
        entries[peer]?.idleSince = now
        idleOrder.append(peer)
    }

    /// The worker that has waited longest for work, removed from the line; nil when none waits.
    mutating func takeIdle() -> PeerID? {
        while idleHead < idleOrder.count {
            let peer = idleOrder[idleHead]
            idleHead += 1
            if idleHead > 1024, idleHead * 2 > idleOrder.count {
                idleOrder.removeFirst(idleHead)
                idleHead = 0
            }
            if let entry = entries[peer], entry.idle, entry.holding == nil {
                entries[peer]?.idle = false
                return peer
            }
        }
        return nil
    }

    /// Puts a worker taken with `takeIdle` back at the front (nothing was given to it).
    mutating func returnIdle(_ peer: PeerID) {
        guard entries[peer] != nil else { return }
        entries[peer]?.idle = true
        if idleHead > 0 {
            idleHead -= 1
            idleOrder[idleHead] = peer
        } else {
            idleOrder.insert(peer, at: 0)
        }
    }

    mutating func hold(_ peer: PeerID, trial: String, attempt: Int, now: ContinuousClock.Instant) {
        entries[peer]?.holding = (trial, attempt)
        entries[peer]?.heldSince = now
        entries[peer]?.weakStageAt = nil
        entries[peer]?.resentAt = nil
        entries[peer]?.idle = false
        entries[peer]?.progress = nil
        holders[trial] = peer
    }

    /// Whether the held assignment may be sent again now (not within `interval` of the last
    /// time); records the send when it may.
    mutating func claimResend(_ peer: PeerID, now: ContinuousClock.Instant, interval: Duration) -> Bool {
        guard let entry = entries[peer], entry.holding != nil else { return false }
        if let last = entry.resentAt, now - last < interval { return false }
        entries[peer]?.resentAt = now
        return true
    }

    mutating func release(_ peer: PeerID) {
        if let trial = entries[peer]?.holding?.trial, holders[trial] == peer { holders[trial] = nil }
        entries[peer]?.holding = nil
        entries[peer]?.progress = nil
    }

    mutating func progress(
        _ peer: PeerID, step: Int, trainAccuracy: Double, testAccuracy: Double,
        now: ContinuousClock.Instant
    ) {
        guard let entry = entries[peer] else { return }
        var track =
            entry.progress
            ?? ProgressTrack(
                firstStep: step, firstAt: now, step: step, at: now,
                trainAccuracy: trainAccuracy, testAccuracy: testAccuracy)
        if step < track.step {  // a restarted trial
            track.firstStep = step
            track.firstAt = now
            track.reports = 0
        }
        track.reports += 1
        track.step = step
        track.at = now
        track.trainAccuracy = trainAccuracy
        track.testAccuracy = testAccuracy
        entries[peer]?.progress = track
    }

    mutating func weakStageProgress(_ peer: PeerID, now: ContinuousClock.Instant) {
        entries[peer]?.weakStageAt = now
    }

    /// Workers holding a trial, with what they hold.
    var holdingEntries: [(peer: PeerID, entry: Entry)] {
        holders.values.compactMap { peer in entries[peer].map { (peer, $0) } }
    }

    /// Moves every worker's clocks (last heard, held since, weak stage, progress) on by `pause`,
    /// never past `now`: the time the coordinator was not reading does not count as silence.
    /// Rates and mean progress intervals are kept (both ends of a progress track move).
    mutating func excuse(_ pause: Duration, now: ContinuousClock.Instant) {
        func moved(_ instant: ContinuousClock.Instant) -> ContinuousClock.Instant { min(instant + pause, now) }
        for peer in entries.keys {
            entries[peer]!.lastHeard = moved(entries[peer]!.lastHeard)
            entries[peer]!.heldSince = entries[peer]!.heldSince.map(moved)
            entries[peer]!.weakStageAt = entries[peer]!.weakStageAt.map(moved)
            if var track = entries[peer]!.progress {
                let shift = moved(track.at) - track.at
                track.at = track.at + shift
                track.firstAt = track.firstAt + shift
                entries[peer]!.progress = track
            }
        }
    }

    /// Removes and returns workers not heard from since `deadline`.
    mutating func removeSilent(before deadline: ContinuousClock.Instant) -> [(PeerID, Entry)] {
        let silent = entries.filter { $0.value.lastHeard < deadline }
        for (peer, _) in silent { _ = remove(peer) }
        return silent.map { ($0.key, $0.value) }
    }

    mutating func remove(_ peer: PeerID) -> Entry? {
        if let trial = entries[peer]?.holding?.trial, holders[trial] == peer { holders[trial] = nil }
        return entries.removeValue(forKey: peer)
    }

    /// The worker holding `trial`, if any.
    func holder(of trial: String) -> PeerID? { holders[trial] }
}
