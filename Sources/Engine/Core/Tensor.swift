/// A contiguous, zero-initialised, row-major buffer of Float32 with a shape.
///
/// Tensors own their storage; layers receive raw pointers into it (llm.c style) so hot loops
/// run without bounds checks or copy-on-write. Nothing else allocates numeric storage.
public final class Tensor {
    public let shape: [Int]
    public let count: Int
    public let data: UnsafeMutablePointer<Float>

    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        // Cache-line aligned: rows split between threads then never share a line at the split
        // (false sharing), and vector loads never straddle lines at a row's start.
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(count, 1) * MemoryLayout<Float>.stride,
            alignment: Tensor.alignment)
        self.data = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
        data.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { data.deallocate() }

    /// Bytes: one cache line.
    public static let alignment = 64

    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    public func zero() { data.update(repeating: 0, count: count) }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy between tensors of \(other.count) and \(count) elements")
        data.update(from: other.data, count: count)
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
}
