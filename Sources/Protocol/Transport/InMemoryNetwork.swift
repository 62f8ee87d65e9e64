import Foundation
import Logging
import Synchronization

/// An in-process twin of the ZeroMQ network, for testing coordinator and worker logic without
/// sockets. It owns one coordinator end and any number of worker ends, and it mirrors the
/// behaviour the real transports promise:
///
/// - every message is encoded and decoded by `MessageCodec`, so frame handling is exercised;
///   invalid frames (see `injectFrame`) are logged, counted and dropped, never delivered;
/// - a message to an unknown or closed worker is dropped (ROUTER_MANDATORY + log);
/// - a worker's messages while no coordinator is open wait, bounded, and are delivered when one
///   opens (a DEALER queues for a coordinator that restarts);
/// - a worker connecting with the id of an open worker takes over its routing (ROUTER_HANDOVER).
///
/// Delivery is synchronous and ordered per sender, which makes tests deterministic.
public final class InMemoryNetwork: Sendable {
    /// Messages a worker may queue while no coordinator is open (like a socket high-water mark).
    public static let pendingLimit = 1000

    /// The ends and what waits for the coordinator; delivery happens with it held, so it is ordered.
    private struct Routes {
        var coordinatorEnd: InMemoryCoordinatorTransport
        var workerEnds: [PeerID: InMemoryWorkerTransport] = [:]
        var pendingForCoordinator: [(peer: PeerID, frame: Data)] = []
    }

    private let logger: Logger
    private let routes: Mutex<Routes>

    public init(logger: Logger = Logger(label: "groksweep.transport.memory")) {
        self.logger = logger
        let coordinatorEnd = InMemoryCoordinatorTransport(logger: logger)
        routes = Mutex(Routes(coordinatorEnd: coordinatorEnd))
        coordinatorEnd.network = self
    }

    // MARK: Ends

    /// The coordinator end currently open (or most recently closed).
    public var coordinator: InMemoryCoordinatorTransport {
        routes.withLock { $0.coordinatorEnd }
    }

    /// Closes the current coordinator end and opens a fresh one, as a restarted coordinator
    /// process would bind again. Messages workers queued meanwhile are delivered to it.
    @discardableResult
    public func restartCoordinator() -> InMemoryCoordinatorTransport {
        coordinator.close()
        let fresh = InMemoryCoordinatorTransport(logger: logger)
        fresh.network = self
        routes.withLock { routes in
            routes.coordinatorEnd = fresh
            for (peer, frame) in routes.pendingForCoordinator { fresh.deliver(frame, from: peer) }
            routes.pendingForCoordinator.removeAll()
        }
        return fresh
    }

    /// A new worker end routed as `peer`.
    public func connectWorker(_ peer: PeerID) -> InMemoryWorkerTransport {
        let end = InMemoryWorkerTransport(peer: peer, logger: logger)
        end.network = self
        routes.withLock { $0.workerEnds[peer] = end }
        return end
    }

    // MARK: Raw frames

    /// Hands `frame` to the coordinator as if `peer` had sent it, without encoding: for testing
    /// that garbage never reaches coordinator logic.
    public func injectFrame(_ frame: Data, from peer: PeerID) {
        routeToCoordinator(frame, from: peer)
    }

    /// Hands `frame` to the worker `peer` as if the coordinator had sent it, without encoding.
    public func injectFrame(_ frame: Data, to peer: PeerID) {
        _ = routeToWorker(frame, peer: peer)
    }

    // MARK: Routing (called by the ends)

    func routeToCoordinator(_ frame: Data, from peer: PeerID) {
        routes.withLock { routes in
            if routes.coordinatorEnd.isOpen {
                routes.coordinatorEnd.deliver(frame, from: peer)
            } else if routes.pendingForCoordinator.count < Self.pendingLimit {
                routes.pendingForCoordinator.append((peer, frame))
            }
        }
    }

