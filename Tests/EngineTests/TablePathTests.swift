import Engine
import Testing

/// The one-hot table shortcut gives the same logits and gradients as embedding every example.
struct TablePathTests {
    /// (modulus, depth): p = 97 (9 409 examples) is large enough for every loop to be split
    /// over the compute team.
    @Test(arguments: [(23, 1), (23, 2), (97, 1)])
    func fastPathMatchesStraightforwardPath(modulus: Int, depth: Int) {
        let shape = MLPShape(vocabularySize: modulus, embeddingDimension: 16, width: 128, depth: depth, classes: modulus)
        let all = ModularArithmetic.dataset(operation: .add, modulus: modulus)
        let n = all.count
        func run(reference: Bool) -> (logits: [Float], gradients: [Float]) {
            let model = MLP(shape: shape, capacity: n, path: reference ? .reference : .fast)
            model.initialize(seed: 3, scale: 1)
            model.parameters.zeroGradients()
            return all.tokens.withUnsafeBufferPointer { tokens in
                let logits = model.forward(InputBatch(tokens: tokens.baseAddress!, count: n))
                let copy = Array(UnsafeBufferPointer(start: logits, count: n * shape.classes))
                // Any fixed upstream gradient exercises every backward product.
                for index in 0..<(n * shape.classes) { logits[index] = Float(index % 7) * 0.01 - 0.03 }
                model.backward(dlogits: logits, count: n)
                return (copy, model.parameters.gradients.array)
            }
        }
        let fast = run(reference: false), slow = run(reference: true)
        #expect(maxRelativeDifference(fast.logits, slow.logits) < 1e-5)
        #expect(maxRelativeDifference(fast.gradients, slow.gradients) < 1e-4)
    }

    @Test func tablePathExecutesFewerFlops() {
        let shape = MLPShape(vocabularySize: 97, embeddingDimension: 128, width: 512, depth: 1, classes: 97)
        let model = MLP(shape: shape, capacity: 1)
        let dense = 3 * shape.forwardFlopsPerExample * 4704
        #expect(model.executedFlopsPerStep(count: 4704) < 0.3 * dense)
    }

    func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(a.map(abs).max() ?? 0, b.map(abs).max() ?? 0, 1e-6)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }
}
