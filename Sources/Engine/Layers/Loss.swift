#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Sum of per-example losses and the number of correct argmax predictions in a batch.
public struct LossTally: Sendable {
    public var lossSum: Double = 0
    public var correct: Int = 0
    public init() {}
}

/// Classification losses with their gradients computed in the same pass.
///
/// Gradients are of the *mean* loss over `scale` examples (the batch), written (not
/// accumulated) into `dlogits`, which may alias `logits`. Pass `dlogits: nil` to evaluate only.
public enum Loss {
    /// Rows per block of the loss reductions: the tally is summed per block, then over blocks in
    /// order, so it does not depend on how many threads took the blocks.
    static let blockRows = 64

    /// Mean softmax cross-entropy. logits (n × classes), labels (n) → tally; dlogits = (softmax − onehot) / scale
    public static func softmaxCrossEntropy(
        logits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, count n: Int, classes: Int,
        dlogits: UnsafeMutablePointer<Float>?, scale: Int
    ) -> LossTally {
        let inverseScale = 1 / Float(scale)
        return tallyBlocks(n) { rows in
            var tally = LossTally()
            for example in rows {
                let row = logits + example * classes
                let maximum = FastMath.maximum(row, count: classes)
                let label = Int(labels[example])
                if isFirstMaximum(row, at: label, maximum: maximum) { tally.correct += 1 }
                let labelLogit = row[label]
                // Exponentials are stored once and normalised in place (dlogits may alias logits);
                // without a gradient they go to a row-sized scratch on the stack.
                let sum: Float
                if let dlogits {
                    let gradient = dlogits + example * classes
                    sum = FastMath.shiftedExponentials(row, minus: maximum, into: gradient, count: classes)
                    let factor = inverseScale / sum
                    for column in 0..<classes { gradient[column] *= factor }
                    gradient[label] -= inverseScale
                } else {
                    sum = withUnsafeTemporaryAllocation(of: Float.self, capacity: classes) { scratch in
                        FastMath.shiftedExponentials(row, minus: maximum, into: scratch.baseAddress!, count: classes)
                    }
                }
                tally.lossSum += Double(logf(sum) - (labelLogit - maximum))
            }
            return tally
        }
    }

    /// Whether `label` is the prediction: the first index holding the row's maximum.
    @inline(__always)
    static func isFirstMaximum(_ row: UnsafePointer<Float>, at label: Int, maximum: Float) -> Bool {
        guard row[label] == maximum else { return false }
        for column in 0..<label where row[column] == maximum { return false }
        return true
    }

    /// Per-block tallies of `body` over rows `0..<n`, combined in block order.
    static func tallyBlocks(_ n: Int, _ body: (Range<Int>) -> LossTally) -> LossTally {
        Parallel.mapBlocks(n, blockSize: blockRows, initial: LossTally(), body).reduce(into: LossTally()) { total, block in
            total.lossSum += block.lossSum
            total.correct += block.correct
        }
    }

    /// Mean squared error against one-hot targets, averaged over n × classes entries as
    /// `nn.MSELoss` does; the reported loss sum is per example (summed over classes / classes).
    public static func meanSquaredError(
        logits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, count n: Int, classes: Int,
        dlogits: UnsafeMutablePointer<Float>?, scale: Int
    ) -> LossTally {
        let gradientScale = 2 / Float(scale * classes)
        return tallyBlocks(n) { rows in
            var tally = LossTally()
            for example in rows {
                let row = logits + example * classes
                let label = Int(labels[example])
                var best = 0
                for column in 1..<classes where row[column] > row[best] { best = column }
                var squares: Float = 0
                for column in 0..<classes {
                    let difference = row[column] - (column == label ? 1 : 0)
                    squares += difference * difference
                    if let dlogits { dlogits[example * classes + column] = gradientScale * difference }
                }
                if best == label { tally.correct += 1 }
                tally.lossSum += Double(squares) / Double(classes)
            }
            return tally
        }
    }
}
