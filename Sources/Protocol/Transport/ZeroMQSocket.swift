import CZeroMQ
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one file that talks to libzmq (and to the raw pipe used to wake a poll). Every pointer
/// stays inside this file; callers see frames as `Data` and outcomes as enums.
///
/// A `ZeroMQSocket` owns one ROUTER or DEALER socket and, unless it was given a shared
/// `ZeroMQContext` (many sockets driven by one thread, as in a load test), its own context. It is not
/// thread-safe (libzmq sockets are not): it is created and configured on the caller's thread,
/// then handed to exactly one socket thread (`SocketPump`), which alone uses and closes it.
final class ZeroMQSocket {
    enum Role {
        /// The coordinator's socket: many peers, addressed by routing id.
        case router
        /// A worker's socket, announcing itself with `routingId`.
        case dealer(routingId: PeerID)
    }

    struct Settings {
        var maximumFrameBytes: Int
        var reconnectIntervalMilliseconds: Int
        var reconnectIntervalMaximumMilliseconds: Int
        var security: ZeroMQSecurity
    }

    enum SendOutcome: Equatable {
        case sent
        /// The peer's queue is at its high-water mark.
        case wouldBlock
        /// A ROUTER has no connected peer with that routing id.
        case unreachable
        /// The context is shutting down.
        case terminated
        case failed(String)
    }

    enum ReceiveOutcome {
        /// One multipart message: its first frames (up to the limit asked for) and how many it had.
        case message(frames: [Data], frameCount: Int)
        case nothingWaiting
        case terminated
    }

    struct Readiness {
        var readable = false
        var writable = false
        var woken = false
        /// A ZAP authentication request is waiting (`serveAuthentication`).
        var authenticationPending = false
        /// A socket-monitor event is waiting (`takeSecurityEvents`).
        var securityEventPending = false
    }

    private let context: UnsafeMutableRawPointer
    /// Keeps a shared context alive while this socket exists; nil when the socket owns its context.
    private let sharedContext: ZeroMQContext?
    private var socket: UnsafeMutableRawPointer?
    /// The coordinator's ZAP handler (a REP socket on `zapEndpoint` in the same context), present
    /// when CURVE admits only listed client keys. libzmq asks it about every CURVE handshake.
    private var zapHandler: UnsafeMutableRawPointer?
    /// Receives the main socket's handshake events when security is on, for logging refusals.
    private var monitor: UnsafeMutableRawPointer?

    /// Where libzmq looks for the ZAP handler of a context (fixed by RFC 27).
    private static let zapEndpoint = "inproc://zeromq.zap.01"
    /// inproc names are per context; with a shared context each socket needs its own.
    private var monitorEndpoint: String { "inproc://groksweep.monitor.\(UInt(bitPattern: socket))" }
    private static let monitoredEvents =
        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    // MARK: Setup

    /// Creates the context and socket and applies every option before any bind or connect,
    /// because ZeroMQ only applies most options to connections made afterwards.
    init(role: Role, settings: Settings, sharedContext: ZeroMQContext? = nil) throws {
        if let sharedContext {
            context = sharedContext.pointer
        } else {
            guard let context = zmq_ctx_new() else {
                throw TransportError.socketFailed(operation: "zmq_ctx_new", reason: Self.lastError())
            }
            self.context = context
        }
        self.sharedContext = sharedContext
        let type = if case .router = role { ZMQ_ROUTER } else { ZMQ_DEALER }
        guard let socket = zmq_socket(context, type) else {
            let reason = Self.lastError()
            if sharedContext == nil { Self.terminate(context) }
            throw TransportError.socketFailed(operation: "zmq_socket", reason: reason)
        }
        self.socket = socket
        do {
            // Linger 0: an unsent message must never make zmq_ctx_term wait forever.
            try setOption(ZMQ_LINGER, Int32(0), "ZMQ_LINGER")
            try setOption(ZMQ_MAXMSGSIZE, Int64(settings.maximumFrameBytes), "ZMQ_MAXMSGSIZE")
            try setOption(ZMQ_RECONNECT_IVL, Int32(settings.reconnectIntervalMilliseconds), "ZMQ_RECONNECT_IVL")
            // ZeroMQ doubles the interval after each failed attempt up to this maximum: backoff.
            try setOption(
                ZMQ_RECONNECT_IVL_MAX, Int32(settings.reconnectIntervalMaximumMilliseconds),
                "ZMQ_RECONNECT_IVL_MAX")
            try applySecurity(settings.security)
            try startSecurityHelpers(settings.security)
            switch role {
            case .router:
                // Without MANDATORY a ROUTER silently drops messages to unknown peers.
                try setOption(ZMQ_ROUTER_MANDATORY, Int32(1), "ZMQ_ROUTER_MANDATORY")
                // A restarted worker reusing its id takes over from its stale connection.
                try setOption(ZMQ_ROUTER_HANDOVER, Int32(1), "ZMQ_ROUTER_HANDOVER")
            case .dealer(let routingId):
                try routingId.bytes.withUnsafeBytes { buffer in
                    try check(
                        zmq_setsockopt(socket, ZMQ_ROUTING_ID, buffer.baseAddress, buffer.count),
                        "ZMQ_ROUTING_ID")
                }
            }
        } catch {
            close()
            throw error
        }
    }

