/// One message between the coordinator and a worker: the whole vocabulary of the wire protocol.
///
/// Workers pull: they announce themselves (`hello`), ask for work when idle (`ready`), hold at
/// most one trial, report `progress`, send its saved `state` now and then, and finish with a
/// `result` or a `failure` — or `stopped` when told to `cancel` it. The coordinator hands out
/// work (`assign`, preceded by the trial's latest `state` when it has one), asks workers to stop
/// (`shutdown`) and refuses peers it will not talk to (`reject`). A worker about to exit on
/// notice says `leaving`. Both sides send `heartbeat` so each can tell when the other is gone.
/// The codec (`MessageCodec`) turns these into one versioned JSON frame and back.
public enum Message: Hashable, Sendable {
    /// A worker introduces itself; sent first on every (re)connection.
    case hello(WorkerInfo)
    /// The worker is idle and asks for one trial.
    case ready
    /// Liveness signal, sent both ways about once a second.
    case heartbeat
    /// The coordinator gives a trial to a worker. `attempt` counts from 1 and grows each time the
    /// trial is handed out again after a worker died holding it.
    case assign(trialId: String, attempt: Int, config: JSONValue)
    /// An intermediate evaluation of a running trial. Losses may be NaN or infinite when a run
    /// diverges; they travel as JSON null and come back as NaN. `stage` is `.weak` for the weak
    /// model of a GrokTransfer trial (its steps are the weak run's): a sign of life, not a
    /// point of the trial's curve.
    case progress(
        trialId: String, step: Int, trainAccuracy: Double, testAccuracy: Double,
        trainLoss: Double, testLoss: Double, stage: ProgressStage = .target)
    /// A finished trial, whatever its outcome.
    case result(TrialResult)
    /// The trial could not run on this worker (a crash, an invalid config, a lost engine).
    case failure(trialId: String, message: String)
    /// A chunk of a trial's saved state: a checkpoint (worker → coordinator) or the state to
    /// continue from (coordinator → worker, just before the `assign`).
    case state(StateChunk)
    /// The worker wrote the trial's state at `step` (`bytes` long) into the run's states folder
    /// on a filesystem it shares with the coordinator (instead of sending it as `state`).
    case stateStored(trialId: String, step: Int, bytes: Int)
    /// The coordinator asks the worker to stop running the trial at its next step boundary,
    /// sending the trial's state first when `sendState`.
    case cancel(trialId: String, sendState: Bool)
    /// The worker stopped the trial before its end (cancelled, or leaving); `step` is where.
    case stopped(trialId: String, step: Int)
    /// The worker is about to exit (SIGTERM, a preemption notice): its trial runs again
    /// elsewhere, from the state it just sent, and the attempt is not held against the trial.
    case leaving(reason: String)
    /// The coordinator asks the worker to exit (sweep done, Ctrl-C).
    case shutdown(reason: String)
    /// The coordinator refuses this peer (wrong build, failed authentication, duplicate id).
    case reject(reason: String)

    /// The kind of the message without its payload, for envelopes and log metadata.
    public var kind: MessageKind {
        switch self {
        case .hello: .hello
        case .ready: .ready
        case .heartbeat: .heartbeat
        case .assign: .assign
        case .progress: .progress
        case .result: .result
        case .failure: .failure
        case .state: .state
        case .stateStored: .stateStored
        case .cancel: .cancel
        case .stopped: .stopped
        case .leaving: .leaving
        case .shutdown: .shutdown
        case .reject: .reject
        }
    }

    /// The trial the message is about, if any; handy for log metadata.
    public var trialId: String? {
        switch self {
        case .assign(let trialId, _, _), .progress(let trialId, _, _, _, _, _, _), .failure(let trialId, _),
            .cancel(let trialId, _), .stopped(let trialId, _), .stateStored(let trialId, _, _):
            trialId
        case .result(let result):
            result.trialId
        case .state(let chunk):
            chunk.trialId
        case .hello, .ready, .heartbeat, .shutdown, .reject, .leaving:
            nil
        }
    }
}

/// Which model of a trial a `progress` message is about.
public enum ProgressStage: String, CaseIterable, Hashable, Sendable {
    /// GrokTransfer's weak model, trained before the target.
    case weak
    /// The trial's model (the target of a GrokTransfer trial).
    case target
}

/// The name of each message kind as written in the envelope's `type` member.
public enum MessageKind: String, CaseIterable, Hashable, Sendable {
    case hello, ready, heartbeat, assign, progress, result, failure, state, stateStored, cancel, stopped, leaving, shutdown, reject
}

/// What a worker tells the coordinator about itself in `hello`: enough to identify the process
/// in logs and journals and to judge whether its results are comparable (build, compute threads).
public struct WorkerInfo: Hashable, Sendable {
    /// Stable, unique name of the worker process (also used as its routing id by convention).
    public var workerId: String
    public var host: String
    /// CPU cores the worker may use.
    public var cores: Int
    /// Build identification (version, commit, configuration) of the worker binary.
    public var build: String
    /// Compute threads each trial runs with; part of what makes a curve reproducible.
    public var blasThreads: Int
    /// Operating-system process id, to find the process on its host.
    public var pid: Int

    public init(workerId: String, host: String, cores: Int, build: String, blasThreads: Int, pid: Int) {
        self.workerId = workerId
        self.host = host
        self.cores = cores
        self.build = build
        self.blasThreads = blasThreads
        self.pid = pid
    }
}

// MARK: - JSON

extension WorkerInfo {
    public var json: JSONValue {
        .object([
            "workerId": .string(workerId),
            "host": .string(host),
            "cores": .number(Double(cores)),
            "build": .string(build),
            "blasThreads": .number(Double(blasThreads)),
            "pid": .number(Double(pid)),
        ])
    }

    /// Decodes a worker description; errors carry JSON paths below `path`.
    public init(json: JSONValue, path: String = "$") throws {
        var reader = try ObjectReader(json, path: path)
        workerId = try reader.string("workerId")
        host = try reader.string("host")
        cores = try reader.integer("cores", in: 1...65_536)
        build = try reader.string("build")
        blasThreads = try reader.integer("blasThreads", in: 1...65_536)
        pid = try reader.integer("pid", in: 0...Int(Int32.max))
        try reader.finish()
    }
}
