import Engine
import Testing

/// Regression: an MLP's backward pass read the inputs through the caller's pointer, which may
/// dangle once the caller's `withUnsafeBufferPointer` closure has returned (as in
/// `TrialRunner.evaluate`). The model now keeps its own copy, as the transformer does.
struct BatchOwnershipTests {
    @Test(arguments: [false, true], ComputePath.allCases)
    func backwardUsesTheInputsOfItsForward(features: Bool, path: ComputePath) {
        let shape =
            features
            ? MLPShape(input: .features(width: 6), width: 10, depth: 2, classes: 3)
            : MLPShape(vocabularySize: 7, embeddingDimension: 4, width: 10, depth: 2, classes: 7)
        let count = 5
        var generator = SeededGenerator(seed: 9, stream: "inputs")
        let tokens = (0..<(2 * count)).map { _ in Int32(generator.next() % 7) }
        let vectors = (0..<(6 * count)).map { _ in Float(generator.normal()) }
        let upstream = (0..<(count * shape.classes)).map { Float($0 % 5) * 0.1 - 0.2 }

        func gradients(clobberInputs: Bool) -> [Float] {
            let model = MLP(shape: shape, capacity: count, path: path)
            model.initialize(seed: 4, scale: 1)
            model.parameters.zeroGradients()
            // Fresh, uniquely owned buffers: the writes below land where the forward pass read.
            var (batchTokens, batchVectors) = (tokens.map { $0 }, vectors.map { $0 })
            let logits =
                features
                ? batchVectors.withUnsafeBufferPointer { model.forward(InputBatch(features: $0.baseAddress!, count: count)) }
                : batchTokens.withUnsafeBufferPointer { model.forward(InputBatch(tokens: $0.baseAddress!, count: count)) }
            if clobberInputs {
                // What a reused or freed buffer may hold by the time backward runs.
                for index in batchTokens.indices { batchTokens[index] = 6 - batchTokens[index] }
                for index in batchVectors.indices { batchVectors[index] = -3 * batchVectors[index] }
            }
            for (index, value) in upstream.enumerated() { logits[index] = value }
            model.backward(dlogits: logits, count: count)
            return model.parameters.gradients.array
        }
        #expect(gradients(clobberInputs: true) == gradients(clobberInputs: false))
    }
}
