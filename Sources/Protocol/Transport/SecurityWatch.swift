import Foundation
import Logging

/// One authentication request from libzmq's ZAP protocol (RFC 27), as the coordinator's
/// socket thread receives it while a CURVE client is handshaking.
struct ZAPRequest: Equatable {
    /// The client's IP address as libzmq reports it.
    var address: String
    /// The security mechanism the client used ("CURVE" for ours).
    var mechanism: String
    /// The client's long-term public key as Z85 text (empty for other mechanisms).
    var clientPublicKey: String
}

/// A security event of a socket's connections, reported by libzmq's socket monitor.
enum SecurityEvent: Equatable {
    /// The handshake completed: the peer is authenticated (or security is off).
    case handshakeSucceeded(address: String)
    /// The peer's ZAP handler refused us (the coordinator does not admit this worker's key);
    /// `status` is the ZAP status code (400 = denied).
    case refusedByPeer(address: String, status: Int)
    /// The handshake broke off: wrong mechanism (a plain peer meeting CURVE), a wrong server
    /// key, or a malformed security command. `code` is libzmq's detail (an errno or protocol code).
    case handshakeFailed(address: String, code: Int)
}

/// Decides who may connect and reports what the socket monitor saw. Runs on the socket thread
/// that owns the sockets; logs each refusal (at most once a minute per key and address, since a
/// refused peer keeps reconnecting) and counts every one.
// @unchecked Sendable: `lastLogged`, its only mutable state, is used on the socket thread alone.
final class SecurityWatch: @unchecked Sendable {
    /// Z85 public keys admitted by the ZAP handler; nil means no ZAP handler (any client that
    /// knows the server's public key gets through).
    let admittedKeys: Set<String>?
    /// On the coordinator a failed handshake is a refused peer; on a worker it is its own failure.
    private let countsHandshakeFailures: Bool
    private let logger: Logger
    private let counters: TransportCounters
    private var lastLogged: [String: ContinuousClock.Instant] = [:]
    private let clock = ContinuousClock()

    init(admittedKeys: Set<String>?, countsHandshakeFailures: Bool, logger: Logger, counters: TransportCounters) {
        self.admittedKeys = admittedKeys
        self.countsHandshakeFailures = countsHandshakeFailures
        self.logger = logger
        self.counters = counters
    }

    /// The ZAP verdict: admit only CURVE clients whose public key is listed.
    func admits(_ request: ZAPRequest) -> Bool {
        guard let admittedKeys else { return true }
        if request.mechanism == "CURVE", admittedKeys.contains(request.clientPublicKey) { return true }
        counters.add(refusedPeers: 1)
        if shouldLog("zap \(request.clientPublicKey) \(request.address)") {
            logger.warning(
                "refused a worker: its public key is not among the admitted keys",
                metadata: [
                    "address": "\(request.address)", "mechanism": "\(request.mechanism)",
                    "publicKey": "\(request.clientPublicKey)",
                ])
        }
        return false
    }

    /// Logs a monitor event; handshake failures count as refused peers on the coordinator side.
    func observe(_ event: SecurityEvent) {
        switch event {
        case .handshakeSucceeded(let address):
            logger.debug("secure handshake completed", metadata: ["address": "\(address)"])
        case .refusedByPeer(let address, let status):
            // On the coordinator this is its own ZAP verdict, already logged with the key.
            if !countsHandshakeFailures, shouldLog("refused \(address)") {
                logger.error(
                    "the coordinator refused this worker's key; it admits only the keys it lists",
                    metadata: ["address": "\(address)", "zapStatus": "\(status)"])
            }
        case .handshakeFailed(let address, let code):
            if countsHandshakeFailures { counters.add(refusedPeers: 1) }
            if shouldLog("failed \(address) \(code)") {
                logger.warning(
                    "a connection failed the security handshake (no key, a wrong key, or no CURVE)",
                    metadata: ["endpoint": "\(address)", "detail": "\(Self.describe(handshakeFailure: code))"])
            }
        }
    }

    /// libzmq's detail of a failed handshake: a protocol error code (RFC-level) or an errno.
    static func describe(handshakeFailure code: Int) -> String {
        switch code {
        case 0x1100_0001: return "mechanism mismatch: one side does not use CURVE"
        case 0x1000_0000..<0x2000_0000: return "ZMTP protocol error 0x" + String(code, radix: 16) + " (a wrong or missing key?)"
        case 0x2000_0000..<0x3000_0000: return "ZAP protocol error 0x" + String(code, radix: 16)
        default: return String(cString: strerror(Int32(truncatingIfNeeded: code))) + " (a wrong server key makes the peer hang up)"
        }
    }

    private func shouldLog(_ key: String) -> Bool {
        let now = clock.now
        if let last = lastLogged[key], now - last < .seconds(60) { return false }
        if lastLogged.count > 10_000 { lastLogged.removeAll() }
        lastLogged[key] = now
        return true
    }
}
