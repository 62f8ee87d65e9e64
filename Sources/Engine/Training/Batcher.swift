/// Serves training batches: the whole set every step (full batch), or consecutive slices of a
/// fresh seeded permutation each epoch, the last slice of an epoch possibly shorter.
final class Batcher {
    struct Batch {
        let tokens: UnsafePointer<Int32>
        let labels: UnsafePointer<Int32>
        let count: Int
    }

    private let dataset: TokenDataset
    private let batchSize: Int
    private var generator: SeededGenerator
    private var order: [Int] = []
    private var position = 0
    private let tokenBuffer: UnsafeMutablePointer<Int32>
    private let labelBuffer: UnsafeMutablePointer<Int32>
    // The full-batch case points straight at the dataset's storage, kept alive here.
    private let allTokens: UnsafeMutablePointer<Int32>
    private let allLabels: UnsafeMutablePointer<Int32>

    init(dataset: TokenDataset, batchSize: Int, seed: Int) {
        self.dataset = dataset
        self.batchSize = batchSize
        generator = SeededGenerator(seed: seed, stream: "batches")
        let width = dataset.tokensPerExample
        tokenBuffer = .allocate(capacity: max(batchSize * width, 1))
        labelBuffer = .allocate(capacity: max(batchSize, 1))
        allTokens = .allocate(capacity: max(dataset.tokens.count, 1))
        allLabels = .allocate(capacity: max(dataset.count, 1))
        dataset.tokens.withUnsafeBufferPointer { allTokens.initialize(from: $0.baseAddress!, count: $0.count) }
        dataset.labels.withUnsafeBufferPointer { allLabels.initialize(from: $0.baseAddress!, count: $0.count) }
    }

    deinit {
        tokenBuffer.deallocate()
        labelBuffer.deallocate()
        allTokens.deallocate()
        allLabels.deallocate()
    }

    func next() -> Batch {
        if batchSize >= dataset.count { return Batch(tokens: allTokens, labels: allLabels, count: dataset.count) }
        if position >= order.count {
            order = generator.permutation(dataset.count)
            position = 0
        }
        let count = min(batchSize, order.count - position)
        let width = dataset.tokensPerExample
        for row in 0..<count {
            let example = order[position + row]
            for column in 0..<width { tokenBuffer[row * width + column] = allTokens[example * width + column] }
            labelBuffer[row] = allLabels[example]
        }
        position += count
        return Batch(tokens: tokenBuffer, labels: labelBuffer, count: count)
    }
}
