import Foundation
import Testing

@testable import Protocol

@Suite("Message codec")
struct MessageCodecTests {
    // MARK: Round trips

    @Test("every message kind survives encode → decode", arguments: Fixtures.messages)
    func roundTrip(_ sample: NamedMessage) throws {
        let frame = try MessageCodec.encode(sample.message)
        #expect(try MessageCodec.decode(frame) == sample.message)

        // The envelope is canonical JSON with the version and type at the top level, followed
        // (state chunks only) by a NUL and the chunk's bytes.
        let text = frame.firstIndex(of: 0).map { frame[..<$0] } ?? frame[...]
        let envelope = try JSONValue.parse(Data(text))
        #expect(envelope["v"] == .number(Double(ProtocolVersion.current)))
        #expect(envelope["type"] == .string(sample.message.kind.rawValue))
        #expect(String(decoding: text, as: UTF8.self) == envelope.canonicalText)
        if case .state(let chunk) = sample.message {
            #expect(frame.count == text.count + 1 + chunk.data.count && frame.suffix(chunk.data.count) == chunk.data)
        } else {
            #expect(text.count == frame.count, "only state chunks carry an attachment")
        }
    }

    @Test("an attachment on a kind that has none, or a state whose attachment's length differs from its header, is refused")
    func attachmentsAreChecked() throws {
        var ready = try MessageCodec.encode(.ready)
        ready.append(contentsOf: [0, 1, 2])
        #expect(throws: MessageDecodingError.self) { try MessageCodec.decode(ready) }
        var state = try MessageCodec.encode(.state(StateChunk(trialId: "t", step: 1, part: 0, parts: 1, data: Data([1, 2, 3]))))
        state.removeLast()
        #expect(throws: MessageDecodingError.self) { try MessageCodec.decode(state) }
    }

    @Test("the fixtures cover every message kind")
    func fixturesCoverEveryKind() {
        #expect(Set(Fixtures.messages.map(\.message.kind)) == Set(MessageKind.allCases))
    }

    @Test("a diverged progress report carries NaN losses as null and back")
    func progressWithNaN() throws {
        let message = Message.progress(
            trialId: "t", step: 10, trainAccuracy: 0.5, testAccuracy: .infinity,
            trainLoss: .nan, testLoss: .nan)
        let frame = try MessageCodec.encode(message)
        #expect(String(decoding: frame, as: UTF8.self).contains("\"trainLoss\":null"))
        guard
            case .progress(_, let step, let trainAccuracy, let testAccuracy, let trainLoss, let testLoss, _) = try MessageCodec.decode(
                frame)
        else {
            Issue.record("decoded to another kind")
            return
        }
        #expect(step == 10 && trainAccuracy == 0.5)
        #expect(testAccuracy.isNaN && trainLoss.isNaN && testLoss.isNaN)
    }

    // MARK: Rejections

    struct Rejection: CustomStringConvertible, Sendable {
        let description: String
        let frame: Data
        let expected: MessageDecodingError?
        /// For errors whose details (parser offsets) are not the point: match the case only.
        let matches: @Sendable (MessageDecodingError) -> Bool

        init(_ description: String, _ text: String, _ expected: MessageDecodingError) {
            self.init(description, Data(text.utf8), expected)
        }

        init(_ description: String, _ frame: Data, _ expected: MessageDecodingError) {
            self.description = description
            self.frame = frame
            self.expected = expected
            self.matches = { $0 == expected }
        }

        init(malformed description: String, _ frame: Data) {
            self.description = description
            self.frame = frame
            self.expected = nil
            self.matches = { if case .malformedJSON = $0 { true } else { false } }
        }
    }

    static let validFrame = try! MessageCodec.encode(Fixtures.assign("3f2a9c"))

