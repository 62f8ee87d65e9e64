import Foundation
import Logging

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
public final class TransportCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var receivedCount = 0
    private var droppedInboundCount = 0
    private var droppedOutboundCount = 0
    private var refusedPeerCount = 0

    public init() {}

    /// Valid messages delivered to the receive queue.
    public var received: Int { lock.withLock { receivedCount } }
    /// Inbound frames dropped as invalid (garbage, wrong version, bad shape).
    public var droppedInbound: Int { lock.withLock { droppedInboundCount } }
    /// Outbound messages dropped because their peer was unknown or not reading.
    public var droppedOutbound: Int { lock.withLock { droppedOutboundCount } }
    /// Connections refused by authentication: a key not admitted, no key, or a wrong key.
    public var refusedPeers: Int { lock.withLock { refusedPeerCount } }

    func add(received: Int = 0, dropped: Int = 0, droppedOutbound: Int = 0, refusedPeers: Int = 0) {
        lock.withLock {
            refusedPeerCount += refusedPeers
            receivedCount += received
            droppedInboundCount += dropped
            droppedOutboundCount += droppedOutbound
        }
    }
}
