import TrialSchema

/// How each stateful part of a training run writes itself into a trial state and reads itself
/// back. Every restore overwrites existing storage in place and checks sizes, so a restored
/// component is the saved one bit for bit or the restore throws.
///
/// Layouts (in order; `floats` = UInt64 count + raw Float32 bits, `doubles` likewise):
///   generator     4 × UInt64 xoshiro256** words
///   tracker       runStart (flag + Int64), runLength Int64, confirmedStep (flag + Int64)
///   evaluation    step Int64, trainLoss, trainAccuracy, testLoss, testAccuracy (Float64 bits),
///                 measures flag, then weightNorm, gradientNorm, gradientEntropy when set
///   progress      curve (UInt64 count + evaluations), memorised and grokked trackers,
///                 denseFlops, seconds (Float64 bits)
///   parameters    UInt32 slice count; per slice its name and shape (UInt32 rank + Int64 dims);
///                 then the values as floats
///   optimiser     tag UInt8: 1 AdamW/Adam (stepCount Int64, m floats, v floats), 2 SGD (velocity floats)
///   batcher       generator, epoch order (UInt64 count + Int64s), position Int64
///   amplifier     tag UInt8: 0 none; 1 Grokfast-EMA (started flag, μ floats); 2 Grokfast-MA
///                 (window, filled, next as Int64, history floats (window × n), running-sum doubles);
///                 3 NeuralGrok (outer steps Int64, φ parameters, φ's Adam as an optimiser)

// MARK: Random generator and trackers

extension SeededGenerator {
    func encode(into writer: inout StateWriter) {
        for word in [state.0, state.1, state.2, state.3] { writer.write(word) }
    }

    mutating func restore(from reader: inout StateReader) throws {
        state = (try reader.read(), try reader.read(), try reader.read(), try reader.read())
    }
}

extension ThresholdTracker {
    func encode(into writer: inout StateWriter) {
        writer.write(optional: runStart)
        writer.write(runLength)
        writer.write(optional: confirmedStep)
    }

    mutating func restore(from reader: inout StateReader) throws {
        runStart = try reader.readOptionalInt()
        runLength = try reader.readInt()
        confirmedStep = try reader.readOptionalInt()
    }
}

// MARK: Curve and progress

extension CurvePoint {
    func encode(into writer: inout StateWriter) {
        writer.write(step)
        for value in [trainLoss, trainAccuracy, testLoss, testAccuracy] { writer.write(value) }
        writer.write(diagnostics != nil)
        if let diagnostics {
            for value in [diagnostics.weightNorm, diagnostics.gradientNorm, diagnostics.gradientEntropy] { writer.write(value) }
        }
    }

    static func decode(from reader: inout StateReader) throws -> CurvePoint {
        var evaluation = CurvePoint(
            step: try reader.readInt(), trainLoss: try reader.readDouble(),
            trainAccuracy: try reader.readDouble(), testLoss: try reader.readDouble(),
            testAccuracy: try reader.readDouble())
        if try reader.readBool() {
            evaluation.diagnostics = GradientDiagnostics(
                weightNorm: try reader.readDouble(), gradientNorm: try reader.readDouble(),
                gradientEntropy: try reader.readDouble())
        }
        return evaluation
    }
}

extension RunProgress {
    /// Everything but `step`, which leads the runner's payload.
    func encode(into writer: inout StateWriter) {
        writer.write(UInt64(curve.count))
        for evaluation in curve { evaluation.encode(into: &writer) }
        memorised.encode(into: &writer)
        grokked.encode(into: &writer)
        for value in [denseFlops, seconds] { writer.write(value) }
    }

    mutating func restore(from reader: inout StateReader) throws {
        let count = try reader.read(UInt64.self)
        // Each evaluation takes at least 41 bytes: a count beyond that is corruption, not a curve.
        guard count <= UInt64(reader.remaining / 41) else { throw TrialStateError.malformed("curve of \(count) points") }
        curve = try (0..<Int(count)).map { _ in try CurvePoint.decode(from: &reader) }
        try memorised.restore(from: &reader)
        try grokked.restore(from: &reader)
        denseFlops = try reader.readDouble()
        seconds = try reader.readDouble()
    }
}

// MARK: Parameters

extension ParameterStore {
    /// Layout (names and shapes) and values; gradients are scratch, recomputed every step.
    func encode(into writer: inout StateWriter) {
        writer.write(UInt32(slices.count))
        for slice in slices {
            writer.write(slice.name)
            writer.write(UInt32(slice.shape.count))
            for dimension in slice.shape { writer.write(dimension) }
        }
        writer.write(floats: values.data, count: count)
    }

    /// Overwrites the values after checking the saved layout is this store's; `what` names
    /// the store in errors ("model parameters", "NeuralGrok amplifier").
    func restore(from reader: inout StateReader, what: String) throws {
        let sliceCount = Int(try reader.read(UInt32.self))
        guard sliceCount <= 100_000 else { throw TrialStateError.malformed("\(what): \(sliceCount) tensors") }
        var saved: [String] = []
        for _ in 0..<sliceCount {
            let name = try reader.readString()
            let rank = Int(try reader.read(UInt32.self))
            guard rank <= 8 else { throw TrialStateError.malformed("\(what): tensor \(name) of rank \(rank)") }
            let shape = try (0..<rank).map { _ in try reader.readInt() }
            saved.append("\(name) \(shape)")
        }
        let own = slices.map { "\($0.name) \($0.shape)" }
        if let (expected, found) = zip(own, saved).first(where: { $0 != $1 }) {
            throw TrialStateError.shapeMismatch(what: "a tensor of the \(what)", expected: expected, found: found)
        }
        guard own.count == saved.count else {
            throw TrialStateError.shapeMismatch(what: "the \(what)", expected: "\(own.count) tensors", found: "\(saved.count)")
        }
        try reader.readFloats(into: values.data, count: count, what: "\(what) values")
    }
}

