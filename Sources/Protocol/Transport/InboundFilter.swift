import Foundation
import Logging
import Synchronization

/// Decodes inbound frames for a transport, logging and counting the ones it drops so callers
/// only ever see valid messages. Shared by the ZeroMQ and in-memory transports.
struct InboundFilter: Sendable {
    let logger: Logger
    let counters: TransportCounters

    /// The message in `frame` from `peer`, or nil after logging why it was dropped.
    func decode(_ frame: Data, from peer: String) -> Message? {
        do {
            let message = try MessageCodec.decode(frame)
            counters.add(received: 1)
            return message
        } catch {
            counters.add(dropped: 1)
            logger.warning("dropped an invalid frame", metadata: [
                "peer": "\(peer)", "bytes": "\(frame.count)", "error": "\(error)",
            ])
            return nil
        }
    }

    /// Records and logs a multipart message whose shape is wrong before any decoding.
    func dropMalformed(frameCount: Int, from peer: String) {
        counters.add(dropped: 1)
        logger.warning("dropped a message with an unexpected number of frames", metadata: [
            "peer": "\(peer)", "frames": "\(frameCount)",
        ])
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
