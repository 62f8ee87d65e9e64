/// GrokSweep's CPU training engine: tensors over Float32 buffers, layers with forward and
/// backward side by side, models, optimisers, tasks and the trial runner. Matrix products go
/// through OpenBLAS (`BLAS.swift`); nothing here knows about networking or command lines.
public enum EngineInfo {
    public static let version = "0.1.0"
}
