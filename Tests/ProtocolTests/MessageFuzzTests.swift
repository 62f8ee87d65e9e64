import Foundation
import Testing

@testable import Protocol

/// Bad input at the wire: the frame decoder under seeded random and mutated frames (never a
/// crash; every rejection a `MessageDecodingError` with a message; everything accepted
/// re-encodes to what it decoded), and oversized frames against a real coordinator socket.
@Suite("Bad input: frame decoder fuzzing and oversized frames")
struct MessageFuzzTests {
    static let corpus: [[UInt8]] = Fixtures.messages.compactMap { try? MessageCodec.encode($0.message) }.map { [UInt8]($0) }

    @Test(
        "seeded fuzzing of the frame decoder: no crash, a clear error for every rejected frame",
        arguments: [UInt64(0x6772_6f6b), 0x7377_6565_70])
    func fuzzDecoder(seed: UInt64) {
        var mutator = FuzzMutator(seed: seed)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        var tried = 0
        var accepted = 0
        var rejections: [String: Int] = [:]
        var problems: [String] = []
        while tried < 200_000, clock.now < deadline {
            let input = mutator.input(from: Self.corpus)
            tried += 1
            do {
                let message = try MessageCodec.decode(Data(input))
                accepted += 1
                // What the decoder accepts, the encoder must be able to send back unchanged.
                do {
                    let again = try MessageCodec.encode(message)
                    if try MessageCodec.encode(MessageCodec.decode(again)) != again { problems.append("unstable: \(input)") }
                } catch {
                    problems.append("accepted but not re-encodable (\(error)): \(String(decoding: input, as: UTF8.self))")
                }
            } catch {
                rejections[Self.kind(of: error), default: 0] += 1
                if error.description.isEmpty { problems.append("empty error for \(input)") }
            }
            if problems.count >= 5 { break }
        }
        let summary = rejections.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        print(
            "fuzz (frame decoder, seed \(seed)): \(tried) inputs, \(accepted) decoded, \(tried - accepted) rejected "
                + "with an error, 0 crashes — \(summary)")
        #expect(problems.isEmpty, "\(problems)")
        #expect(tried >= 1_000)
    }

    static func kind(of error: MessageDecodingError) -> String {
        switch error {
        case .oversized: "oversized"
        case .malformedJSON: "malformed JSON"
        case .wrongVersion: "wrong version"
        case .unknownType: "unknown type"
        case .badEnvelope: "bad envelope"
        case .badBody(let kind, _): "bad \(kind.rawValue) body"
        }
    }

    @Test("regression: a curve step that is null or huge is a decoding error, not a crash", arguments: ["null", "1e300", "-3", "2.5"])
    func hostileCurveStep(step: String) throws {
        let good = String(decoding: try MessageCodec.encode(.result(Fixtures.result)), as: UTF8.self)
        let bad = good.replacingOccurrences(of: "[1000,", with: "[\(step),")
        #expect(bad != good)
        #expect(throws: MessageDecodingError.self) { try MessageCodec.decode(Data(bad.utf8)) }
    }

    @Test("frames over 16 MiB: refused by size before parsing; a real socket drops the sender, not the coordinator")
    func oversizedFrames() throws {
        let limit = MessageCodec.maximumFrameBytes
        let huge = Data(repeating: UInt8(ascii: " "), count: limit + 1)
        let time = elapsed {
            #expect(throws: MessageDecodingError.oversized(bytes: limit + 1, limit: limit)) { try MessageCodec.decode(huge) }
        }
        #expect(time < .milliseconds(50), "the size check comes before any parsing (took \(time))")
        #expect(throws: MessageEncodingError.self) {
            try MessageCodec.encode(.failure(trialId: "t", message: String(repeating: "x", count: limit)))
        }

        let coordinator = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:0")
        defer { coordinator.close() }
        let settings = ZeroMQOptions().socketSettings
        let hostile = try ZeroMQSocket(role: .dealer(routingId: PeerID("hostile")), settings: settings)
        defer { hostile.close() }
        try hostile.connect(coordinator.endpoint)
        // Just under the limit but not JSON: read, counted, dropped. Over the limit: ZeroMQ cuts the peer off.
        #expect(eventually { hostile.send([Data(repeating: UInt8(ascii: "x"), count: limit - 1)]) == .sent })
        #expect(eventually { coordinator.counters.droppedInbound == 1 })
        _ = hostile.send([Data(repeating: UInt8(ascii: "{"), count: limit + 1)])
        let worker = try ZeroMQWorkerTransport(connect: coordinator.endpoint, routingId: PeerID("honest"))
        defer { worker.close() }
        try worker.send(.ready)
        #expect(coordinator.receive(timeout: .seconds(3)) == Incoming(peer: PeerID("honest"), message: .ready))
        #expect(coordinator.counters.received == 1 && coordinator.counters.droppedInbound == 1)
        print(
            "oversized: a \(limit + 1)-byte frame was cut off by ZeroMQ (ZMQ_MAXMSGSIZE), a \(limit - 1)-byte junk frame "
                + "dropped and counted; the coordinator kept serving")
    }
}
