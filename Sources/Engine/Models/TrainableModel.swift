/// What the trial runner needs from a model: parameters in one store, a forward pass to
/// logits, a backward pass that accumulates parameter gradients, and its cost.
public protocol TrainableModel: AnyObject {
    var parameters: ParameterStore { get }
    /// Largest batch the workspace holds.
    var capacity: Int { get }
    var classes: Int { get }
    /// Logits (count × classes); valid until the next call. The model keeps its own copy of
    /// the batch's inputs for `backward`.
    func forward(_ batch: InputBatch) -> UnsafeMutablePointer<Float>
    /// Accumulates parameter gradients of the last forward from dlogits (count × classes).
    func backward(dlogits: UnsafePointer<Float>, count: Int)
    /// FLOPs of one forward pass per example as a dense implementation performs them.
    var denseForwardFlopsPerExample: Double { get }
    /// FLOPs this implementation actually performs per training step of `count` examples.
    func executedFlopsPerStep(count: Int) -> Double
    /// The same model with a factorised input layer replaced by the factors' product; nil when
    /// the model has nothing to merge.
    func mergingInputFactors() -> TrainableModel?
}

/// Which kernels a model runs, fixed when it is built: the fast path with its exact shortcuts,
/// or the straightforward reference path that tests check it against and `bench --reference`
/// times it against.
public enum ComputePath: Sendable, CaseIterable {
    case fast
    case reference
}
