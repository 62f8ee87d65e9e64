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
                "trainAccuracy": Self.nullIfNonFinite(trainAccuracy),
                "testAccuracy": Self.nullIfNonFinite(testAccuracy),
                "trainLoss": Self.nullIfNonFinite(trainLoss),
                "testLoss": Self.nullIfNonFinite(testLoss),
            ])
        case .result(let result):
            return result.json
        case .failure(let trialId, let message):
            return .object(["trialId": .string(trialId), "message": .string(message)])
        case .shutdown(let reason), .reject(let reason):
            return .object(["reason": .string(reason)])
        }
    }

    /// A diverged run's loss is NaN; JSON has no NaN, so it travels as null (as in curves).
    private static func nullIfNonFinite(_ value: Double) -> JSONValue {
        value.isFinite ? .number(value) : .null
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
            let trainAccuracy = try Self.numberOrNaN(&reader, body, "trainAccuracy")
            let testAccuracy = try Self.numberOrNaN(&reader, body, "testAccuracy")
            let trainLoss = try Self.numberOrNaN(&reader, body, "trainLoss")
            let testLoss = try Self.numberOrNaN(&reader, body, "testLoss")
            try reader.finish()
            self = .progress(trialId: trialId, step: step, trainAccuracy: trainAccuracy,
                             testAccuracy: testAccuracy, trainLoss: trainLoss, testLoss: testLoss)
        case .result:
            do {
                self = .result(try TrialResult(json: body))
            } catch let error as ConfigError {
                // TrialResult reads from the document root; relocate its paths under the body.
                throw Self.relocated(error, under: path)
            }
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

    /// A required number member where null stands for a non-finite value.
    private static func numberOrNaN(_ reader: inout ObjectReader, _ body: JSONValue, _ key: String) throws -> Double {
        guard body[key] != nil else {
            throw ConfigError(path: reader.childPath(key), expected: "a number or null", found: "nothing")
        }
        guard reader.has(key) else {
            _ = reader.value(key)  // marks the explicit null consumed
            return .nan
        }
        return try reader.number(key)
    }

    private static func relocated(_ error: ConfigError, under prefix: String) -> ConfigError {
        var copy = error
        if copy.path == "$" {
            copy.path = prefix
        } else if copy.path.hasPrefix("$.") || copy.path.hasPrefix("$[") {
            copy.path = prefix + copy.path.dropFirst()
        }
        return copy
    }
}
