import Engine
import Foundation

/// `grok-worker bench --transformer LAYERS`: full-batch training steps (forward, loss, backward,
/// AdamW) of Nanda's transformer (d 128, 4 heads, d_mlp 512, ReLU, no LayerNorm) on
/// (a + b) mod 97 as `a b =`, half the table (4 704 examples) per step — the workload of the
/// PyTorch peer figures in STACK.md.
enum TransformerBench {
    static func run(layers: Int, threads: [Int], steps: Int, reference: Bool) {
        let shape = TransformerShape.modularArithmetic(modulus: 97, layers: layers)
        let all = ModularArithmetic.dataset(operation: .add, modulus: 97)
        let data = DataSplit(all: all, trainFraction: 0.5, seed: 0).train
        let n = data.count
        let denseFlops = 3 * shape.forwardFlopsPerExample * Double(n)
        print("config  transformer: \(layers) layer(s), d \(shape.modelDimension), \(shape.heads) heads, "
              + "d_mlp \(shape.mlpDimension), sequence \(shape.sequenceLength), vocab \(shape.vocabularySize), batch \(n)")
        print("dense-equivalent work: \(String(format: "%.2f", denseFlops / 1e9)) GFLOP/step")
        print("path       threads  ms/step (median)  min     dense GFLOP/s  executed GFLOP/s")
        for threadCount in threads {
            BLAS.threads = threadCount
            for useReference in reference ? [false, true] : [false] {
                let model = Transformer(shape: shape, capacity: n)
                model.reference = useReference
                model.initialize(seed: 0)
                let optimizer = AdamW(parameters: model.parameters, beta1: 0.9, beta2: 0.98, weightDecay: 1)
                let times = data.tokens.withUnsafeBufferPointer { tokens in
                    data.labels.withUnsafeBufferPointer { labels in
                        let batch = InputBatch(tokens: tokens.baseAddress!, count: n)
                        func step() {
                            model.parameters.zeroGradients()
                            let logits = model.forward(batch)
                            _ = Loss.softmaxCrossEntropy(logits: logits, labels: labels.baseAddress!, count: n,
                                                         classes: model.classes, dlogits: logits, scale: n)
                            model.backward(dlogits: logits, count: n)
                            optimizer.step(learningRate: 1e-3)
                        }
                        for _ in 0..<3 { step() }
                        return (0..<steps).map { _ in
                            let start = DispatchTime.now().uptimeNanoseconds
                            step()
                            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                        }.sorted()
                    }
                }
                let median = times[times.count / 2]
                let executed = model.executedFlopsPerStep(count: n)
                print(String(format: "%-10@ %7d  %16.2f  %6.2f  %13.1f  %16.1f", useReference ? "reference" : "engine",
                             threadCount, median, times[0], denseFlops / median / 1e6, executed / median / 1e6))
            }
        }
    }
}
