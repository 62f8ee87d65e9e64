import Foundation
import Protocol
import Testing

/// A hostile peer written in Python (pyzmq) throws junk at the coordinator's ROUTER; the
/// transport must log and drop all of it while a real worker's messages still arrive.
@Suite("ZeroMQ transport against a garbage peer")
struct GarbagePeerTests {
    /// Sends each junk message from one DEALER, then a valid heartbeat as a sentinel: ZeroMQ keeps
    /// one connection's messages in order, so once the sentinel arrives every junk message before
    /// it has been handled. A second DEALER then sends one frame over the size limit.
    static let script = #"""
        import os, sys, zmq
        endpoint, limit = sys.argv[1], int(sys.argv[2])
        context = zmq.Context()
        def dealer(identity, linger):
            socket = context.socket(zmq.DEALER)
            socket.setsockopt(zmq.IDENTITY, identity)
            socket.setsockopt(zmq.LINGER, linger)
            socket.connect(endpoint)
            return socket
        junk = [
            [b"\xff" + os.urandom(63)],
            [b"multi", b"frame", b"junk"],
            [b"", b'{"v":1,"type":"ready","body":{}}'],
            [b'{"v":99,"type":"ready","body":{}}'],
            [b'{"v":1,"type":"teleport","body":{}}'],
            [b'{"v":1,"type":"assign","body":{"trialId":"t"'],
            [b""],
            [b"[" * 500 + b"]" * 500],
            [b'{"v":1,"type":"ready","body":{"unexpected":true}}'],
        ]
        noisy = dealer(b"py-garbage", 3000)
        for frames in junk:
            noisy.send_multipart(frames)
        noisy.send(b'{"v":1,"type":"heartbeat","body":{}}')
        huge = dealer(b"py-oversized", 300)
        huge.send(b" " * (limit + 1))
        noisy.close()
        huge.close()
        context.term()
        print(len(junk))
        """#

    @Test(
        "junk from a raw ZeroMQ peer is dropped; a real worker still gets through",
        .enabled(if: PythonPeer.isAvailable, "python3 with pyzmq is not installed"))
    func garbageIsDropped() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:0")
        defer { coordinator.close() }

        let outcome = try PythonPeer.run(
            script: Self.script,
            arguments: [coordinator.endpoint, String(MessageCodec.maximumFrameBytes)],
            timeout: 10)
        try #require(outcome.status == 0, "python peer failed: \(outcome.output)")
        let junkCount = try #require(Int(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)))

        // Only the sentinel comes out of the noisy peer; everything before it was dropped.
        let sentinel = try #require(coordinator.receive(timeout: .seconds(2)))
        #expect(sentinel == Incoming(peer: PeerID("py-garbage"), message: .heartbeat))
        #expect(coordinator.counters.droppedInbound == junkCount)

        let worker = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("real"))
        defer { worker.close() }
        try worker.send(.hello(Fixtures.workerInfo))
        // ZeroMQ disconnects the oversized sender before its frame is read (ZMQ_MAXMSGSIZE), so
        // nothing of it may ever surface; the real worker's hello must.
        let incoming = try #require(coordinator.receive(timeout: .seconds(2)))
        #expect(incoming == Incoming(peer: PeerID("real"), message: .hello(Fixtures.workerInfo)))
        #expect(coordinator.receive(timeout: .milliseconds(50)) == nil)
        #expect(coordinator.counters.received == 2)
    }
}