// MARK: Optimisers

enum OptimizerState {
    static func encode(_ optimizer: Optimizer, into writer: inout StateWriter) {
        switch optimizer {
        case let adam as AdamW:
            writer.write(UInt8(1))
            writer.write(adam.stepCount)
            writer.write(floats: adam.firstMoment.data, count: adam.firstMoment.count)
            writer.write(floats: adam.secondMoment.data, count: adam.secondMoment.count)
        case let sgd as SGD:
            writer.write(UInt8(2))
            writer.write(floats: sgd.velocity.data, count: sgd.velocity.count)
        default:
            preconditionFailure("no trial-state layout for optimiser \(type(of: optimizer))")
        }
    }

    static func restore(_ optimizer: Optimizer, from reader: inout StateReader, what: String) throws {
        let tag = try reader.read(UInt8.self)
        switch (optimizer, tag) {
        case (let adam as AdamW, 1):
            adam.stepCount = try reader.readInt()
            try reader.readFloats(into: adam.firstMoment.data, count: adam.firstMoment.count, what: "\(what) first moment")
            try reader.readFloats(into: adam.secondMoment.data, count: adam.secondMoment.count, what: "\(what) second moment")
        case (let sgd as SGD, 2):
            try reader.readFloats(into: sgd.velocity.data, count: sgd.velocity.count, what: "\(what) velocity")
        default:
            throw TrialStateError.shapeMismatch(what: what, expected: "\(type(of: optimizer))", found: "optimiser kind \(tag)")
        }
    }
}

// MARK: Batch order

extension Batcher {
    func encode(into writer: inout StateWriter) {
        generator.encode(into: &writer)
        writer.write(integers: order)
        writer.write(position)
    }

    func restore(from reader: inout StateReader, examples: Int) throws {
        try generator.restore(from: &reader)
        let order = try reader.readIntegers(what: "batch order")
        let position = try reader.readInt()
        guard order.isEmpty || order.count == examples, order.allSatisfy({ (0..<examples).contains($0) }),
            (0...order.count).contains(position)
        else {
            throw TrialStateError.shapeMismatch(
                what: "batch order", expected: "a permutation of \(examples) examples",
                found: "\(order.count) entries at position \(position)")
        }
        self.order = order
        self.position = position
    }
}

// MARK: Amplifiers

enum AmplifierState {
    static func encode(_ amplifier: GradientAmplifier?, into writer: inout StateWriter) {
        switch amplifier {
        case nil:
            writer.write(UInt8(0))
        case let ema as GrokfastEMA:
            writer.write(UInt8(1))
            writer.write(ema.started)
            writer.write(floats: ema.average.data, count: ema.average.count)
        case let average as GrokfastMovingAverage:
            writer.write(UInt8(2))
            for value in [average.window, average.filled, average.next] { writer.write(value) }
            writer.write(floats: average.history.data, count: average.history.count)
            writer.write(doubles: average.sum, count: average.count)
        case let neural as NeuralGrok:
            writer.write(UInt8(3))
            writer.write(neural.outerSteps)
            neural.network.parameters.encode(into: &writer)
            OptimizerState.encode(neural.metaOptimizer, into: &writer)
        default:
            preconditionFailure("no trial-state layout for amplifier \(type(of: amplifier!))")
        }
    }

    static func restore(_ amplifier: GradientAmplifier?, from reader: inout StateReader) throws {
        let tag = try reader.read(UInt8.self)
        switch (amplifier, tag) {
        case (nil, 0):
            break
        case (let ema as GrokfastEMA, 1):
            ema.started = try reader.readBool()
            try reader.readFloats(into: ema.average.data, count: ema.average.count, what: "Grokfast-EMA average")
        case (let average as GrokfastMovingAverage, 2):
            let (window, filled, next) = (try reader.readInt(), try reader.readInt(), try reader.readInt())
            guard window == average.window, (0...window).contains(filled), (0..<window).contains(next) else {
                throw TrialStateError.shapeMismatch(
                    what: "Grokfast-MA queue", expected: "window \(average.window)",
                    found: "window \(window), \(filled) filled, next \(next)")
            }
            average.filled = filled
            average.next = next
            try reader.readFloats(into: average.history.data, count: average.history.count, what: "Grokfast-MA queue")
            try reader.readDoubles(into: average.sum, count: average.count, what: "Grokfast-MA running sum")
        case (let neural as NeuralGrok, 3):
            neural.outerSteps = try reader.readInt()
            try neural.network.parameters.restore(from: &reader, what: "NeuralGrok amplifier")
            try OptimizerState.restore(neural.metaOptimizer, from: &reader, what: "NeuralGrok amplifier optimiser")
        default:
            throw TrialStateError.shapeMismatch(what: "gradient amplifier", expected: name(of: amplifier), found: name(ofTag: tag))
        }
    }

    private static func name(of amplifier: GradientAmplifier?) -> String {
        switch amplifier {
        case nil: "none"
        case is GrokfastEMA: "Grokfast-EMA"
        case is GrokfastMovingAverage: "Grokfast-MA"
        case is NeuralGrok: "NeuralGrok"
        default: "\(type(of: amplifier!))"
        }
    }

    private static func name(ofTag tag: UInt8) -> String {
        ["none", "Grokfast-EMA", "Grokfast-MA", "NeuralGrok"].indices.contains(Int(tag))
            ? ["none", "Grokfast-EMA", "Grokfast-MA", "NeuralGrok"][Int(tag)] : "amplifier kind \(tag)"
    }
}
