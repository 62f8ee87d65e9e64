/// The trials waiting for a worker, in the order they go out: trials whose attempt failed come
/// back first (most recent first), then the rest in sweep order.
///
/// O(1) per operation at any sweep size. Removal is lazy: a queued trial that gets a result
/// anyway (a stale worker delivering late) stays in the queue and is skipped by the caller's
/// `isStillQueued` check when it comes up.
struct TrialQueue {
    private var fresh: [String]
    private var head = 0
    private var retries: [String] = []

    init(_ trials: [String]) { fresh = trials }

    /// Entries left, including lazily removed ones.
    var count: Int { fresh.count - head + retries.count }

    /// Puts a trial whose attempt failed at the front.
    mutating func requeueFirst(_ trial: String) { retries.append(trial) }

    /// The next trial for which `isStillQueued` holds, removing it and every skipped entry.
    mutating func next(where isStillQueued: (String) -> Bool) -> String? {
        while let trial = retries.popLast() {
            if isStillQueued(trial) { return trial }
        }
        while head < fresh.count {
            let trial = fresh[head]
            head += 1
            if head == fresh.count {
                fresh.removeAll()
                head = 0
            }
            if isStillQueued(trial) { return trial }
        }
        return nil
    }
}
