import TrialSchema

/// Typed shortcuts for tests that check one setting of an expanded trial.
extension TrialConfig {
    /// The modular task's settings; nil for other tasks.
    var modular: ModularTask? {
        if case .modular(let task) = task { return task }
        return nil
    }

    /// The target MLP's sizes; nil for a transformer.
    var mlp: MLPSettings? {
        if case .mlp(let model) = target.architecture { return model }
        return nil
    }

    var training: TrainingSettings { target.training }
}
