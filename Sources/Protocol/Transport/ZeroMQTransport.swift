import Foundation
import Logging

/// Tunables of the ZeroMQ transports; the defaults suit a sweep on one machine or a small LAN.
public struct ZeroMQOptions: Sendable {
    /// First delay before a worker reconnects to a vanished coordinator; doubles per failure.
    public var reconnectInterval: Duration = .milliseconds(100)
    /// Upper bound of the reconnect backoff.
    public var reconnectIntervalMaximum: Duration = .seconds(5)
    /// How long `close()` lets already-queued messages (a final `shutdown`, a last `result`)
    /// reach the wire before discarding them. Bounded, so closing never hangs.
    public var closeLinger: Duration = .milliseconds(200)
    /// Valid inbound messages held for `receive` before the socket stops reading and ZeroMQ's
    /// own high-water mark pushes back on senders.
    public var receiveQueueCapacity = 10_000
    /// Longest the socket thread sleeps in one poll when nothing wakes it.
    public var pollInterval: Duration = .milliseconds(250)
    /// Encryption and authentication of connections (CURVE for multi-node runs).
    public var security: ZeroMQSecurity = .none

    public init() {}

    var socketSettings: ZeroMQSocket.Settings {
        ZeroMQSocket.Settings(
            maximumFrameBytes: MessageCodec.maximumFrameBytes,
            reconnectIntervalMilliseconds: Self.milliseconds(reconnectInterval),
            reconnectIntervalMaximumMilliseconds: Self.milliseconds(reconnectIntervalMaximum),
            security: security)
    }

    func pumpSettings(dropWhenBlocked: Bool) -> SocketPump.Settings {
        SocketPump.Settings(pollInterval: pollInterval, dropWhenBlocked: dropWhenBlocked, closeLinger: closeLinger)
    }

    func securityWatch(server: Bool, logger: Logger, counters: TransportCounters) -> SecurityWatch? {
        switch security {
        case .none: return nil
        case .curveServer(_, let admitted):
            return SecurityWatch(
                admittedKeys: admitted, countsHandshakeFailures: server,
                logger: logger, counters: counters)
        case .curveClient:
            return SecurityWatch(
                admittedKeys: nil, countsHandshakeFailures: server,
                logger: logger, counters: counters)
        }
    }

    /// `close()` waits for the socket thread this long beyond the linger before giving up.
    var closeTimeout: Duration { closeLinger + .seconds(2) }

    private static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int(duration.secondsValue * 1000))
    }
}

// MARK: - Security

/// How ZeroMQ connections are secured. With CURVE the coordinator holds a key pair and every
/// worker must know the coordinator's public key: a worker without it fails the handshake and
/// is never heard from (ZeroMQ refuses it before any message exists). With a list of admitted
/// client keys, a ZAP handler on the coordinator's socket thread also refuses every worker whose
/// own public key is not listed, and logs it.
public enum ZeroMQSecurity: Sendable, Equatable {
    /// Plain TCP: fine on one machine or a trusted network.
    case none
    /// The coordinator's side: encrypts and accepts only clients that know its public key and,
    /// when `admittedClientKeys` is given, whose public key (Z85) is one of them.
    case curveServer(CurveKeyPair, admittedClientKeys: Set<String>? = nil)
    /// A worker's side: the coordinator's public key plus the worker's own key pair.
    case curveClient(serverPublicKey: String, keys: CurveKeyPair)
}

/// A CURVE key pair as Z85 text (40 characters each), the form ZeroMQ's tools write to key files.
public struct CurveKeyPair: Sendable, Equatable, CustomStringConvertible {
    public let publicKey: String
    public let secretKey: String

    /// Never prints the secret key, so a pair interpolated into a log line leaks nothing.
    public var description: String { "CurveKeyPair(publicKey: \(publicKey), secretKey: <redacted>)" }

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair from libzmq.
    public static func generate() throws -> CurveKeyPair {
        let (publicKey, secretKey) = try ZeroMQSocket.generateCurveKeyPair()
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }
}

// MARK: - Coordinator

/// The coordinator's ZeroMQ ROUTER: binds an endpoint, receives from any number of worker
/// DEALERs and routes replies by their routing ids. Owns the socket thread and receive queue.
public final class ZeroMQCoordinatorTransport: CoordinatorTransport, Sendable {
    /// The endpoint actually bound, with an ephemeral port resolved (`tcp://127.0.0.1:41234`).
    public let endpoint: String
    public let counters: TransportCounters
    private let inbox: BlockingQueue<Incoming>
    private let pump: SocketPump
    private let options: ZeroMQOptions

