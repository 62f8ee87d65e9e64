/// Tasks whose inputs are feature vectors. "Embedding" for these is the first linear layer.
public enum VectorTasks {
    // MARK: (n, k)-sparse parity

    /// x ∈ {±1}ⁿ uniformly; label 1 when the product of the first k bits is +1, else 0
    /// (Barak et al.; the GrokTransfer paper's (40, 3)-parity). Examples from the seed's
    /// "data" stream: training examples first, then test examples.
    public static func parity(bits n: Int, order k: Int, trainCount: Int, testCount: Int, seed: Int) -> DataSplit {
        precondition(k >= 1 && k <= n, "parity order must be in 1...bits")
        var generator = SeededGenerator(seed: seed, stream: "data")
        func sample(_ count: Int) -> Dataset {
            var features: [Float] = []
            var labels: [Int32] = []
            features.reserveCapacity(count * n)
            for _ in 0..<count {
                var product: Float = 1
                for bit in 0..<n {
                    let value: Float = generator.next() & 1 == 0 ? -1 : 1
                    if bit < k { product *= value }
                    features.append(value)
                }
                labels.append(product > 0 ? 1 : 0)
            }
            return Dataset(features: features, width: n, labels: labels, classes: 2)
        }
        return DataSplit(train: sample(trainCount), test: sample(testCount))
    }

    // MARK: XOR cluster

    /// The GrokTransfer paper's theory data (§3.1): x = [x₁, x₂, noise] with x₁, x₂ uniform ±1
    /// and each of the `dimension − 2` noise coordinates uniform ±ε; label 1 when x₁·x₂ = +1.
    public static func xorCluster(
        dimension p: Int, noise epsilon: Double, trainCount: Int, testCount: Int,
        seed: Int
    ) -> DataSplit {
        precondition(p >= 3, "XOR cluster data needs two signal and at least one noise coordinate")
        var generator = SeededGenerator(seed: seed, stream: "data")
        let noise = Float(epsilon)
        func sample(_ count: Int) -> Dataset {
            var features: [Float] = []
            var labels: [Int32] = []
            features.reserveCapacity(count * p)
            for _ in 0..<count {
                let first: Float = generator.next() & 1 == 0 ? -1 : 1
                let second: Float = generator.next() & 1 == 0 ? -1 : 1
                features.append(first)
                features.append(second)
                for _ in 2..<p { features.append(generator.next() & 1 == 0 ? -noise : noise) }
                labels.append(first * second > 0 ? 1 : 0)
            }
            return Dataset(features: features, width: p, labels: labels, classes: 2)
        }
        return DataSplit(train: sample(trainCount), test: sample(testCount))
    }

    // MARK: Handwritten digits

    /// The 1 797 UCI 8 × 8 digit images, pixels scaled to [0, 1], labels 0–9.
    public static func digits() -> Dataset {
        var features: [Float] = []
        var labels: [Int32] = []
        features.reserveCapacity(1797 * 64)
        for line in DigitsData.text.split(separator: "\n") {
            let characters = Array(line.utf8)
            precondition(characters.count == 65, "malformed digits line")
            for character in characters[0..<64] {
                let value = character <= UInt8(ascii: "9") ? character - UInt8(ascii: "0") : character - UInt8(ascii: "a") + 10
                features.append(Float(value) / 16)
            }
            labels.append(Int32(characters[64] - UInt8(ascii: "0")))
        }
        return Dataset(features: features, width: 64, labels: labels, classes: 10)
    }
}
