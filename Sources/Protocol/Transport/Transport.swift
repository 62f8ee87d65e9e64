import Foundation

// MARK: - Peers

/// The transport-level identity of one connected worker: its ZeroMQ routing id (1–255 bytes,
/// first byte non-zero). Workers choose their own, so a reconnecting worker keeps its identity.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// A routing id from raw bytes. Empty ids, ids longer than 255 bytes and ids starting with a
    /// zero byte (ZeroMQ reserves those for ids it generates itself) are programmer errors.
    public init(bytes: [UInt8]) {
        precondition(Self.isValid(bytes), "a routing id is 1–255 bytes and must not start with 0")
        self.bytes = bytes
    }

    /// A routing id spelled as text, e.g. the worker id.
    public init(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    /// An id as received from the wire, which may be one that ZeroMQ generated (leading zero).
    init(wire bytes: [UInt8]) {
        self.bytes = bytes
    }

    public static func isValid(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.count <= 255 && bytes[0] != 0
    }

    /// The id as text when it is printable UTF-8, otherwise as hex (`0x00a1b2…`).
    public var description: String {
        if let text = String(validating: bytes, as: UTF8.self),
            text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        {
            return text
        }
        return "0x" + bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// One decoded message and the peer it came from, as the coordinator receives it.
public struct Incoming: Hashable, Sendable {
    public let peer: PeerID
    public let message: Message

    public init(peer: PeerID, message: Message) {
        self.peer = peer
        self.message = message
    }
}

// MARK: - Transport protocols

/// The coordinator's end of the network: many workers, each addressed by `PeerID`.
///
/// Implementations are thread-safe and synchronous: the coordinator runs its own event loop on a
/// dedicated thread and blocks in `receive(timeout:)` (never inside a Swift concurrency task, whose
/// pool has only as many threads as cores). Frames that are not valid messages are logged and
/// dropped inside the transport; callers only ever see valid messages.
public protocol CoordinatorTransport: AnyObject, Sendable {
    /// Queues `message` for `peer` and returns at once. Throws only for a message that cannot be
    /// encoded or a closed transport; a peer that has vanished is logged and the message dropped,
    /// since heartbeats (not send errors) decide when a worker is dead.
    func send(_ message: Message, to peer: PeerID) throws
    /// The next message from any worker, waiting at most `timeout`; nil on timeout or once closed.
    func receive(timeout: Duration) -> Incoming?
    /// Stops the transport and releases its sockets. Idempotent; bounded in time.
    func close()
}

/// A worker's end of the network: one coordinator. Same threading rules as `CoordinatorTransport`.
public protocol WorkerTransport: AnyObject, Sendable {
    /// Queues `message` for the coordinator and returns at once. While the coordinator is
    /// unreachable, messages wait (up to the socket's high-water mark) and go out on reconnect.
    func send(_ message: Message) throws
    /// The next message from the coordinator, waiting at most `timeout`; nil on timeout or once closed.
    func receive(timeout: Duration) -> Message?
    /// Stops the transport and releases its sockets. Idempotent; bounded in time.
    func close()
}

// MARK: - Errors

/// Why a transport could not be set up or used. Messages name the endpoint involved.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `send` after `close()`.
    case closed
    /// Binding the coordinator's socket failed (address in use, bad endpoint, no permission).
    case bindFailed(endpoint: String, reason: String)
    /// Connecting the worker's socket failed (malformed endpoint, unknown transport).
    case connectFailed(endpoint: String, reason: String)
    /// Creating or configuring a socket failed.
    case socketFailed(operation: String, reason: String)
    /// The message could not be encoded.
    case encoding(MessageEncodingError)

    public var description: String {
        switch self {
        case .closed: "the transport is closed"
        case .bindFailed(let endpoint, let reason): "cannot bind \(endpoint): \(reason)"
        case .connectFailed(let endpoint, let reason): "cannot connect to \(endpoint): \(reason)"
        case .socketFailed(let operation, let reason): "socket \(operation) failed: \(reason)"
        case .encoding(let error): "cannot encode message: \(error)"
        }
    }
}

// MARK: - Time

extension Duration {
    /// The duration in seconds as a floating-point number, clamped at zero.
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return max(0, Double(seconds) + Double(attoseconds) / 1e18)
    }
}
