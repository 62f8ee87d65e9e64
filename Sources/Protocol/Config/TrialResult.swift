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

/// One evaluation of the model during a trial.
public struct CurvePoint: Hashable, Sendable {
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
    /// Recorded when the trial asks for diagnostics (see `GradientDiagnostics`).
    public var diagnostics: GradientDiagnostics?

    public init(step: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double, testAccuracy: Double,
                diagnostics: GradientDiagnostics? = nil) {
        self.step = step
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.diagnostics = diagnostics
    }
}

/// Model-complexity measures at one evaluation: ‖θ‖₂, ‖g‖₂ and the absolute gradient entropy
/// AGE = −Σᵢ |gᵢ| ln |gᵢ| (NeuralGrok, Eq. 4) over every parameter, g being the gradient the
/// optimiser receives at that step (after any amplifier).
public struct GradientDiagnostics: Hashable, Sendable {
    public var weightNorm: Double
    public var gradientNorm: Double
    public var gradientEntropy: Double

    public init(weightNorm: Double, gradientNorm: Double, gradientEntropy: Double) {
        self.weightNorm = weightNorm
        self.gradientNorm = gradientNorm
        self.gradientEntropy = gradientEntropy
    }
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
    public var error: String?
    public var curve: [CurvePoint]

    public init(trialId: String, outcome: TrialOutcome, tMem: Int? = nil, tGrok: Int? = nil, steps: Int,
                seconds: Double, flops: Double, blasThreads: Int, host: String, error: String? = nil,
                curve: [CurvePoint] = []) {
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

extension TrialResult {
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "trialId": .string(trialId),
            "outcome": .string(outcome.rawValue),
            "steps": .number(Double(steps)),
            "seconds": .number(seconds),
            "flops": .number(flops),
            "blasThreads": .number(Double(blasThreads)),
            "host": .string(host),
            "curve": .array(curve.map(\.json)),
        ]
        if let tMem { members["tMem"] = .number(Double(tMem)) }
        if let tGrok { members["tGrok"] = .number(Double(tGrok)) }
        if let error { members["error"] = .string(error) }
        if let weak { members["weak"] = weak.json }
        return .object(members)
    }

    public init(json: JSONValue) throws {
        var reader = try ObjectReader(json)
        trialId = try reader.string("trialId")
        outcome = try reader.choice("outcome")
        tMem = reader.has("tMem") ? try reader.integer("tMem") : nil
        tGrok = reader.has("tGrok") ? try reader.integer("tGrok") : nil
        steps = try reader.integer("steps", in: 0...Int.max)
        seconds = try reader.number("seconds")
        flops = try reader.number("flops")
        blasThreads = try reader.integer("blasThreads")
        host = try reader.string("host")
        error = reader.has("error") ? try reader.string("error") : nil
        weak = reader.has("weak") ? try WeakRunSummary(json: reader.value("weak")!, path: reader.childPath("weak")) : nil
        guard case .array(let points)? = reader.value("curve") else {
            throw ConfigError(path: reader.childPath("curve"), expected: "an array of curve points")
        }
        curve = try points.enumerated().map { index, point in
            try CurvePoint(json: point, path: "\(reader.childPath("curve"))[\(index)]")
        }
        try reader.finish()
    }
}

extension CurvePoint {
    /// Compact form `[step, trainLoss, trainAccuracy, testLoss, testAccuracy]`, followed by
    /// `weightNorm, gradientNorm, gradientEntropy` when diagnostics were recorded: curves are
    /// the bulk of every result message and journal line.
    /// Non-finite values (a diverged loss) are written as null: JSON has no NaN.
    public var json: JSONValue {
        let finite = { (value: Double) -> JSONValue in value.isFinite ? .number(value) : .null }
        var fields = [.number(Double(step)), finite(trainLoss), finite(trainAccuracy), finite(testLoss), finite(testAccuracy)]
        if let diagnostics {
            fields += [finite(diagnostics.weightNorm), finite(diagnostics.gradientNorm), finite(diagnostics.gradientEntropy)]
        }
        return .array(fields)
    }

    public init(json: JSONValue, path: String) throws {
        guard case .array(let fields) = json, fields.count == 5 || fields.count == 8 else {
            throw ConfigError(path: path, expected: "[step, trainLoss, trainAccuracy, testLoss, testAccuracy] "
                              + "optionally followed by [weightNorm, gradientNorm, gradientEntropy]",
                              found: json.kindDescription)
        }
        var numbers: [Double] = []
        for field in fields {
            if case .null = field { numbers.append(.nan); continue }
            guard case .number(let number) = field else {
                throw ConfigError(path: path, expected: "numbers only", found: field.kindDescription)
            }
            numbers.append(number)
        }
        // A step must be a whole, non-negative number of a sane size: converting anything else
        // (null → NaN, 1e300) to Int would trap, and a hostile frame must never crash a peer.
        guard numbers[0] == numbers[0].rounded(), numbers[0] >= 0, numbers[0] < 9.0e15 else {
            throw ConfigError(path: "\(path)[0]", expected: "a step: an integer ≥ 0",
                              found: numbers[0].isNaN ? "null" : JSONValue.format(numbers[0]))
        }
        let diagnostics = numbers.count == 8
            ? GradientDiagnostics(weightNorm: numbers[5], gradientNorm: numbers[6], gradientEntropy: numbers[7]) : nil
        self.init(step: Int(numbers[0]), trainLoss: numbers[1], trainAccuracy: numbers[2],
                  testLoss: numbers[3], testAccuracy: numbers[4], diagnostics: diagnostics)
    }
}
