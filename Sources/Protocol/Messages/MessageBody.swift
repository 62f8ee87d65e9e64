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
        case .progress(let trialId, let step, let trainAccuracy, let testAccuracy, let trainLoss, let testLoss):
            return .object([
                "trialId": .string(trialId),
                "step": .number(Double(step)),
                "trainAccuracy": .finite(trainAccuracy),
                "testAccuracy": .finite(testAccuracy),
                "trainLoss": .finite(trainLoss),
                "testLoss": .finite(testLoss),
            ])
        case .result(let result):
            return result.json
        case .failure(let trialId, let message):
            return .object(["trialId": .string(trialId), "message": .string(message)])
        case .shutdown(let reason), .reject(let reason):
            return .object(["reason": .string(reason)])
        }
    }

    // MARK: Decoding

    /// The message of `kind` whose body is `body`; throws `ConfigError` with paths under `$.body`.
    init(kind: MessageKind, body: JSONValue) throws {
        let path = "$.body"
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
            try reader.finish()
            self = .progress(trialId: trialId, step: step, trainAccuracy: trainAccuracy,
                             testAccuracy: testAccuracy, trainLoss: trainLoss, testLoss: testLoss)
        case .result:
            self = .result(try TrialResult(json: body, path: path))
        case .failure:
            var reader = try ObjectReader(body, path: path)
            let trialId = try reader.string("trialId")
            let message = try reader.string("message")
            try reader.finish()
            self = .failure(trialId: trialId, message: message)
        case .shutdown, .reject:
            var reader = try ObjectReader(body, path: path)
            let reason = try reader.string("reason")
            try reader.finish()
            self = kind == .shutdown ? .shutdown(reason: reason) : .reject(reason: reason)
        }
    }
}
