import Engine
import Foundation
import Logging
import Protocol
import Synchronization

/// Stores arriving trial states on a thread of its own, so checking and writing megabytes
/// (checksum, write, fsync) never holds up the dispatch loop: the loop hands a state over with
/// `submit` and, each turn, collects with `completed()` what was stored or refused, journaling
/// the stored ones. States of one trial are stored in the order they were submitted.
final class StateIngest: Sendable {
    struct Job: Sendable {
        var trial: String
        var key: String
        var worker: String
        var build: String
        var step: Int
        var data: Data
    }

    enum Completion: Sendable {
        case stored(trial: String, worker: String, step: Int, bytes: Int)
        case refused(trial: String, worker: String, why: String)
    }

    private struct Queues {
        var pending: [Job] = []
        /// The trial whose state is being stored right now.
        var storing: String?
        var done: [Completion] = []
        var open = true

        func holds(_ trial: String) -> Bool { storing == trial || pending.contains { $0.trial == trial } }
    }

    let store: TrialStateStore
    private let queues = Mutex(Queues())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(store: TrialStateStore) {
        self.store = store
        let thread = Thread { [self] in work() }
        thread.name = "state-ingest"
        thread.start()
    }

    deinit { close() }

    func submit(_ job: Job) {
        queues.withLock { $0.pending.append(job) }
        wake.signal()
    }

    /// What was stored or refused since the last call, in order.
    func completed() -> [Completion] {
        queues.withLock { queues in
            defer { queues.done.removeAll() }
            return queues.done
        }
    }

    /// Whether a state of `trial` is submitted and not yet stored or refused.
    func isStoring(_ trial: String) -> Bool { queues.withLock { $0.holds(trial) } }

    /// Waits until every state of `trial` submitted so far is stored or refused: a trial about
    /// to run again must see the state its last worker handed over (on SIGTERM, say).
    func waitUntilStored(_ trial: String) {
        while queues.withLock({ $0.holds(trial) && $0.open }) { Thread.sleep(forTimeInterval: 0.001) }
    }

    /// Stores what is pending, then stops the thread (idempotent).
    func close() {
        let wasOpen = queues.withLock { queues in
            defer { queues.open = false }
            return queues.open
        }
        guard wasOpen else { return }
        wake.signal()
        finished.wait()
    }

    private func work() {
        while true {
            wake.wait()
            while let job = queues.withLock({ queues -> Job? in
                guard !queues.pending.isEmpty else { return nil }
                let job = queues.pending.removeFirst()
                queues.storing = job.trial
                return job
            }) {
                let outcome: Completion
                do {
                    try store.save(job.data, key: job.key, build: job.build)
                    outcome = .stored(trial: job.trial, worker: job.worker, step: job.step, bytes: job.data.count)
                } catch {
                    outcome = .refused(trial: job.trial, worker: job.worker, why: "\(error)")
                }
                queues.withLock {
                    $0.done.append(outcome)
                    $0.storing = nil
                }
            }
            if queues.withLock({ !$0.open && $0.pending.isEmpty }) {
                finished.signal()
                return
            }
        }
    }
}
