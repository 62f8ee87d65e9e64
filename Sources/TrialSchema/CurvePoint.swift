/// One evaluation of the model during a run: what the engine records and the protocol carries.
public struct CurvePoint: Hashable, Sendable {
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
    /// Recorded when the trial asks for diagnostics.
    public var diagnostics: GradientDiagnostics?

    public init(
        step: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double, testAccuracy: Double,
        diagnostics: GradientDiagnostics? = nil
    ) {
        self.step = step
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.diagnostics = diagnostics
    }
}

/// Model-complexity measures at one evaluation: ‖θ‖₂, ‖g‖₂ and the absolute gradient entropy
/// AGE = −Σᵢ |gᵢ| ln |gᵢ| (NeuralGrok, Eq. 4) over every parameter, g being the gradient the
/// optimiser receives at that step (after any amplifier). NeuralGrok reports AGE rising while a
/// model memorises and falling as it generalises.
public struct GradientDiagnostics: Hashable, Sendable {
    public var weightNorm: Double
    public var gradientNorm: Double
    public var gradientEntropy: Double

    public init(weightNorm: Double, gradientNorm: Double, gradientEntropy: Double) {
        self.weightNorm = weightNorm
        self.gradientNorm = gradientNorm
        self.gradientEntropy = gradientEntropy
    }
}
