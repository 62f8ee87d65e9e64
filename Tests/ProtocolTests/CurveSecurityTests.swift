import Foundation
import Protocol
import Testing

/// CURVE on a loopback ROUTER↔DEALER pair: a worker that knows the coordinator's public key gets
/// through; one with the wrong key, or none, is refused by ZeroMQ before any message exists.
@Suite("ZeroMQ CURVE security")
struct CurveSecurityTests {
    static func options(_ security: ZeroMQSecurity) -> ZeroMQOptions {
        var options = ZeroMQOptions()
        options.security = security
        options.closeLinger = .zero
        return options
    }

    @Test("only workers holding the coordinator's public key are heard")
    func onlyKeyHoldersGetThrough() throws {
        let server = try CurveKeyPair.generate()
        #expect(server.publicKey.utf8.count == 40 && server.secretKey.utf8.count == 40)
        #expect(!"\(server)".contains(server.secretKey))

        let coordinator = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:0", options: Self.options(.curveServer(server)))
        defer { coordinator.close() }
        let impostorKey = try CurveKeyPair.generate().publicKey
        let impostor = try ZeroMQWorkerTransport(
            connect: coordinator.endpoint, routingId: PeerID("impostor"),
            options: Self.options(.curveClient(serverPublicKey: impostorKey, keys: try CurveKeyPair.generate())))
        let plain = try ZeroMQWorkerTransport(
            connect: coordinator.endpoint, routingId: PeerID("plain"),
            options: Self.options(.none))
        let trusted = try ZeroMQWorkerTransport(
            connect: coordinator.endpoint, routingId: PeerID("trusted"),
            options: Self.options(.curveClient(serverPublicKey: server.publicKey, keys: try CurveKeyPair.generate())))
        defer {
            impostor.close()
            plain.close()
            trusted.close()
        }

        try impostor.send(.ready)
        try plain.send(.ready)
        try trusted.send(.ready)
        #expect(coordinator.receive(timeout: .seconds(2)) == Incoming(peer: PeerID("trusted"), message: .ready))
        #expect(coordinator.receive(timeout: .milliseconds(300)) == nil)
        try coordinator.send(.heartbeat, to: PeerID("trusted"))
        #expect(trusted.receive(timeout: .seconds(2)) == .heartbeat)
    }

    @Test("with admitted keys, the ZAP handler refuses a worker whose own key is not listed, even with the server key")
    func onlyAdmittedKeysGetThrough() throws {
        let server = try CurveKeyPair.generate()
        let admitted = try CurveKeyPair.generate()
        let coordinator = try ZeroMQCoordinatorTransport(
            bind: "tcp://127.0.0.1:0",
            options: Self.options(.curveServer(server, admittedClientKeys: [admitted.publicKey])))
        defer { coordinator.close() }
        let client = { (id: String, keys: CurveKeyPair) in
            try ZeroMQWorkerTransport(
                connect: coordinator.endpoint, routingId: PeerID(id),
                options: Self.options(.curveClient(serverPublicKey: server.publicKey, keys: keys)))
        }
        let stranger = try client("stranger", try CurveKeyPair.generate())
        let plain = try ZeroMQWorkerTransport(
            connect: coordinator.endpoint, routingId: PeerID("plain"),
            options: Self.options(.none))
        defer {
            stranger.close()
            plain.close()
        }
        try stranger.send(.ready)
        try plain.send(.ready)
        #expect(coordinator.receive(timeout: .milliseconds(500)) == nil)
        // Both refusals are counted (the stranger by the ZAP handler, the plain peer by the monitor).
        let deadline = ContinuousClock.now + .seconds(3)
        while coordinator.counters.refusedPeers < 2, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(coordinator.counters.refusedPeers >= 2)

        let member = try client("member", admitted)
        defer { member.close() }
        try member.send(.ready)
        #expect(coordinator.receive(timeout: .seconds(2)) == Incoming(peer: PeerID("member"), message: .ready))
        #expect(coordinator.receive(timeout: .milliseconds(200)) == nil)
        try coordinator.send(.heartbeat, to: PeerID("stranger"))
        #expect(stranger.receive(timeout: .milliseconds(300)) == nil)
    }

    @Test("a malformed key is refused when the socket is created")
    func malformedKey() {
        let keys = CurveKeyPair(publicKey: "short", secretKey: "short")
        #expect(throws: TransportError.self) {
            _ = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:0", options: Self.options(.curveServer(keys)))
        }
    }
}
