import Foundation
import Protocol
import Testing

/// Real ROUTER↔DEALER exchanges over TCP loopback on ephemeral ports.
@Suite("ZeroMQ transport")
struct ZeroMQTransportTests {
    static let loopback = "tcp://127.0.0.1:0"

    /// Options that make reconnects quick, so tests never wait out a long backoff.
    static var fastOptions: ZeroMQOptions {
        var options = ZeroMQOptions()
        options.reconnectInterval = .milliseconds(20)
        options.reconnectIntervalMaximum = .milliseconds(100)
        return options
    }

    // MARK: Exchange

    @Test("hello → assign → result round trip, two dealers routed by peer id")
    func roundTripWithTwoDealers() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        defer { coordinator.close() }
        #expect(coordinator.endpoint.hasPrefix("tcp://127.0.0.1:") && !coordinator.endpoint.hasSuffix(":0"))

        let first = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("w1"))
        let second = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("w2"))
        defer {
            first.close()
            second.close()
        }

        var secondInfo = Fixtures.workerInfo
        secondInfo.workerId = "worker-b"
        try first.send(.hello(Fixtures.workerInfo))
        try second.send(.hello(secondInfo))
        var hellos: [PeerID: Message] = [:]
        for _ in 0..<2 {
            let incoming = try #require(coordinator.receive(timeout: .seconds(2)))
            hellos[incoming.peer] = incoming.message
        }
        #expect(hellos == [PeerID("w1"): .hello(Fixtures.workerInfo), PeerID("w2"): .hello(secondInfo)])

        try coordinator.send(Fixtures.assign("trial-2"), to: PeerID("w2"))
        try coordinator.send(Fixtures.assign("trial-1"), to: PeerID("w1"))
        #expect(first.receive(timeout: .seconds(2)) == Fixtures.assign("trial-1"))
        #expect(second.receive(timeout: .seconds(2)) == Fixtures.assign("trial-2"))

        try second.send(Fixtures.result("trial-2"))
        let result = try #require(coordinator.receive(timeout: .seconds(2)))
        #expect(result == Incoming(peer: PeerID("w2"), message: Fixtures.result("trial-2")))
        #expect(first.receive(timeout: .milliseconds(20)) == nil)
    }

    /// Regression: the socket thread shed every heartbeat queued behind another message of the
    /// same batch as if the socket were blocked, so when it woke late (a loaded machine) only
    /// the first worker of each heartbeat round heard the coordinator; the others took it for
    /// dead and reconnected forever.
    @Test("heartbeats sent back to back to several workers all arrive")
    func heartbeatsToSeveralWorkers() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        defer { coordinator.close() }
        let peers = (1...4).map { PeerID("w\($0)") }
        let workers = try peers.map { try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: $0) }
        defer { workers.forEach { $0.close() } }
        for worker in workers { try worker.send(.ready) }
        var known: Set<PeerID> = []
        while known.count < peers.count, let incoming = coordinator.receive(timeout: .seconds(2)) {
            known.insert(incoming.peer)
        }
        try #require(known == Set(peers))

        // Rounds of one heartbeat per worker, as the dispatcher sends them: faster than the
        // socket thread takes them one by one, so most are taken in batches.
        let rounds = 50
        for _ in 0..<rounds {
            for peer in peers { try coordinator.send(.heartbeat, to: peer) }
        }
        for (peer, worker) in zip(peers, workers) {
            var heard = 0
            while heard < rounds, let message = worker.receive(timeout: .seconds(1)) {
                #expect(message == .heartbeat)
                heard += 1
            }
            #expect(heard == rounds, "\(peer) heard \(heard) of \(rounds) heartbeats")
        }
        #expect(coordinator.counters.droppedOutbound == 0)
    }

    @Test("a send wakes the socket thread at once, not after a poll interval")
    func dispatchLatency() throws {
        var options = ZeroMQOptions()
        options.pollInterval = .seconds(5)
        let coordinator = try ZeroMQCoordinatorTransport(bind: Self.loopback, options: options)
        let worker = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("w1"), options: options)
        defer {
            worker.close()
            coordinator.close()
        }
        try worker.send(.ready)
        #expect(coordinator.receive(timeout: .seconds(2))?.message == .ready)

        let roundTrips = 50
        let duration = try elapsed {
            for _ in 0..<roundTrips {
                try worker.send(.heartbeat)
                let incoming = try #require(coordinator.receive(timeout: .seconds(1)))
                try coordinator.send(.heartbeat, to: incoming.peer)
                _ = try #require(worker.receive(timeout: .seconds(1)))
            }
        }
        #expect(duration < .seconds(1), "\(roundTrips) round trips took \(duration)")
    }

    @Test("a dealer that connects before the router binds gets through once it binds")
    func connectBeforeBind() throws {
        // Learn a free port, then release it for the coordinator that starts later.
        let probe = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        let endpoint = probe.endpoint
        probe.close()

        let worker = try ZeroMQWorkerTransport(connect: endpoint, routingId: PeerID("early"), options: Self.fastOptions)
        defer { worker.close() }
        try worker.send(.hello(Fixtures.workerInfo))
        Thread.sleep(forTimeInterval: 0.15)  // let a few connection attempts fail

        let coordinator = try ZeroMQCoordinatorTransport(bind: endpoint)
        defer { coordinator.close() }
        let incoming = try #require(coordinator.receive(timeout: .seconds(2)))
        #expect(incoming == Incoming(peer: PeerID("early"), message: .hello(Fixtures.workerInfo)))
    }

    @Test("a worker reconnects to a restarted coordinator, delivering what it sent meanwhile")
    func coordinatorRestart() throws {
        let first = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        let endpoint = first.endpoint
        let worker = try ZeroMQWorkerTransport(connect: endpoint, routingId: PeerID("w1"), options: Self.fastOptions)
        defer { worker.close() }
        try worker.send(.ready)
        #expect(first.receive(timeout: .seconds(2))?.message == .ready)
        first.close()

        try worker.send(Fixtures.result("finished-while-down"))
        let second = try ZeroMQCoordinatorTransport(bind: endpoint)
        defer { second.close() }
        #expect(second.receive(timeout: .seconds(2))?.message == Fixtures.result("finished-while-down"))
        try second.send(.heartbeat, to: PeerID("w1"))
        #expect(worker.receive(timeout: .seconds(2)) == .heartbeat)
    }

    // MARK: Failures

    @Test("binding an address in use throws a clear error")
    func bindConflict() throws {
        let first = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        defer { first.close() }
        #expect {
            _ = try ZeroMQCoordinatorTransport(bind: first.endpoint)
        } throws: { error in
            guard case .bindFailed(let endpoint, let reason) = error as? TransportError else { return false }
            return endpoint == first.endpoint && reason.contains("in use")
                && "\(error)".contains(first.endpoint)
        }
    }

    @Test("connecting to a malformed endpoint throws")
    func malformedEndpoint() {
        #expect(throws: TransportError.self) {
            _ = try ZeroMQWorkerTransport(connect: "carrier-pigeon://coop", routingId: PeerID("w"))
        }
    }

    @Test("sending to an unknown or vanished peer is dropped and the loop keeps going")
    func sendToVanishedPeer() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        defer { coordinator.close() }
        try coordinator.send(.shutdown(reason: "who?"), to: PeerID("nobody"))
        #expect(eventually { coordinator.counters.droppedOutbound == 1 })

        let worker = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("w1"))
        try worker.send(.ready)
        #expect(coordinator.receive(timeout: .seconds(2))?.peer == PeerID("w1"))
        worker.close()
        // The peer is gone (or about to be): sending must still neither throw nor stall.
        for _ in 0..<10 { try coordinator.send(.heartbeat, to: PeerID("w1")) }

        let other = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("w2"))
        defer { other.close() }
        try other.send(.ready)
        #expect(coordinator.receive(timeout: .seconds(2)) == Incoming(peer: PeerID("w2"), message: .ready))
    }

    // MARK: Shutdown

    @Test("close() is prompt even with messages queued for an absent coordinator")
    func closeNeverHangs() throws {
        let probe = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        let endpoint = probe.endpoint
        probe.close()
        let worker = try ZeroMQWorkerTransport(connect: endpoint, routingId: PeerID("stuck"))
        for index in 0..<100 { try worker.send(Fixtures.result("t\(index)")) }
        let closing = elapsed { worker.close() }
        #expect(closing < .seconds(1))

        #expect(throws: TransportError.closed) { try worker.send(.ready) }
        #expect(elapsed { _ = worker.receive(timeout: .seconds(5)) } < .milliseconds(100))
        worker.close()  // idempotent
    }

    @Test("close() from another thread wakes a receive blocked in the event loop")
    func closeWakesBlockedReceive() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        let closer = Thread {
            Thread.sleep(forTimeInterval: 0.05)
            coordinator.close()
        }
        closer.start()
        var received: Incoming?
        let waited = elapsed { received = coordinator.receive(timeout: .seconds(10)) }
        #expect(received == nil)
        #expect(waited < .seconds(1))
    }

    @Test("a message sent just before close() still reaches the peer")
    func closeFlushesQueuedMessages() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: Self.loopback)
        let worker = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("w1"))
        defer { worker.close() }
        try worker.send(.ready)
        let peer = try #require(coordinator.receive(timeout: .seconds(2))?.peer)
        try coordinator.send(.shutdown(reason: "sweep finished"), to: peer)
        let closing = elapsed { coordinator.close() }
        #expect(closing < .seconds(1))
        #expect(worker.receive(timeout: .seconds(1)) == .shutdown(reason: "sweep finished"))
    }
}