    /// Binds `endpoint` (e.g. `tcp://*:5555`, `tcp://127.0.0.1:0` for a free port). Throws
    /// `TransportError.bindFailed` when the address is in use or invalid.
    public init(
        bind endpoint: String, options: ZeroMQOptions = ZeroMQOptions(),
        logger: Logger = Logger(label: "groksweep.transport.coordinator")
    ) throws {
        let socket = try ZeroMQSocket(role: .router, settings: options.socketSettings)
        do {
            self.endpoint = try socket.bind(endpoint)
        } catch {
            socket.close()
            throw error
        }
        self.options = options
        let inbox = BlockingQueue<Incoming>()
        let counters = TransportCounters()
        self.inbox = inbox
        self.counters = counters
        let filter = InboundFilter(logger: logger, counters: counters)
        let capacity = options.receiveQueueCapacity
        do {
            pump = try SocketPump(
                socket: socket, settings: options.pumpSettings(dropWhenBlocked: true), logger: logger,
                counters: counters, securityWatch: options.securityWatch(server: true, logger: logger, counters: counters),
                canAcceptInbound: { inbox.count < capacity },
                handleInbound: { frames, frameCount in
                    // A DEALER peer's message arrives as [routing id, payload]; anything else
                    // (REQ envelopes, multi-frame junk) is not ours.
                    let peer = frames.first.map { PeerID(wire: [UInt8]($0)) }
                    guard let peer, frameCount == 2 else {
                        filter.dropMalformed(frameCount: frameCount, from: peer?.description ?? "?")
                        return
                    }
                    if let message = filter.decode(frames[1], from: peer.description) {
                        inbox.push(Incoming(peer: peer, message: message))
                    }
                })
        } catch {
            socket.close()
            throw error
        }
        pump.start(name: "zmq-router")
    }

    public func send(_ message: Message, to peer: PeerID) throws {
        let frame = try encodeForTransport(message)
        let outbound = SocketPump.Outbound(frames: [Data(peer.bytes), frame], peer: peer.description, kind: message.kind)
        guard pump.enqueue(outbound) else { throw TransportError.closed }
    }

    public func receive(timeout: Duration) -> Incoming? {
        inbox.pop(timeout: timeout)
    }

    public func close() {
        pump.stop(timeout: options.closeTimeout)
        inbox.close()
    }

    deinit { close() }
}

// MARK: - Worker

/// A worker's ZeroMQ DEALER: connects to the coordinator (before or after it binds — ZeroMQ
/// keeps retrying with backoff) under a chosen routing id. Owns the socket thread and receive queue.
public final class ZeroMQWorkerTransport: WorkerTransport, Sendable {
    public let endpoint: String
    public let routingId: PeerID
    public let counters: TransportCounters
    private let inbox: BlockingQueue<Message>
    private let pump: SocketPump
    private let options: ZeroMQOptions

    /// Connects to `endpoint` as `routingId` (by convention the worker id, so a restarted worker
    /// is the same peer to the coordinator). Throws `TransportError.connectFailed` for a
    /// malformed endpoint; an absent coordinator is not an error.
    public init(
        connect endpoint: String, routingId: PeerID, options: ZeroMQOptions = ZeroMQOptions(),
        logger: Logger = Logger(label: "groksweep.transport.worker")
    ) throws {
        let socket = try ZeroMQSocket(role: .dealer(routingId: routingId), settings: options.socketSettings)
        do {
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
        self.endpoint = endpoint
        self.routingId = routingId
        self.options = options
        let inbox = BlockingQueue<Message>()
        let counters = TransportCounters()
        self.inbox = inbox
        self.counters = counters
        let filter = InboundFilter(logger: logger, counters: counters)
        let capacity = options.receiveQueueCapacity
        do {
            pump = try SocketPump(
                socket: socket, settings: options.pumpSettings(dropWhenBlocked: false), logger: logger,
                counters: counters, securityWatch: options.securityWatch(server: false, logger: logger, counters: counters),
                canAcceptInbound: { inbox.count < capacity },
                handleInbound: { frames, frameCount in
                    guard frameCount == 1, let frame = frames.first else {
                        filter.dropMalformed(frameCount: frameCount, from: endpoint)
                        return
                    }
                    if let message = filter.decode(frame, from: endpoint) { inbox.push(message) }
                })
        } catch {
            socket.close()
            throw error
        }
        pump.start(name: "zmq-dealer")
    }

    public func send(_ message: Message) throws {
        let frame = try encodeForTransport(message)
        guard pump.enqueue(SocketPump.Outbound(frames: [frame], peer: endpoint, kind: message.kind)) else {
            throw TransportError.closed
        }
    }

    public func receive(timeout: Duration) -> Message? {
        inbox.pop(timeout: timeout)
    }

    public func close() {
        pump.stop(timeout: options.closeTimeout)
        inbox.close()
    }

    deinit { close() }
}
