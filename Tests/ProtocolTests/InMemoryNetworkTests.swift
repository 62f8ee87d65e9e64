import Foundation
import Protocol
import Testing

@Suite("In-memory network")
struct InMemoryNetworkTests {
    @Test("hello → assign → result, two workers routed by peer id")
    func routesByPeer() throws {
        let network = InMemoryNetwork()
        let coordinator = network.coordinator
        let first = network.connectWorker(PeerID("w1"))
        let second = network.connectWorker(PeerID("w2"))

        try first.send(.hello(Fixtures.workerInfo))
        try second.send(.ready)
        #expect(coordinator.receive(timeout: .zero) == Incoming(peer: PeerID("w1"), message: .hello(Fixtures.workerInfo)))
        #expect(coordinator.receive(timeout: .zero) == Incoming(peer: PeerID("w2"), message: .ready))

        try coordinator.send(Fixtures.assign("for-w2"), to: PeerID("w2"))
        try coordinator.send(Fixtures.assign("for-w1"), to: PeerID("w1"))
        #expect(first.receive(timeout: .zero) == Fixtures.assign("for-w1"))
        #expect(second.receive(timeout: .zero) == Fixtures.assign("for-w2"))

        try second.send(Fixtures.result("for-w2"))
        #expect(coordinator.receive(timeout: .zero) == Incoming(peer: PeerID("w2"), message: Fixtures.result("for-w2")))
        #expect(coordinator.receive(timeout: .milliseconds(10)) == nil)
    }

    @Test("garbage frames are counted and dropped; callers see only valid messages")
    func dropsGarbage() throws {
        let network = InMemoryNetwork()
        let coordinator = network.coordinator
        let worker = network.connectWorker(PeerID("w1"))
        network.injectFrame(Data("not json".utf8), from: PeerID("evil"))
        network.injectFrame(Data(#"{"v":9,"type":"ready","body":{}}"#.utf8), from: PeerID("evil"))
        network.injectFrame(Data([0xFF]), to: PeerID("w1"))
        try worker.send(.heartbeat)
        try coordinator.send(.heartbeat, to: PeerID("w1"))

        #expect(coordinator.receive(timeout: .zero) == Incoming(peer: PeerID("w1"), message: .heartbeat))
        #expect(coordinator.counters.droppedInbound == 2)
        #expect(worker.receive(timeout: .zero) == .heartbeat)
        #expect(worker.counters.droppedInbound == 1)
    }

    @Test("a message to an unknown or closed worker is dropped, not thrown")
    func vanishedPeer() throws {
        let network = InMemoryNetwork()
        let coordinator = network.coordinator
        let worker = network.connectWorker(PeerID("w1"))
        worker.close()
        try coordinator.send(.shutdown(reason: "bye"), to: PeerID("w1"))
        try coordinator.send(.heartbeat, to: PeerID("never-seen"))
        #expect(coordinator.counters.droppedOutbound == 2)
        #expect(throws: TransportError.closed) { try worker.send(.ready) }
        #expect(worker.receive(timeout: .seconds(5)) == nil)  // closed: returns at once
    }

    @Test("worker messages wait for a restarted coordinator")
    func coordinatorRestart() throws {
        let network = InMemoryNetwork()
        let worker = network.connectWorker(PeerID("w1"))
        network.coordinator.close()
        try worker.send(Fixtures.result("t1"))
        let restarted = network.restartCoordinator()
        #expect(restarted.receive(timeout: .zero) == Incoming(peer: PeerID("w1"), message: Fixtures.result("t1")))
    }

    @Test("a blocked receive wakes when another thread sends")
    func crossThreadWake() throws {
        let network = InMemoryNetwork()
        let coordinator = network.coordinator
        let worker = network.connectWorker(PeerID("w1"))
        let sender = Thread {
            Thread.sleep(forTimeInterval: 0.05)
            try? worker.send(.ready)
        }
        sender.start()
        var received: Incoming?
        let waited = elapsed { received = coordinator.receive(timeout: .seconds(2)) }
        #expect(received?.message == .ready)
        #expect(waited < .seconds(1))
    }
}
