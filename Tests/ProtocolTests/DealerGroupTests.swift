import Foundation
import Protocol
import Testing

/// Many simulated workers in one context on one thread (the load-test building block) reach a
/// real coordinator ROUTER under their own ids and get replies routed back to each of them.
@Suite("ZeroMQ dealer group")
struct DealerGroupTests {
    @Test("64 dealers in one group: every hello arrives under its id, every reply reaches its dealer")
    func everyMemberIsAPeer() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:0")
        defer { coordinator.close() }
        let ids = (0..<64).map { PeerID("member-\($0)") }
        let group = try ZeroMQDealerGroup(connect: coordinator.endpoint, routingIds: ids)
        defer { group.close() }
        for index in ids.indices { try group.send(.hello(Fixtures.workerInfo), from: index) }

        var heard: Set<PeerID> = []
        let deadline = ContinuousClock.now + .seconds(5)
        while heard.count < ids.count, ContinuousClock.now < deadline {
            if let incoming = coordinator.receive(timeout: .milliseconds(100)) {
                #expect(incoming.message == .hello(Fixtures.workerInfo))
                heard.insert(incoming.peer)
            }
        }
        #expect(heard == Set(ids))
        for (index, id) in ids.enumerated() { try coordinator.send(.shutdown(reason: "bye \(index)"), to: id) }

        var replies: [Int: Message] = [:]
        while replies.count < ids.count, ContinuousClock.now < deadline {
            for (member, message) in group.receive(timeout: .milliseconds(50)) { replies[member] = message }
        }
        #expect(replies.count == ids.count)
        #expect(replies.allSatisfy { $0.value == .shutdown(reason: "bye \($0.key)") })
        #expect(group.dropped == 0)
    }
}
