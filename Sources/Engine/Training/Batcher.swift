/// Serves training batches: the whole set every step (full batch), or consecutive slices of a
/// fresh seeded permutation each epoch, the last slice of an epoch possibly shorter.
final class Batcher {
    struct Batch {
        let inputs: InputBatch
        let labels: UnsafePointer<Int32>
        var count: Int { inputs.count }
    }

    private let dataset: Dataset
    private let batchSize: Int
    var generator: SeededGenerator
    var order: [Int] = []
    var position = 0
    private let storage: BatchStorage
    private let all: BatchStorage

    init(dataset: Dataset, batchSize: Int, seed: Int) {
        self.dataset = dataset
        self.batchSize = batchSize
        generator = SeededGenerator(seed: seed, stream: "batches")
        storage = BatchStorage(dataset: dataset, rows: batchSize)
        // The full-batch case serves the whole set from a copy made once.
        all = BatchStorage(dataset: dataset, rows: dataset.count)
        for row in 0..<dataset.count { all.copyRow(row, of: dataset, to: row) }
    }

    func next() -> Batch {
        if batchSize >= dataset.count { return all.batch(count: dataset.count) }
        if position >= order.count {
            order = generator.permutation(dataset.count)
            position = 0
        }
        let count = min(batchSize, order.count - position)
        for row in 0..<count { storage.copyRow(order[position + row], of: dataset, to: row) }
        position += count
        return storage.batch(count: count)
    }
}

/// Contiguous rows of inputs (tokens or features) and labels that a batch points into.
private final class BatchStorage {
    let tokens: UnsafeMutablePointer<Int32>
    let features: UnsafeMutablePointer<Float>
    let labels: UnsafeMutablePointer<Int32>
    let usesTokens: Bool
    let width: Int

    init(dataset: Dataset, rows: Int) {
        width = dataset.rowWidth
        if case .tokens = dataset.inputs { usesTokens = true } else { usesTokens = false }
        tokens = .allocate(capacity: usesTokens ? max(rows * width, 1) : 1)
        features = .allocate(capacity: usesTokens ? 1 : max(rows * width, 1))
        labels = .allocate(capacity: max(rows, 1))
    }

    deinit {
        tokens.deallocate()
        features.deallocate()
        labels.deallocate()
    }

    func copyRow(_ example: Int, of dataset: Dataset, to row: Int) {
        if usesTokens {
            for column in 0..<width { tokens[row * width + column] = dataset.tokens[example * width + column] }
        } else {
            for column in 0..<width { features[row * width + column] = dataset.features[example * width + column] }
        }
        labels[row] = dataset.labels[example]
    }

    func batch(count: Int) -> Batcher.Batch {
        Batcher.Batch(
            inputs: usesTokens ? InputBatch(tokens: tokens, count: count) : InputBatch(features: features, count: count),
            labels: labels)
    }
}
