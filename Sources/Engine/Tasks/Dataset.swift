/// Labelled examples for classification into `classes` labels. Inputs are either token ids
/// (n × tokensPerExample, from a vocabulary) or feature vectors (n × featureWidth).
public struct Dataset: Sendable {
    public enum Inputs: Sendable, Equatable {
        case tokens(perExample: Int, vocabulary: Int)
        case features(width: Int)
    }

    public let inputs: Inputs
    /// Token ids, row-major; empty for feature data.
    public let tokens: [Int32]
    /// Feature vectors, row-major; empty for token data.
    public let features: [Float]
    public let labels: [Int32]
    public let classes: Int

    public init(tokens: [Int32], labels: [Int32], tokensPerExample: Int, vocabularySize: Int, classes: Int) {
        precondition(tokens.count == labels.count * tokensPerExample, "tokens do not match labels")
        inputs = .tokens(perExample: tokensPerExample, vocabulary: vocabularySize)
        self.tokens = tokens
        features = []
        self.labels = labels
        self.classes = classes
    }

    public init(features: [Float], width: Int, labels: [Int32], classes: Int) {
        precondition(features.count == labels.count * width, "features do not match labels")
        inputs = .features(width: width)
        tokens = []
        self.features = features
        self.labels = labels
        self.classes = classes
    }

    public var count: Int { labels.count }

    /// Values per example: tokens per example or feature width.
    public var rowWidth: Int {
        switch inputs {
        case .tokens(let perExample, _): perExample
        case .features(let width): width
        }
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        let width = rowWidth
        let picked = indices.map { labels[$0] }
        switch inputs {
        case .tokens(let perExample, let vocabulary):
            var rows: [Int32] = []
            rows.reserveCapacity(indices.count * width)
            for index in indices { rows.append(contentsOf: tokens[index * width..<(index + 1) * width]) }
            return Dataset(tokens: rows, labels: picked, tokensPerExample: perExample, vocabularySize: vocabulary, classes: classes)
        case .features:
            var rows: [Float] = []
            rows.reserveCapacity(indices.count * width)
            for index in indices { rows.append(contentsOf: features[index * width..<(index + 1) * width]) }
            return Dataset(features: rows, width: width, labels: picked, classes: classes)
        }
    }
}

/// A task's training and test sets.
public struct DataSplit: Sendable {
    public let train: Dataset
    public let test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }

    /// Shuffles `all` with the seed's split stream and keeps ⌊fraction · n⌋ examples for training.
    public init(all: Dataset, trainFraction: Double, seed: Int) {
        self.init(all: all, trainCount: Int(Double(all.count) * trainFraction), seed: seed)
    }

    /// Shuffles `all` with the seed's split stream and keeps `trainCount` examples (clamped so
    /// that both sides are non-empty) for training.
    public init(all: Dataset, trainCount: Int, seed: Int) {
        var generator = SeededGenerator(seed: seed, stream: "split")
        let order = generator.permutation(all.count)
        let trainCount = min(max(trainCount, 1), all.count - 1)
        train = all.subset(Array(order[..<trainCount]))
        test = all.subset(Array(order[trainCount...]))
    }
}

/// One batch of model inputs: token ids or feature rows, `count` examples.
public struct InputBatch {
    public let tokens: UnsafePointer<Int32>?
    public let features: UnsafePointer<Float>?
    public let count: Int

    public init(tokens: UnsafePointer<Int32>, count: Int) {
        self.tokens = tokens
        features = nil
        self.count = count
    }

    public init(features: UnsafePointer<Float>, count: Int) {
        tokens = nil
        self.features = features
        self.count = count
    }
}