    /// Binds and returns the endpoint actually bound (ephemeral ports resolved).
    func bind(_ endpoint: String) throws -> String {
        guard zmq_bind(socket, endpoint) == 0 else {
            throw TransportError.bindFailed(endpoint: endpoint, reason: Self.lastError())
        }
        var buffer = [CChar](repeating: 0, count: 512)
        var length = buffer.count
        guard zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &length) == 0 else { return endpoint }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func connect(_ endpoint: String) throws {
        guard zmq_connect(socket, endpoint) == 0 else {
            throw TransportError.connectFailed(endpoint: endpoint, reason: Self.lastError())
        }
    }

    private func setOption<Value: FixedWidthInteger>(_ name: Int32, _ value: Value, _ label: String) throws {
        try withUnsafeBytes(of: value) { buffer in
            try check(zmq_setsockopt(socket, name, buffer.baseAddress, buffer.count), label)
        }
    }

    /// CURVE options must be set before bind/connect; a peer whose keys do not match fails the
    /// handshake inside ZeroMQ and never produces a message.
    private func applySecurity(_ security: ZeroMQSecurity) throws {
        switch security {
        case .none:
            return
        case .curveServer(let keys, _):
            try setOption(ZMQ_CURVE_SERVER, Int32(1), "ZMQ_CURVE_SERVER")
            try setKey(ZMQ_CURVE_SECRETKEY, keys.secretKey, "ZMQ_CURVE_SECRETKEY")
        case .curveClient(let serverPublicKey, let keys):
            try setKey(ZMQ_CURVE_SERVERKEY, serverPublicKey, "ZMQ_CURVE_SERVERKEY")
            try setKey(ZMQ_CURVE_PUBLICKEY, keys.publicKey, "ZMQ_CURVE_PUBLICKEY")
            try setKey(ZMQ_CURVE_SECRETKEY, keys.secretKey, "ZMQ_CURVE_SECRETKEY")
        }
    }

