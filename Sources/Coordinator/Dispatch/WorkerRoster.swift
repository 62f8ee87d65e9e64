import Foundation
import Protocol

/// The workers the coordinator currently knows: who they are, when each was last heard from,
/// and which trial (at most one) each holds.
struct WorkerRoster {
    struct Entry {
        var info: WorkerInfo?
        var lastHeard: ContinuousClock.Instant
        /// The trial and attempt this worker holds, if any.
        var holding: (trial: String, attempt: Int)?
        /// The worker asked for work and has none.
        var idle = false
        var lastProgress: (step: Int, testAccuracy: Double)?
    }

    private(set) var entries: [PeerID: Entry] = [:]

    var count: Int { entries.count }
    var peers: [PeerID] { Array(entries.keys) }
    var idlePeers: [PeerID] { entries.filter { $0.value.idle && $0.value.holding == nil }.map(\.key).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) } }

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

    mutating func setIdle(_ peer: PeerID, _ idle: Bool) { entries[peer]?.idle = idle }

    mutating func hold(_ peer: PeerID, trial: String, attempt: Int) {
        entries[peer]?.holding = (trial, attempt)
        entries[peer]?.idle = false
        entries[peer]?.lastProgress = nil
    }

    mutating func release(_ peer: PeerID) {
        entries[peer]?.holding = nil
        entries[peer]?.lastProgress = nil
    }

    mutating func progress(_ peer: PeerID, step: Int, testAccuracy: Double) {
        entries[peer]?.lastProgress = (step, testAccuracy)
    }

    /// Removes and returns workers not heard from since `deadline`.
    mutating func removeSilent(before deadline: ContinuousClock.Instant) -> [(PeerID, Entry)] {
        let silent = entries.filter { $0.value.lastHeard < deadline }
        for (peer, _) in silent { entries[peer] = nil }
        return silent.map { ($0.key, $0.value) }
    }

    mutating func remove(_ peer: PeerID) -> Entry? { entries.removeValue(forKey: peer) }

    /// The worker holding `trial`, if any.
    func holder(of trial: String) -> PeerID? { entries.first { $0.value.holding?.trial == trial }?.key }
}
