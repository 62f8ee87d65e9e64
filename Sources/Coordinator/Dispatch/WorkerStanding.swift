import Foundation
import Protocol

/// Which workers keep losing the trials they are given, and which of them sit out for a while.
///
/// A worker that ends `quarantineAfter` attempts in a row without a result (died, went silent,
/// stalled, failed) is the suspect rather than its trials: it gets no work for a quarantine that
/// doubles each time it happens again (capped), and a result resets its streak. Kept by worker
/// id across the worker's disappearances, since a crashing worker comes back under the same id.
struct WorkerStanding {
    var quarantineAfter = 3
    var firstQuarantine: Duration = .seconds(60)
    var longestQuarantine: Duration = .seconds(1800)

    private struct Record {
        var lossStreak = 0
        var quarantines = 0
        var quarantinedUntil: ContinuousClock.Instant?
    }

    private var records: [PeerID: Record] = [:]

    /// Records a lost attempt; returns the quarantine's length when this loss starts one.
    mutating func lost(_ peer: PeerID, now: ContinuousClock.Instant) -> Duration? {
        var record = records[peer] ?? Record()
        record.lossStreak += 1
        defer { records[peer] = record }
        guard record.lossStreak >= quarantineAfter else { return nil }
        record.lossStreak = 0
        record.quarantines += 1
        let length = min(firstQuarantine * (1 << min(record.quarantines - 1, 20)), longestQuarantine)
        record.quarantinedUntil = now + length
        return length
    }

    mutating func delivered(_ peer: PeerID) {
        records[peer]?.lossStreak = 0
    }

    func isQuarantined(_ peer: PeerID, now: ContinuousClock.Instant) -> Bool {
        guard let until = records[peer]?.quarantinedUntil else { return false }
        return now < until
    }

    /// Times `peer` was quarantined so far.
    func quarantines(of peer: PeerID) -> Int { records[peer]?.quarantines ?? 0 }
}
