import Foundation
import Logging
import Synchronization

/// Decodes inbound frames for a transport, logging and counting the ones it drops so callers
/// only ever see valid messages. Shared by the ZeroMQ and in-memory transports. The counters
/// count every drop; the log says it at most once per peer and reason per interval, so a
/// misbehaving peer cannot fill a disk with warnings.
struct InboundFilter: Sendable {
    let counters: TransportCounters
    let dropLog: DropLog

    init(logger: Logger, counters: TransportCounters, logInterval: Duration = .seconds(10)) {
        self.counters = counters
        dropLog = DropLog(logger: logger, interval: logInterval)
    }

    /// The message in `frame` from `peer`, or nil after logging why it was dropped.
    func decode(_ frame: Data, from peer: String) -> Message? {
        do {
            let message = try MessageCodec.decode(frame)
            counters.add(received: 1)
            return message
        } catch {
            counters.add(dropped: 1)
            let reason = error.reason
            dropLog.record(
                "dropped an invalid frame", peer: peer, reason: reason,
                detail: ["bytes": "\(frame.count)", "error": "\(error)"])
            return nil
        }
    }

    /// Records and logs a multipart message whose shape is wrong before any decoding.
    func dropMalformed(frameCount: Int, from peer: String) {
        counters.add(dropped: 1)
        dropLog.record(
            "dropped a message with an unexpected number of frames", peer: peer, reason: "frameCount",
            detail: ["frames": "\(frameCount)"])
    }
}

/// Warnings about dropped input, at most one per peer and reason per `interval`: the first drop
/// is logged with its detail; the drops after it within the interval are counted and reported
/// as `suppressed` on the next line logged for that peer and reason.
final class DropLog: Sendable {
    private struct Key: Hashable {
        var peer: String
        var reason: String
    }

    private struct Window {
        var start: ContinuousClock.Instant
        var suppressed = 0
    }

    private let logger: Logger
    private let interval: Duration
    private let windows = Mutex<[Key: Window]>([:])
    /// Beyond this many (peer, reason) windows, ones older than the interval are forgotten.
    private static let pruneAbove = 4096

    init(logger: Logger, interval: Duration) {
        self.logger = logger
        self.interval = interval
    }

    func record(_ message: Logger.Message, peer: String, reason: String, detail: Logger.Metadata) {
        let now = ContinuousClock.now
        let key = Key(peer: peer, reason: reason)
        let suppressed: Int? = windows.withLock { windows in
            if var window = windows[key], now - window.start < interval {
                window.suppressed += 1
                windows[key] = window
                return nil
            }
            let earlier = windows[key]?.suppressed ?? 0
            if windows.count > Self.pruneAbove { windows = windows.filter { now - $0.value.start < interval } }
            windows[key] = Window(start: now)
            return earlier
        }
        guard let suppressed else { return }
        var metadata = detail
        metadata["peer"] = "\(peer)"
        metadata["reason"] = "\(reason)"
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed) more since the last warning" }
        logger.warning(message, metadata: metadata)
    }
}

/// Running totals a transport keeps for tests and status lines; read them at any time.
public final class TransportCounters: Sendable {
    private struct Totals {
        var received = 0
        var droppedInbound = 0
        var droppedOutbound = 0
        var refusedPeers = 0
    }

    private let totals = Mutex(Totals())

    public init() {}

    /// Valid messages delivered to the receive queue.
    public var received: Int { totals.withLock { $0.received } }
    /// Inbound frames dropped as invalid (garbage, wrong version, bad shape).
    public var droppedInbound: Int { totals.withLock { $0.droppedInbound } }
    /// Outbound messages dropped because their peer was unknown or not reading.
    public var droppedOutbound: Int { totals.withLock { $0.droppedOutbound } }
    /// Connections refused by authentication: a key not admitted, no key, or a wrong key.
    public var refusedPeers: Int { totals.withLock { $0.refusedPeers } }

    func add(received: Int = 0, dropped: Int = 0, droppedOutbound: Int = 0, refusedPeers: Int = 0) {
        totals.withLock { totals in
            totals.refusedPeers += refusedPeers
            totals.received += received
            totals.droppedInbound += dropped
            totals.droppedOutbound += droppedOutbound
        }
    }
}
