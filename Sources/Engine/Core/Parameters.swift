/// A named region of the flat parameter buffer.
public struct ParameterSlice: Sendable {
    public let name: String
    public let offset: Int
    public let shape: [Int]
    public var count: Int { shape.reduce(1, *) }
}

/// All trainable parameters of a model in one flat buffer, with gradients in a second buffer
/// of the same layout and a table of named slices (llm.c style): optimisers and gradient
/// filters are single loops over the whole buffer, and checkpoints are one copy.
public final class ParameterStore {
    public let slices: [ParameterSlice]
    public let values: Tensor
    public let gradients: Tensor

    /// Lays out the given (name, shape) pairs contiguously in order.
    public init(layout: [(name: String, shape: [Int])]) {
        var offset = 0
        var slices: [ParameterSlice] = []
        for entry in layout {
            precondition(!slices.contains { $0.name == entry.name }, "duplicate parameter \(entry.name)")
            slices.append(ParameterSlice(name: entry.name, offset: offset, shape: entry.shape))
            offset += entry.shape.reduce(1, *)
        }
        self.slices = slices
        values = Tensor(shape: [offset])
        gradients = Tensor(shape: [offset])
    }

    public var count: Int { values.count }

    public func slice(_ name: String) -> ParameterSlice {
        guard let found = slices.first(where: { $0.name == name }) else {
            preconditionFailure("no parameter named \(name)")
        }
        return found
    }

    public func value(_ slice: ParameterSlice) -> UnsafeMutablePointer<Float> { values.data + slice.offset }
    public func gradient(_ slice: ParameterSlice) -> UnsafeMutablePointer<Float> { gradients.data + slice.offset }

    public func zeroGradients() { gradients.zero() }

    /// Overwrites a parameter's leading rows (row-major, by name) with `values`: all of it when
    /// `values` fills it, else the first rows, the others keeping theirs (a transferred table
    /// that lacks some of the target's tokens).
    public func overwriteRows(of name: String, with values: [Float]) {
        let slice = slice(name), rowWidth = slice.shape.count > 1 ? slice.shape.dropFirst().reduce(1, *) : slice.count
        precondition(
            values.count <= slice.count && values.count % rowWidth == 0,
            "\(name) (\(slice.shape)) cannot take \(values.count) values as whole rows")
        values.withUnsafeBufferPointer { value(slice).update(from: $0.baseAddress!, count: values.count) }
    }
}
