import TrialSchema

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The measures of a parameter store at one step, over every entry of the gradient buffer as it
/// stands (zero entries contribute 0 to the entropy).
extension GradientDiagnostics {
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
