import Foundation

/// One piece of a trial's saved state on the wire.
///
/// States are opaque sealed bytes here (the engine's checksummed envelope); a state larger than
/// one frame travels as `parts` chunks of at most `maximumBytes`, sent back to back on one
/// connection (ZeroMQ keeps their order). Workers send them to the coordinator as checkpoints;
/// the coordinator sends the latest one to the worker it hands the trial to next, just before
/// the `assign`. `step` is the step the state continues from: it tells a newer state from an
/// older one without opening either.
public struct StateChunk: Hashable, Sendable {
    /// Bytes per chunk: a frame of 4 MiB and a short JSON header, well inside the frame limit.
    public static let maximumBytes = 4 * 1024 * 1024

    public var trialId: String
    public var step: Int
    /// 0-based index of this chunk and the number of chunks of the state.
    public var part: Int
    public var parts: Int
    public var data: Data

    public init(trialId: String, step: Int, part: Int, parts: Int, data: Data) {
        self.trialId = trialId
        self.step = step
        self.part = part
        self.parts = parts
        self.data = data
    }

    /// The chunks of `state`, in order (one chunk, possibly empty, at least).
    public static func split(_ state: Data, trialId: String, step: Int, chunkBytes: Int = maximumBytes) -> [StateChunk] {
        precondition(chunkBytes > 0)
        let parts = max(1, (state.count + chunkBytes - 1) / chunkBytes)
        return (0..<parts).map { part in
            let start = state.startIndex + part * chunkBytes
            let end = min(start + chunkBytes, state.endIndex)
            return StateChunk(trialId: trialId, step: step, part: part, parts: parts, data: state.subdata(in: start..<end))
        }
    }
}

/// Puts chunks back together: one state per trial at a time, the newest step winning.
///
/// Chunks of a state are expected in order; a chunk out of order, a part count that changes
/// midway or a chunk of an older step than the one being assembled is dropped (and the
/// assembly of that trial restarts with the next part 0). A repeated chunk is harmless.
public struct StateAssembler: Sendable {
    private struct Pending: Sendable {
        var step: Int
        var parts: Int
        var received: [Data]
    }

    /// Largest state accepted, so a hostile peer cannot make this process buffer without limit.
    public let maximumStateBytes: Int
    private var pending: [String: Pending] = [:]

    public init(maximumStateBytes: Int = 4 << 30) {
        self.maximumStateBytes = maximumStateBytes
    }

    public enum Outcome: Equatable, Sendable {
        /// More chunks are needed.
        case incomplete
        /// The last chunk arrived: the whole state and the step it continues from.
        case complete(Data, step: Int)
        /// The chunk does not fit what was being assembled; why, for the log.
        case dropped(String)
    }

    public mutating func add(_ chunk: StateChunk) -> Outcome {
        guard chunk.parts >= 1, (0..<chunk.parts).contains(chunk.part) else {
            return .dropped("part \(chunk.part) of \(chunk.parts)")
        }
        guard chunk.parts <= maximumStateBytes / StateChunk.maximumBytes + 1 else {
            return .dropped("a state of \(chunk.parts) parts exceeds the limit of \(maximumStateBytes) bytes")
        }
        if chunk.part == 0 {
            pending[chunk.trialId] = Pending(step: chunk.step, parts: chunk.parts, received: [])
        }
        guard var current = pending[chunk.trialId] else { return .dropped("part \(chunk.part) without part 0") }
        guard current.step == chunk.step, current.parts == chunk.parts else {
            return .dropped("part \(chunk.part) of step \(chunk.step) while assembling step \(current.step)")
        }
        if chunk.part < current.received.count { return .incomplete }  // a repeat
        guard chunk.part == current.received.count else {
            pending[chunk.trialId] = nil
            return .dropped("part \(chunk.part) arrived before part \(current.received.count)")
        }
        current.received.append(chunk.data)
        guard current.received.count == current.parts else {
            pending[chunk.trialId] = current
            return .incomplete
        }
        pending[chunk.trialId] = nil
        var whole = Data(capacity: current.received.reduce(0) { $0 + $1.count })
        for piece in current.received { whole.append(piece) }
        return .complete(whole, step: current.step)
    }

    /// Forgets whatever was being assembled for `trialId`.
    public mutating func discard(_ trialId: String) { pending[trialId] = nil }
}
