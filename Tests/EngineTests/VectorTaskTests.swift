import Engine
import Testing

/// The definitions of the feature-vector tasks, checked example by example.
struct VectorTaskTests {
    @Test func parityLabelIsTheProductOfTheFirstKBits() {
        let split = VectorTasks.parity(bits: 40, order: 3, trainCount: 300, testCount: 200, seed: 5)
        #expect(split.train.count == 300 && split.test.count == 200)
        for data in [split.train, split.test] {
            #expect(data.inputs == .features(width: 40) && data.classes == 2)
            for row in 0..<data.count {
                let x = data.features[row * 40..<(row + 1) * 40]
                #expect(x.allSatisfy { $0 == 1 || $0 == -1 })
                let product = x.prefix(3).reduce(Float(1), *)
                #expect(data.labels[row] == (product > 0 ? 1 : 0))
            }
        }
        // Both labels occur in roughly equal numbers, and the label ignores the other bits.
        let positives = split.train.labels.filter { $0 == 1 }.count
        #expect(positives > 110 && positives < 190)
    }

    @Test func xorClusterLabelIsTheXorOfTheSignalSigns() {
        let split = VectorTasks.xorCluster(dimension: 50, noise: 0.05, trainCount: 400, testCount: 100, seed: 1)
        var clusters = Set<[Float]>()
        for data in [split.train, split.test] {
            for row in 0..<data.count {
                let x = Array(data.features[row * 50..<(row + 1) * 50])
                #expect(abs(x[0]) == 1 && abs(x[1]) == 1)
                #expect(x[2...].allSatisfy { abs($0) == Float(0.05) })
                #expect(data.labels[row] == (x[0] * x[1] > 0 ? 1 : 0))
                clusters.insert([x[0], x[1]])
            }
        }
        #expect(clusters.count == 4)
    }

    @Test func generatedTasksFollowTheSeed() {
        let a = VectorTasks.xorCluster(dimension: 20, noise: 0.1, trainCount: 50, testCount: 50, seed: 3)
        let b = VectorTasks.xorCluster(dimension: 20, noise: 0.1, trainCount: 50, testCount: 50, seed: 3)
        let c = VectorTasks.xorCluster(dimension: 20, noise: 0.1, trainCount: 50, testCount: 50, seed: 4)
        #expect(a.train.features == b.train.features && a.test.labels == b.test.labels)
        #expect(a.train.features != c.train.features)
        // Training and test sets are different draws.
        #expect(a.train.features != a.test.features)
    }

    @Test func digitsAreTheUCISet() {
        let digits = VectorTasks.digits()
        #expect(digits.count == 1_797 && digits.inputs == .features(width: 64) && digits.classes == 10)
        #expect(digits.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        var perClass = [Int](repeating: 0, count: 10)
        for label in digits.labels { perClass[Int(label)] += 1 }
        // The class sizes of the published set.
        #expect(perClass == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        // The first image is a zero, with its well-known top row 0 0 5 13 9 1 0 0 (of 16).
        #expect(digits.labels[0] == 0)
        #expect(Array(digits.features[0..<8]) == [0, 0, 5, 13, 9, 1, 0, 0].map { Float($0) / 16 })
        let split = DataSplit(all: digits, trainCount: 1_000, seed: 0)
        #expect(split.train.count == 1_000 && split.test.count == 797)
    }
}
