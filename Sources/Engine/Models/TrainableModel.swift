/// What the trial runner needs from a model: parameters in one store, a forward pass to
/// logits, a backward pass that accumulates parameter gradients, and its cost.
public protocol TrainableModel: AnyObject {
    var parameters: ParameterStore { get }
    /// Largest batch the workspace holds.
    var capacity: Int { get }
    var classes: Int { get }
    /// Logits (count × classes); valid until the next call.
    func forward(_ batch: InputBatch) -> UnsafeMutablePointer<Float>
    /// Accumulates parameter gradients of the last forward from dlogits (count × classes).
    func backward(dlogits: UnsafePointer<Float>, count: Int)
    /// FLOPs of one forward pass per example as a dense implementation performs them.
    var denseForwardFlopsPerExample: Double { get }
    /// FLOPs this implementation actually performs per training step of `count` examples.
    func executedFlopsPerStep(count: Int) -> Double
}
