import Foundation

/// The `body` member of each message kind: how payloads map to JSON objects and back.
///
/// Bodies are strict like the rest of the contract — unknown keys and wrong types are refused
/// with the JSON path of the offending member (`$.body.attempt`), so a mismatched peer is
/// diagnosed from one log line.
extension Message {
    // MARK: Encoding

    var bodyJSON: JSONValue {
        switch self {
        case .hello(let info):
            return info.json
        case .ready, .heartbeat:
            return .object([:])
        case .assign(let trialId, let attempt, let config):
            return .object([
                "trialId": .string(trialId),
                "attempt": .number(Double(attempt)),
                "config": config,
            ])
        case .progress(let trialId, let step, let trainAccuracy, let testAccuracy, let trainLoss, let testLoss, let stage):
            var members: [String: JSONValue] = [
                "trialId": .string(trialId),
                "step": .number(Double(step)),
                "trainAccuracy": .finite(trainAccuracy),
                "testAccuracy": .finite(testAccuracy),
                "trainLoss": .finite(trainLoss),
                "testLoss": .finite(testLoss),
            ]
            // Absent means the target: the common case stays as it was.
            if stage != .target { members["stage"] = .string(stage.rawValue) }
            return .object(members)
        case .result(let result):
            return result.json
        case .failure(let trialId, let message):
            return .object(["trialId": .string(trialId), "message": .string(message)])
        case .state(let chunk):
            // The bytes travel as the frame's attachment (see `MessageCodec`).
            return .object([
                "trialId": .string(chunk.trialId),
                "step": .number(Double(chunk.step)),
                "part": .number(Double(chunk.part)),
                "parts": .number(Double(chunk.parts)),
                "bytes": .number(Double(chunk.data.count)),
            ])
        case .stateStored(let trialId, let step, let bytes):
            return .object(["trialId": .string(trialId), "step": .number(Double(step)), "bytes": .number(Double(bytes))])
        case .cancel(let trialId, let sendState):
            return .object(["trialId": .string(trialId), "sendState": .bool(sendState)])
        case .stopped(let trialId, let step):
            return .object(["trialId": .string(trialId), "step": .number(Double(step))])
        case .shutdown(let reason), .reject(let reason), .leaving(let reason):
            return .object(["reason": .string(reason)])
        }
    }

    // MARK: Decoding

    /// The binary attachment that follows the JSON in the frame (state chunks only).
    var attachment: Data? {
        if case .state(let chunk) = self { return chunk.data }
        return nil
    }

    /// The message of `kind` whose body is `body` (and whose frame carried `attachment`);
    /// throws `ConfigError` with paths under `$.body`.
    init(kind: MessageKind, body: JSONValue, attachment: Data? = nil) throws {
        let path = "$.body"
        if kind != .state, let attachment {
            throw ConfigError(
                path: "$", expected: "no binary attachment for a \(kind.rawValue) message",
                found: "\(attachment.count) bytes after the JSON")
        }
        switch kind {
        case .hello:
            self = .hello(try WorkerInfo(json: body, path: path))
        case .ready, .heartbeat:
            let reader = try ObjectReader(body, path: path)
            try reader.finish()
            self = kind == .ready ? .ready : .heartbeat
        case .assign:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let attempt = try reader.integer("attempt", in: 1...1_000_000)
            guard let config = reader.value("config") else {
                throw ConfigError(path: reader.childPath("config"), expected: "a trial config", found: "nothing")
            }
            try reader.finish()
            self = .assign(trialId: trialId, attempt: attempt, config: config)
        case .progress:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let step = try reader.integer("step", in: 0...Int.max)
            let trainAccuracy = try reader.numberOrNaN("trainAccuracy", required: true)
            let testAccuracy = try reader.numberOrNaN("testAccuracy", required: true)
            let trainLoss = try reader.numberOrNaN("trainLoss", required: true)
            let testLoss = try reader.numberOrNaN("testLoss", required: true)
            let stage: ProgressStage = try reader.choice("stage", default: .target)
            try reader.finish()
            self = .progress(
                trialId: trialId, step: step, trainAccuracy: trainAccuracy,
                testAccuracy: testAccuracy, trainLoss: trainLoss, testLoss: testLoss, stage: stage)
        case .result:
            self = .result(try TrialResult(json: body, path: path))
        case .failure:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let message = try reader.string("message")
            try reader.finish()
            self = .failure(trialId: trialId, message: message)
        case .state:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let step = try reader.integer("step", in: 0...Int(Int32.max) * 1024)
            let parts = try reader.integer("parts", in: 1...1_000_000)
            let part = try reader.integer("part", in: 0...(parts - 1), rangeText: "a part index below parts (\(parts))")
            let bytes = try reader.integer("bytes", in: 0...MessageCodec.maximumFrameBytes)
            let data = attachment ?? Data()
            guard data.count == bytes else {
                throw ConfigError(
                    path: reader.childPath("bytes"), expected: "the attachment's length (\(data.count) bytes)",
                    found: String(bytes))
            }
            try reader.finish()
            self = .state(StateChunk(trialId: trialId, step: step, part: part, parts: parts, data: data))
        case .stateStored:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let step = try reader.integer("step", in: 0...Int.max)
            let bytes = try reader.integer("bytes", in: 0...Int.max)
            try reader.finish()
            self = .stateStored(trialId: trialId, step: step, bytes: bytes)
        case .cancel:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let sendState = try reader.bool("sendState")
            try reader.finish()
            self = .cancel(trialId: trialId, sendState: sendState)
        case .stopped:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let step = try reader.integer("step", in: 0...Int.max)
            try reader.finish()
            self = .stopped(trialId: trialId, step: step)
        case .shutdown, .reject, .leaving:
            var reader = try ObjectReader(body, path: path)
            let reason = try reader.string("reason")
            try reader.finish()
            switch kind {
            case .shutdown: self = .shutdown(reason: reason)
            case .reject: self = .reject(reason: reason)
            default: self = .leaving(reason: reason)
            }
        }
    }
}
