/// Where one trial is in its life: waiting, held by a worker, done, or given up.
///
/// Owns the only transition function (`next(on:attempts:)`), so the coordinator, the journal
/// writer and journal replay all agree on what may happen next; anything else is an error.
enum TrialState: Hashable, Sendable, CustomStringConvertible {
    case queued
    case running(worker: String, attempt: Int)
    case finished
    case failed

    var description: String {
        switch self {
        case .queued: "queued"
        case .running(let worker, let attempt): "running on \(worker) (attempt \(attempt))"
        case .finished: "finished"
        case .failed: "failed"
        }
    }
}

/// Something that happens to a trial; each journal record except `sweep`/`extended` is one.
enum TrialEvent: Hashable, Sendable, CustomStringConvertible {
    /// Handed to `worker` as attempt number `attempt` (1-based, one more than the attempts so far).
    case assign(worker: String, attempt: Int)
    /// A result arrived (any outcome, including a trial-level `failed` outcome the engine reported).
    case finish
    /// The attempt ended without a result: the worker died, went silent or crashed.
    case attemptFail(worker: String, attempt: Int, blame: AttemptBlame = .trial)
    /// No more attempts: the trial is failed for good.
    case giveUp
    /// The coordinator stopped (Ctrl-C, or a restart found the trial in flight): back to the queue.
    case interrupt

    var description: String {
        switch self {
        case .assign(let worker, let attempt): "assign to \(worker) as attempt \(attempt)"
        case .finish: "finish"
        case .attemptFail(let worker, let attempt, _): "fail attempt \(attempt) on \(worker)"
        case .giveUp: "give up"
        case .interrupt: "interrupt"
        }
    }
}

/// What a legal event does to a trial.
enum TrialTransition: Hashable, Sendable {
    case moved(to: TrialState)
    /// Legal but without effect: a duplicate result, or an interrupt of a trial nobody holds.
    case ignored
}

/// An event the trial's state does not allow, naming the trial.
struct IllegalTransition: Error, CustomStringConvertible, Equatable {
    var trial: String
    var state: TrialState
    var event: TrialEvent
    var reason: String

    var description: String { "trial \(trial): cannot \(event) while \(state) (\(reason))" }
}

// MARK: - Transition function

extension TrialState {
    /// The one guarded transition function. `attempts` is how many attempts were assigned so far.
    ///
    /// Results are accepted from any state but `finished` (first result wins; later ones are
    /// ignored): a worker declared dead may still deliver, and a real result beats a give-up.
    func next(on event: TrialEvent, attempts: Int, trial: String) throws -> TrialTransition {
        func illegal(_ reason: String) -> IllegalTransition {
            IllegalTransition(trial: trial, state: self, event: event, reason: reason)
        }
        switch (self, event) {
        case (.queued, .assign(let worker, let attempt)):
            guard attempt == attempts + 1 else { throw illegal("the next attempt is \(attempts + 1)") }
            return .moved(to: .running(worker: worker, attempt: attempt))
        case (_, .assign):
            throw illegal("only a queued trial can be assigned")

        case (.finished, .finish):
            return .ignored
        case (_, .finish):
            return .moved(to: .finished)

        case (.running(let holder, let current), .attemptFail(let worker, let attempt, _)):
            guard holder == worker, current == attempt else {
                throw illegal("the trial is held by \(holder) as attempt \(current)")
            }
            return .moved(to: .queued)
        case (_, .attemptFail):
            throw illegal("only a running attempt can fail")

        case (.queued, .giveUp), (.running, .giveUp):
            return .moved(to: .failed)
        case (_, .giveUp):
            throw illegal("the trial has already ended")

        case (.running, .interrupt):
            return .moved(to: .queued)
        case (_, .interrupt):
            return .ignored
        }
    }

    var isInFlight: Bool {
        if case .running = self { return true }
        return false
    }
}

/// A trial's state plus the counters that survive transitions.
struct TrialProgress: Hashable, Sendable {
    var state: TrialState = .queued
    /// Attempts assigned so far (the attempt number of the latest `assign`).
    var attempts = 0
    /// The error of the latest failed attempt or give-up.
    var lastError: String?
    /// Attempts that ended without a result and may be the trial's fault (its worker died, went
    /// silent, reported a failure). Interruptions of the coordinator and attempts blamed on the
    /// worker (watchdog, preemption) do not count.
    var failedAttempts = 0
    /// The workers those attempts failed on: a trial is given up only once it failed on several.
    var failedOn: Set<String> = []
    /// Every worker this trial was ever handed to, in order: only they may deliver its result.
    var assignedWorkers: [String] = []
    /// The step of the latest saved state stored for the trial (nil: none).
    var checkpointStep: Int?
    /// The last step the latest failed attempt was known to reach.
    var reachedStep: Int?
    /// Steps run again because an attempt failed after its latest saved state.
    var recomputedSteps = 0

    /// A new attempt starts from `step`: what the failed one had done beyond it is recomputed.
    mutating func continued(from step: Int) {
        if let reached = reachedStep { recomputedSteps += max(0, reached - step) }
        reachedStep = nil
    }

    /// Applies `event` through the transition function; returns false when it was ignored.
    mutating func apply(_ event: TrialEvent, trial: String) throws -> Bool {
        switch try state.next(on: event, attempts: attempts, trial: trial) {
        case .ignored:
            return false
        case .moved(let newState):
            switch event {
            case .assign(let worker, let attempt):
                attempts = attempt
                if !assignedWorkers.contains(worker) { assignedWorkers.append(worker) }
            case .attemptFail(let worker, _, let blame):
                if blame == .trial {
                    failedAttempts += 1
                    failedOn.insert(worker)
                }
            case .finish, .giveUp, .interrupt:
                break
            }
            state = newState
            return true
        }
    }
}