    static let rejections: [Rejection] = [
        Rejection(
            "wrong version", #"{"v":2,"type":"ready","body":{}}"#,
            .wrongVersion(found: 2, expected: ProtocolVersion.current)),
        Rejection(
            "missing version", #"{"type":"ready","body":{}}"#,
            .badEnvelope(ConfigError(path: "$.v", expected: "a number", found: "nothing"))),
        Rejection(
            "fractional version", #"{"v":1.5,"type":"ready","body":{}}"#,
            .badEnvelope(ConfigError(path: "$.v", expected: "an integer", found: "1.5"))),
        Rejection("unknown type", #"{"v":1,"type":"teleport","body":{}}"#, .unknownType("teleport")),
        Rejection(
            "not an object", #"[1,2,3]"#,
            .badEnvelope(ConfigError(path: "$", expected: "an object", found: "an array"))),
        Rejection(
            "unknown envelope key", #"{"v":1,"type":"ready","body":{},"extra":0}"#,
            .badEnvelope(
                ConfigError(
                    path: "$.extra", expected: "no such key (known keys: \"body\", \"type\", \"v\")",
                    found: "unknown key \"extra\""))),
        Rejection(
            "assign attempt of the wrong type",
            #"{"v":1,"type":"assign","body":{"trialId":"t","attempt":"one","config":{}}}"#,
            .badBody(kind: .assign, ConfigError(path: "$.body.attempt", expected: "a number", found: "a string"))),
        Rejection(
            "assign without config", #"{"v":1,"type":"assign","body":{"trialId":"t","attempt":1}}"#,
            .badBody(kind: .assign, ConfigError(path: "$.body.config", expected: "a trial config", found: "nothing"))),
        Rejection(
            "heartbeat body with a stray key", #"{"v":1,"type":"heartbeat","body":{"x":1}}"#,
            .badBody(
                kind: .heartbeat,
                ConfigError(
                    path: "$.body.x", expected: "no such key (known keys: )",
                    found: "unknown key \"x\""))),
        Rejection(
            "result body with a bad member, path under $.body",
            #"{"v":1,"type":"result","body":{"trialId":7}}"#,
            .badBody(kind: .result, ConfigError(path: "$.body.trialId", expected: "a string", found: "a number"))),
        Rejection(
            "progress missing a loss",
            #"{"v":1,"type":"progress","body":{"trialId":"t","step":1,"trainAccuracy":1,"testAccuracy":1,"trainLoss":1}}"#,
            .badBody(kind: .progress, ConfigError(path: "$.body.testLoss", expected: "a number or null", found: "nothing"))),
        Rejection(
            "oversized frame", Data(count: MessageCodec.maximumFrameBytes + 1),
            .oversized(bytes: MessageCodec.maximumFrameBytes + 1, limit: MessageCodec.maximumFrameBytes)),
        Rejection(malformed: "empty frame", Data()),
        Rejection(malformed: "binary garbage", Data([0xFF, 0x00, 0x13, 0x37, 0xC3])),
        Rejection(malformed: "truncated frame", validFrame.prefix(validFrame.count / 2)),
        Rejection(malformed: "invalid UTF-8 in a string", Data(#"{"v":1,"type":""#.utf8) + Data([0xC3, 0x28]) + Data(#""}"#.utf8)),
        Rejection(
            malformed: "nesting beyond the parser limit",
            Data((String(repeating: "[", count: 200) + String(repeating: "]", count: 200)).utf8)),
    ]

    @Test("invalid frames are rejected with the right error", arguments: rejections)
    func rejects(_ rejection: Rejection) {
        #expect {
            _ = try MessageCodec.decode(rejection.frame)
        } throws: { error in
            guard let error = error as? MessageDecodingError else { return false }
            return rejection.matches(error)
        }
    }

    // MARK: Encoding limits

    @Test("encoding refuses a message larger than the frame limit")
    func encodeOversized() {
        let huge = JSONValue.string(String(repeating: "x", count: MessageCodec.maximumFrameBytes))
        #expect(throws: MessageEncodingError.self) {
            _ = try MessageCodec.encode(.assign(trialId: "t", attempt: 1, config: .object(["blob": huge])))
        }
    }

    @Test("encoding refuses NaN and nesting the receiver could not parse")
    func encodeUnparseable() {
        #expect(throws: MessageEncodingError.nonFiniteNumber(path: "$.body.config.learningRate")) {
            _ = try MessageCodec.encode(.assign(trialId: "t", attempt: 1, config: .object(["learningRate": .number(.nan)])))
        }
        var deep = JSONValue.null
        for _ in 0..<JSONTextParser.maximumDepth { deep = .array([deep]) }
        #expect(throws: MessageEncodingError.self) {
            _ = try MessageCodec.encode(.assign(trialId: "t", attempt: 1, config: deep))
        }
        // Two envelope levels plus the config's own levels fit exactly at the limit.
        var fitting = JSONValue.null
        for _ in 0..<(JSONTextParser.maximumDepth - 2) { fitting = .array([fitting]) }
        #expect(throws: Never.self) {
            _ = try MessageCodec.decode(MessageCodec.encode(.assign(trialId: "t", attempt: 1, config: fitting)))
        }
    }

    // MARK: Robustness

    @Test("randomly corrupted frames decode or fail cleanly, never trap")
    func corruptedFramesNeverTrap() {
        var generator = SplitMix(seed: 0x5EED)
        let originals = Fixtures.messages.compactMap { try? MessageCodec.encode($0.message) }
        for round in 0..<2_000 {
            var bytes = [UInt8](originals[round % originals.count])
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            _ = try? MessageCodec.decode(Data(bytes))
        }
    }
}

/// A small deterministic generator so the corruption test is reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