    /// The ZAP handler must be bound before the main socket binds, so no handshake can slip
    /// through unasked; the monitor is attached to report failed handshakes in the logs.
    private func startSecurityHelpers(_ security: ZeroMQSecurity) throws {
        guard security != .none else { return }
        if case .curveServer(_, .some) = security {
            guard let handler = zmq_socket(context, ZMQ_REP) else {
                throw TransportError.socketFailed(operation: "ZAP handler socket", reason: Self.lastError())
            }
            zapHandler = handler
            var zero: Int32 = 0
            zmq_setsockopt(handler, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
            try check(zmq_bind(handler, Self.zapEndpoint), "ZAP handler bind")
        }
        try check(zmq_socket_monitor(socket, monitorEndpoint, Self.monitoredEvents), "zmq_socket_monitor")
        guard let pair = zmq_socket(context, ZMQ_PAIR) else {
            throw TransportError.socketFailed(operation: "monitor socket", reason: Self.lastError())
        }
        monitor = pair
        var zero: Int32 = 0
        zmq_setsockopt(pair, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
        try check(zmq_connect(pair, monitorEndpoint), "monitor connect")
    }

    /// Sets a Z85-encoded key: 40 characters, passed with its terminating NUL as libzmq expects.
    private func setKey(_ name: Int32, _ key: String, _ label: String) throws {
        guard key.utf8.count == 40 else {
            throw TransportError.socketFailed(operation: label, reason: "a CURVE key is 40 Z85 characters")
        }
        try key.withCString { text in
            try check(zmq_setsockopt(socket, name, text, 41), label)
        }
    }

    /// A fresh CURVE key pair in Z85 text. Throws when libzmq was built without CURVE support.
    static func generateCurveKeyPair() throws -> (publicKey: String, secretKey: String) {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw TransportError.socketFailed(operation: "zmq_curve_keypair", reason: lastError())
        }
        let text = { (key: [CChar]) in String(decoding: key.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return (text(publicKey), text(secretKey))
    }

    private func check(_ status: Int32, _ label: String) throws {
        guard status == 0 else { throw TransportError.socketFailed(operation: label, reason: Self.lastError()) }
    }

    // MARK: Sending

    /// Sends `frames` as one multipart message without blocking, retrying on EINTR.
    func send(_ frames: [Data]) -> SendOutcome {
        for (index, frame) in frames.enumerated() {
            let flags = ZMQ_DONTWAIT | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            while true {
                let status = frame.withUnsafeBytes { buffer -> Int32 in
                    // An empty Data may have no base address; zmq_send wants a valid pointer.
                    var placeholder: UInt8 = 0
                    let address = buffer.baseAddress ?? withUnsafePointer(to: &placeholder) { UnsafeRawPointer($0) }
                    return zmq_send(socket, address, buffer.count, flags)
                }
                if status >= 0 { break }
                let code = zmq_errno()
                if code == EINTR { continue }
                // Only the first frame can be refused for routing or queue space; ZeroMQ
                // accepts the rest of a message once its first frame went in.
                switch code {
                case EAGAIN: return .wouldBlock
                case EHOSTUNREACH: return .unreachable
                case ETERM: return .terminated
                default: return .failed(Self.describe(code))
                }
            }
        }
        return .sent
    }

    // MARK: Receiving

    /// Takes one whole multipart message if one is waiting, keeping at most `keepFrames` frames
    /// (the rest are read and discarded so a junk message cannot grow memory).
    func receive(keepFrames: Int) -> ReceiveOutcome {
        var frames: [Data] = []
        var frameCount = 0
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            let flags = frameCount == 0 ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, socket, flags) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == ETERM { return .terminated }
                // EAGAIN before the first frame: nothing waiting. Later frames of a message are
                // always already there, so any other failure ends this message.
                return frameCount == 0 ? .nothingWaiting : .message(frames: frames, frameCount: frameCount)
            }
            frameCount += 1
            if frames.count < keepFrames {
                frames.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message)))
            }
            if zmq_msg_more(&message) == 0 { return .message(frames: frames, frameCount: frameCount) }
        }
    }

    // MARK: Polling

    /// Waits until the socket is readable/writable (as asked) or `wakeDescriptor` is readable,
    /// at most `timeoutMilliseconds`. nil means the context is terminating.
    func poll(readable: Bool, writable: Bool, wakeDescriptor: Int32, timeoutMilliseconds: Int) -> Readiness? {
        let socketEvents = Int16((readable ? ZMQ_POLLIN : 0) | (writable ? ZMQ_POLLOUT : 0))
        var items = [
            zmq_pollitem_t(socket: socket, fd: 0, events: socketEvents, revents: 0),
            // A raw descriptor item: zmq_poll watches plain fds when `socket` is null.
            zmq_pollitem_t(socket: nil, fd: wakeDescriptor, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        // Helpers are always watched, even when the main socket is not: a handshake waiting for
        // its ZAP reply must never wait on inbound back-pressure.
        let zapIndex = zapHandler.map { handler in
            items.append(zmq_pollitem_t(socket: handler, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            return items.count - 1
        }
        let monitorIndex = monitor.map { pair in
            items.append(zmq_pollitem_t(socket: pair, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            return items.count - 1
        }
        if zmq_poll(&items, Int32(items.count), timeoutMilliseconds) < 0 {
            let code = zmq_errno()
            return code == ETERM ? nil : Readiness()  // EINTR: report nothing, the caller loops
        }
        let isReadable = { (index: Int?) in index.map { items[$0].revents & Int16(ZMQ_POLLIN) != 0 } ?? false }
        return Readiness(
            readable: items[0].revents & Int16(ZMQ_POLLIN) != 0,
            writable: items[0].revents & Int16(ZMQ_POLLOUT) != 0,
            woken: items[1].revents & Int16(ZMQ_POLLIN) != 0,
            authenticationPending: isReadable(zapIndex),
            securityEventPending: isReadable(monitorIndex))
    }

    /// Waits until any of `sockets` is readable, at most `timeoutMilliseconds`; returns the
    /// indices of the readable ones (empty on timeout, EINTR or termination).
    static func readable(_ sockets: [ZeroMQSocket], timeoutMilliseconds: Int) -> [Int] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        guard zmq_poll(&items, Int32(items.count), timeoutMilliseconds) > 0 else { return [] }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }

    // MARK: Authentication (ZAP) and security events

    /// Answers every waiting ZAP request with `decide`'s verdict (200 admits, 400 refuses).
    func serveAuthentication(_ decide: (ZAPRequest) -> Bool) {
        guard let handler = zapHandler else { return }
        while let frames = Self.receiveAll(handler) {
            // RFC 27: version, request id, domain, address, identity, mechanism, credentials…
            guard frames.count >= 6, frames[0] == Data("1.0".utf8) else { continue }
            let mechanism = String(decoding: frames[5], as: UTF8.self)
            var key = ""
            if mechanism == "CURVE", frames.count >= 7, frames[6].count == 32 { key = Self.z85(frames[6]) }
            let request = ZAPRequest(
                address: String(decoding: frames[3], as: UTF8.self), mechanism: mechanism,
                clientPublicKey: key)
            let admitted = decide(request)
            let reply = [
                Data("1.0".utf8), frames[1], Data((admitted ? "200" : "400").utf8),
                Data((admitted ? "OK" : "key not admitted").utf8), Data(key.utf8), Data(),
            ]
            for (index, frame) in reply.enumerated() {
                let flags = ZMQ_DONTWAIT | (index < reply.count - 1 ? ZMQ_SNDMORE : 0)
                let status = frame.withUnsafeBytes { buffer -> Int32 in
                    var placeholder: UInt8 = 0
                    let address = buffer.baseAddress ?? withUnsafePointer(to: &placeholder) { UnsafeRawPointer($0) }
                    return zmq_send(handler, address, buffer.count, flags)
                }
                if status < 0 { break }
            }
        }
    }

    /// The monitor events waiting, decoded; other events are skipped.
    func takeSecurityEvents() -> [SecurityEvent] {
        guard let pair = monitor else { return [] }
        var events: [SecurityEvent] = []
        while let frames = Self.receiveAll(pair) {
            // Frame 1: a 16-bit event id and a 32-bit value (native order); frame 2: the endpoint.
            guard frames.count >= 2, frames[0].count >= 6 else { continue }
            let header = [UInt8](frames[0])
            let event = Int32(UInt16(header[0]) | UInt16(header[1]) << 8)
            let value = Int(UInt32(header[2]) | UInt32(header[3]) << 8 | UInt32(header[4]) << 16 | UInt32(header[5]) << 24)
            let address = String(decoding: frames[1], as: UTF8.self)
            switch event {
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: events.append(.handshakeSucceeded(address: address))
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: events.append(.refusedByPeer(address: address, status: value))
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
                events.append(.handshakeFailed(address: address, code: value))
            default: break
            }
        }
        return events
    }

    /// One whole multipart message from a helper socket without waiting; nil when none is waiting.
    private static func receiveAll(_ helper: UnsafeMutableRawPointer) -> [Data]? {
        var frames: [Data] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            if zmq_msg_recv(&message, helper, frames.isEmpty ? ZMQ_DONTWAIT : 0) < 0 {
                if zmq_errno() == EINTR { continue }
                return frames.isEmpty ? nil : frames
            }
            // Bounded: a helper message is a handful of short frames.
            if frames.count < 16 { frames.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message))) }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// A 32-byte binary key as libzmq's Z85 text.
    private static func z85(_ key: Data) -> String {
        var text = [CChar](repeating: 0, count: 41)
        let encoded = key.withUnsafeBytes { buffer in
            zmq_z85_encode(&text, buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count) != nil
        }
        return encoded ? String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    // MARK: Shutdown

    /// Closes the socket and terminates the context. `linger` bounds how long messages already
    /// queued may still be flushed; ZeroMQ then discards the rest, so this never hangs.
    func close(linger: Duration = .zero) {
        if let socket {
            var milliseconds = Int32(min(linger.secondsValue * 1000, 60_000))
            zmq_setsockopt(socket, ZMQ_LINGER, &milliseconds, MemoryLayout<Int32>.size)
            if monitor != nil { zmq_socket_monitor(socket, nil, 0) }
            zmq_close(socket)
            self.socket = nil
            for helper in [zapHandler, monitor].compactMap({ $0 }) { zmq_close(helper) }
            zapHandler = nil
            monitor = nil
            if sharedContext == nil { Self.terminate(context) }
        }
    }

    /// Safety net for a socket abandoned without `close()`; normally a no-op by now.
    deinit {
        close()
    }

    private static func terminate(_ context: UnsafeMutableRawPointer) {
        while zmq_ctx_term(context) != 0, zmq_errno() == EINTR {}
    }

    private static func lastError() -> String { describe(zmq_errno()) }

    private static func describe(_ code: Int32) -> String {
        "\(String(cString: zmq_strerror(code))) (errno \(code))"
    }
}

// MARK: - Shared context

/// A ZeroMQ context shared by many sockets that one thread drives (load tests simulate hundreds
/// of workers this way instead of a context and two threads each). Terminated on deinit, after
/// every socket in it was closed (each socket keeps it alive).
final class ZeroMQContext {
    fileprivate let pointer: UnsafeMutableRawPointer

    init(maximumSockets: Int) throws {
        guard let pointer = zmq_ctx_new() else {
            throw TransportError.socketFailed(operation: "zmq_ctx_new", reason: String(cString: zmq_strerror(zmq_errno())))
        }
        zmq_ctx_set(pointer, ZMQ_MAX_SOCKETS, Int32(maximumSockets))
        self.pointer = pointer
    }

    deinit {
        while zmq_ctx_term(pointer) != 0, zmq_errno() == EINTR {}
    }
}
