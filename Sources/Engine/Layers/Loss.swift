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
    /// Mean softmax cross-entropy. logits (n × classes), labels (n) → tally; dlogits = (softmax − onehot) / scale
    public static func softmaxCrossEntropy(
        logits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, count n: Int, classes: Int,
        dlogits: UnsafeMutablePointer<Float>?, scale: Int
    ) -> LossTally {
        var tally = LossTally()
        let inverseScale = 1 / Float(scale)
        for example in 0..<n {
            let row = logits + example * classes
            var maximum = row[0]
            var best = 0
            for column in 1..<classes where row[column] > maximum {
                maximum = row[column]
                best = column
            }
            let label = Int(labels[example])
            if best == label { tally.correct += 1 }
            let labelLogit = row[label]
            var sum: Float = 0
            if let dlogits {
                // Exponentials are stored once and normalised in place (dlogits may alias logits).
                let gradient = dlogits + example * classes
                for column in 0..<classes {
                    let exponential = FastMath.exp(row[column] - maximum)
                    gradient[column] = exponential
                    sum += exponential
                }
                let factor = inverseScale / sum
                for column in 0..<classes { gradient[column] *= factor }
                gradient[label] -= inverseScale
            } else {
                for column in 0..<classes { sum += FastMath.exp(row[column] - maximum) }
            }
            tally.lossSum += Double(logf(sum) - (labelLogit - maximum))
        }
        return tally
    }

    /// Mean squared error against one-hot targets, averaged over n × classes entries as
    /// `nn.MSELoss` does; the reported loss sum is per example (summed over classes / classes).
    public static func meanSquaredError(
        logits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, count n: Int, classes: Int,
        dlogits: UnsafeMutablePointer<Float>?, scale: Int
    ) -> LossTally {
        var tally = LossTally()
        let gradientScale = 2 / Float(scale * classes)
        for example in 0..<n {
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
