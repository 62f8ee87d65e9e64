import Foundation

/// Many worker-side DEALER sockets in one ZeroMQ context, driven by the calling thread: the way
/// a load test stands up hundreds of simulated workers in one process. Each member connects under
/// its own routing id and speaks the normal message codec; there is no socket thread, so the
/// caller alternates `send` and `receive` itself.
///
/// Not thread-safe: one thread creates, uses and closes a group.
public final class ZeroMQDealerGroup {
    private let context: ZeroMQContext
    private var sockets: [ZeroMQSocket]
    public let routingIds: [PeerID]

    /// Connects one DEALER per routing id to `endpoint`.
    public init(connect endpoint: String, routingIds: [PeerID], options: ZeroMQOptions = ZeroMQOptions()) throws {
        context = try ZeroMQContext(maximumSockets: routingIds.count + 16)
        self.routingIds = routingIds
        sockets = []
        sockets.reserveCapacity(routingIds.count)
        do {
            for id in routingIds {
                let socket = try ZeroMQSocket(
                    role: .dealer(routingId: id), settings: options.socketSettings,
                    sharedContext: context)
                sockets.append(socket)
                try socket.connect(endpoint)
            }
        } catch {
            close()
            throw error
        }
    }

    public var count: Int { sockets.count }

    /// Sends `message` from member `index`; false when its queue is full or the group is closing.
    @discardableResult
    public func send(_ message: Message, from index: Int) throws -> Bool {
        let frame = try encodeForTransport(message)
        return sockets[index].send([frame]) == .sent
    }

    /// Every message waiting for any member (waiting up to `timeout` for the first), as
    /// (member index, message). Frames that are not valid messages are counted in `dropped`.
    public func receive(timeout: Duration) -> [(member: Int, message: Message)] {
        let milliseconds = Int(timeout.secondsValue * 1000)
        var received: [(member: Int, message: Message)] = []
        for index in ZeroMQSocket.readable(sockets, timeoutMilliseconds: milliseconds) {
            while case .message(let frames, let frameCount) = sockets[index].receive(keepFrames: 1) {
                if frameCount == 1, let frame = frames.first, let message = try? MessageCodec.decode(frame) {
                    received.append((index, message))
                } else {
                    dropped += 1
                }
            }
        }
        return received
    }

    /// Inbound frames that were not valid messages.
    public private(set) var dropped = 0

    /// Closes every member at once (nothing queued is flushed) and the context.
    public func close() {
        for socket in sockets { socket.close() }
        sockets.removeAll()
    }

    deinit { close() }
}
