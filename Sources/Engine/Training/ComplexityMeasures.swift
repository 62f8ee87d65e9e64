#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Model-complexity measures of a parameter store at one step: the weight norm ‖θ‖₂, the
/// gradient norm ‖g‖₂ and NeuralGrok's absolute gradient entropy (Eq. 4)
///     AGE = H(g) = −Σᵢ |gᵢ| ln |gᵢ|
/// over every entry of the gradient buffer as it stands (zero entries contribute 0).
/// NeuralGrok reports AGE rising while a model memorises and falling as it generalises.
public struct ComplexityMeasures: Sendable, Equatable {
    public var weightNorm: Double
    public var gradientNorm: Double
    public var gradientEntropy: Double

    public init(weightNorm: Double, gradientNorm: Double, gradientEntropy: Double) {
        self.weightNorm = weightNorm
        self.gradientNorm = gradientNorm
        self.gradientEntropy = gradientEntropy
    }

    public init(of parameters: ParameterStore) {
        let theta = parameters.values.data, g = parameters.gradients.data
        var weights = 0.0, squares = 0.0, entropy = 0.0
        for index in 0..<parameters.count {
            let w = Double(theta[index]), magnitude = Double(abs(g[index]))
            weights += w * w
            squares += magnitude * magnitude
            if magnitude > 0 { entropy -= magnitude * log(magnitude) }
        }
        self.init(weightNorm: weights.squareRoot(), gradientNorm: squares.squareRoot(), gradientEntropy: entropy)
    }
}
