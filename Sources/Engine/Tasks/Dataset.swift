/// Labelled examples whose inputs are token ids (n × tokensPerExample), for classification
/// into `classes` labels.
public struct TokenDataset: Sendable {
    public let tokens: [Int32]
    public let labels: [Int32]
    public let tokensPerExample: Int
    public let vocabularySize: Int
    public let classes: Int

    public init(tokens: [Int32], labels: [Int32], tokensPerExample: Int, vocabularySize: Int, classes: Int) {
        precondition(tokens.count == labels.count * tokensPerExample, "tokens do not match labels")
        self.tokens = tokens
        self.labels = labels
        self.tokensPerExample = tokensPerExample
        self.vocabularySize = vocabularySize
        self.classes = classes
    }

    public var count: Int { labels.count }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> TokenDataset {
        var pickedTokens: [Int32] = []
        pickedTokens.reserveCapacity(indices.count * tokensPerExample)
        for index in indices {
            pickedTokens.append(contentsOf: tokens[index * tokensPerExample ..< (index + 1) * tokensPerExample])
        }
        return TokenDataset(tokens: pickedTokens, labels: indices.map { labels[$0] },
                            tokensPerExample: tokensPerExample, vocabularySize: vocabularySize, classes: classes)
    }
}

/// A task's training and test sets.
public struct DataSplit: Sendable {
    public let train: TokenDataset
    public let test: TokenDataset

    /// Shuffles `all` with the seed's split stream and keeps ⌊fraction · n⌋ examples for training.
    public init(all: TokenDataset, trainFraction: Double, seed: Int) {
        var generator = SeededGenerator(seed: seed, stream: "split")
        let order = generator.permutation(all.count)
        let trainCount = min(max(Int(Double(all.count) * trainFraction), 1), all.count - 1)
        train = all.subset(Array(order[..<trainCount]))
        test = all.subset(Array(order[trainCount...]))
    }
}