    /// Whether a worker end with that id was open to take the frame.
    func routeToWorker(_ frame: Data, peer: PeerID) -> Bool {
        routes.withLock { routes in
            guard let end = routes.workerEnds[peer], end.isOpen else { return false }
            end.deliver(frame)
            return true
        }
    }

    func detach(_ end: InMemoryWorkerTransport) {
        routes.withLock { routes in
            if routes.workerEnds[end.peer] === end { routes.workerEnds[end.peer] = nil }
        }
    }
}

// MARK: - Coordinator end

/// The coordinator's end of an `InMemoryNetwork`; owns its receive queue and counters.
public final class InMemoryCoordinatorTransport: CoordinatorTransport, Sendable {
    public let counters = TransportCounters()
    /// Strong, so an end keeps its network alive; cleared on close to break the cycle.
    fileprivate var network: InMemoryNetwork? {
        get { state.withLock { $0.network } }
        set { state.withLock { $0.network = newValue } }
    }
    private let inbox = BlockingQueue<Incoming>()
    private let filter: InboundFilter
    private let logger: Logger
    private let state = Mutex(EndState())

    fileprivate init(logger: Logger) {
        self.logger = logger
        filter = InboundFilter(logger: logger, counters: counters)
    }

    var isOpen: Bool { state.withLock { !$0.closed } }

    public func send(_ message: Message, to peer: PeerID) throws {
        guard isOpen, let network else { throw TransportError.closed }
        let frame = try encodeForTransport(message)
        if !network.routeToWorker(frame, peer: peer) {
            counters.add(droppedOutbound: 1)
            logger.info(
                "dropped an undeliverable message",
                metadata: [
                    "peer": "\(peer)", "type": "\(message.kind.rawValue)",
                ])
        }
    }

    public func receive(timeout: Duration) -> Incoming? {
        inbox.pop(timeout: timeout)
    }

    public func close() {
        state.withLock { $0 = EndState(network: nil, closed: true) }
        inbox.close()
    }

    fileprivate func deliver(_ frame: Data, from peer: PeerID) {
        if let message = filter.decode(frame, from: peer.description) {
            inbox.push(Incoming(peer: peer, message: message))
        }
    }
}

// MARK: - Worker end

/// One worker's end of an `InMemoryNetwork`; owns its receive queue and counters.
public final class InMemoryWorkerTransport: WorkerTransport, Sendable {
    public let peer: PeerID
    public let counters = TransportCounters()
    /// Strong, so an end keeps its network alive; cleared on close to break the cycle.
    fileprivate var network: InMemoryNetwork? {
        get { state.withLock { $0.network } }
        set { state.withLock { $0.network = newValue } }
    }
    private let inbox = BlockingQueue<Message>()
    private let filter: InboundFilter
    private let state = Mutex(EndState())

    fileprivate init(peer: PeerID, logger: Logger) {
        self.peer = peer
        filter = InboundFilter(logger: logger, counters: counters)
    }

    var isOpen: Bool { state.withLock { !$0.closed } }

    public func send(_ message: Message) throws {
        guard isOpen, let network else { throw TransportError.closed }
        network.routeToCoordinator(try encodeForTransport(message), from: peer)
    }

    public func receive(timeout: Duration) -> Message? {
        inbox.pop(timeout: timeout)
    }

    /// Closes this end; the coordinator's later messages to this peer are dropped.
    public func close() {
        let network = state.withLock { state in
            defer { state = EndState(network: nil, closed: true) }
            return state.network
        }
        inbox.close()
        network?.detach(self)
    }

    fileprivate func deliver(_ frame: Data) {
        if let message = filter.decode(frame, from: "coordinator") { inbox.push(message) }
    }
}

/// An end's link to its network and whether it is closed.
private struct EndState {
    var network: InMemoryNetwork?
    var closed = false
}

// MARK: - Encoding

/// Encodes with the codec and reports failures the way every transport does.
func encodeForTransport(_ message: Message) throws -> Data {
    do {
        return try MessageCodec.encode(message)
    } catch let error as MessageEncodingError {
        throw TransportError.encoding(error)
    }
}
