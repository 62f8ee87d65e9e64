import TrialSchema

/// How a trial ended.
public enum TrialOutcome: String, CaseIterable, Sendable {
    /// Test accuracy reached the threshold and held it (`tGrok` is set).
    case grokked
    /// The step budget ran out first: a right-censored observation, not a failure.
    case censored
    /// The loss became NaN or infinite.
    case diverged
    /// The trial could not run (bad config, crash); `error` says why.
    case failed
}

/// Everything a finished trial reports: the derived time-to-grok figures, its cost and its curve.
public struct TrialResult: Hashable, Sendable {
    public var trialId: String
    public var outcome: TrialOutcome
    /// First step of the sustained run with train accuracy ≥ θ_train.
    public var tMem: Int?
    /// First step of the sustained run with test accuracy ≥ θ_test.
    public var tGrok: Int?
    /// Optimiser steps taken.
    public var steps: Int
    /// Wall-clock seconds of training and evaluation, the weak model's included.
    public var seconds: Double
    /// Floating-point operations of the training steps, counted as a dense implementation
    /// would perform them (so figures compare across engines), the weak model's included.
    public var flops: Double
    /// GrokTransfer's weak model run, whose cost `seconds` and `flops` include.
    public var weak: WeakRunSummary?
    /// Compute threads the trial ran with (part of what makes curves reproducible).
    public var blasThreads: Int
    /// Host that ran the trial.
    public var host: String
    /// The worker binary's build (name, version, configuration): with `blasThreads`, what a
    /// curve is reproducible under. Nil in results written before it was recorded.
    public var build: String?
    public var error: String?
    public var curve: [CurvePoint]

    public init(
        trialId: String, outcome: TrialOutcome, tMem: Int? = nil, tGrok: Int? = nil, steps: Int,
        seconds: Double, flops: Double, blasThreads: Int, host: String, error: String? = nil,
        curve: [CurvePoint] = []
    ) {
        self.trialId = trialId
        self.outcome = outcome
        self.tMem = tMem
        self.tGrok = tGrok
        self.steps = steps
        self.seconds = seconds
        self.flops = flops
        self.blasThreads = blasThreads
        self.host = host
        self.error = error
        self.curve = curve
    }

    /// Generalisation delay `tGrok − tMem`, when both exist.
    public var delay: Int? {
        guard let tMem, let tGrok else { return nil }
        return tGrok - tMem
    }

    public var stepsPerSecond: Double { seconds > 0 ? Double(steps) / seconds : 0 }
}

// MARK: - JSON

extension TrialResult: ConfigObject {
    public static var defaults: TrialResult {
        TrialResult(trialId: "", outcome: .failed, steps: 0, seconds: 0, flops: 0, blasThreads: 0, host: "")
    }

    public static var fields: [ConfigField<TrialResult>] {
        [
            .string("trialId", \.trialId, required: true),
            .choice("outcome", \.outcome, required: true),
            .optionalInteger("tMem", \.tMem),
            .optionalInteger("tGrok", \.tGrok),
            .integer("steps", \.steps, in: 0...Int.max, required: true),
            .number("seconds", \.seconds, required: true),
            .number("flops", \.flops, required: true),
            .integer("blasThreads", \.blasThreads, required: true),
            .string("host", \.host, required: true),
            .optionalString("build", \.build),
            .optionalString("error", \.error),
            .optionalObject("weak", \.weak),
            ConfigField(
                read: { result, reader in
                    guard case .array(let points)? = reader.value("curve") else {
                        throw ConfigError(path: reader.childPath("curve"), expected: "an array of curve points")
                    }
                    let path = reader.childPath("curve")
                    result.curve = try points.enumerated().map { index, point in try CurvePoint(json: point, path: "\(path)[\(index)]") }
                }, write: { result, members in members["curve"] = .array(result.curve.map(\.json)) }),
        ]
    }
}

extension CurvePoint {
    /// Compact form `[step, trainLoss, trainAccuracy, testLoss, testAccuracy]`, followed by
    /// `weightNorm, gradientNorm, gradientEntropy` when diagnostics were recorded: curves are
    /// the bulk of every result message and journal line. Non-finite values (a diverged loss)
    /// are written as null.
    public var json: JSONValue {
        var fields: [JSONValue] = [
            .number(Double(step)), .finite(trainLoss), .finite(trainAccuracy), .finite(testLoss), .finite(testAccuracy),
        ]
        if let diagnostics {
            fields += [.finite(diagnostics.weightNorm), .finite(diagnostics.gradientNorm), .finite(diagnostics.gradientEntropy)]
        }
        return .array(fields)
    }

    public init(json: JSONValue, path: String) throws {
        guard case .array(let fields) = json, fields.count == 5 || fields.count == 8 else {
            throw ConfigError(
                path: path,
                expected: "[step, trainLoss, trainAccuracy, testLoss, testAccuracy] "
                    + "optionally followed by [weightNorm, gradientNorm, gradientEntropy]",
                found: json.kindDescription)
        }
        var numbers: [Double] = []
        for field in fields {
            if case .null = field {
                numbers.append(.nan)
                continue
            }
            guard case .number(let number) = field else {
                throw ConfigError(path: path, expected: "numbers only", found: field.kindDescription)
            }
            numbers.append(number)
        }
        // A step must be a whole, non-negative number of a sane size: converting anything else
        // (null → NaN, 1e300) to Int would trap, and a hostile frame must never crash a peer.
        guard numbers[0] == numbers[0].rounded(), numbers[0] >= 0, numbers[0] < 9.0e15 else {
            throw ConfigError(
                path: "\(path)[0]", expected: "a step: an integer ≥ 0",
                found: numbers[0].isNaN ? "null" : JSONValue.format(numbers[0]))
        }
        let diagnostics =
            numbers.count == 8
            ? GradientDiagnostics(weightNorm: numbers[5], gradientNorm: numbers[6], gradientEntropy: numbers[7]) : nil
        self.init(
            step: Int(numbers[0]), trainLoss: numbers[1], trainAccuracy: numbers[2],
            testLoss: numbers[3], testAccuracy: numbers[4], diagnostics: diagnostics)
    }
}
