/// The engine's own loops (loss, gather/scatter, activations, attention, norms) split over
/// the trial's compute team.
///
/// With more than one thread, every loop left serial is time the other cores spend waiting
/// for the next matrix product. Splits never change a result: work is divided into disjoint
/// output ranges (rows or columns) whose values do not depend on the split, and reductions are
/// made over fixed blocks whose partial results are combined in block order. So these loops
/// give the same numbers for any thread count (`ThreadCountTests`); products may not, as
/// OpenBLAS can sum a block of a product in another order than the whole.
public enum Parallel {
    /// Threads the engine's loops use: the current compute team's.
    static var threads: Int { ComputeTeam.current.size }

    /// Items per thread worth splitting for: about 32 K values of work per thread, so a split
    /// costs far less than it saves. Rows of `width` values; columns of `height` values (at
    /// least one cache line of them); plain elements.
    static func rowGrain(_ width: Int) -> Int { max(1, elementGrain / max(width, 1)) }
    static func columnGrain(_ height: Int) -> Int { max(16, elementGrain / max(height, 1)) }
    static let elementGrain = 32_768

    /// Calls `body` on contiguous ranges that together cover `0..<count`, concurrently when
    /// there are several threads and more than `grain` items per thread.
    @inline(__always)
    static func forRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        let team = ComputeTeam.current
        let parts = min(team.size, count / max(grain, 1))
        guard parts > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        team.run(parts: parts) { part in
            body(part * count / parts..<(part + 1) * count / parts)
        }
    }

    /// Like `forRanges` over the columns of a row-major matrix, with split points at multiples
    /// of 16 floats (64 bytes), so threads never write the same cache line of a row when rows
    /// start on a line (as `Tensor` rows of a multiple of 16 columns do).
    @inline(__always)
    static func forColumnRanges(_ columns: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        let lines = (columns + 15) / 16
        forRanges(lines, grain: max(grain / 16, 1)) { range in
            body(range.lowerBound * 16..<min(range.upperBound * 16, columns))
        }
    }

    /// Maps `body` over fixed blocks of `blockSize` items (the last may be shorter) and returns
    /// the results in block order, so a reduction over them is the same for any thread count.
    static func mapBlocks<Result>(
        _ count: Int, blockSize: Int, initial: Result,
        _ body: (Range<Int>) -> Result
    ) -> [Result] {
        let blocks = (count + blockSize - 1) / blockSize
        var results = [Result](repeating: initial, count: blocks)
        results.withUnsafeMutableBufferPointer { slots in
            forRanges(blocks, grain: 1) { range in
                for block in range {
                    slots[block] = body(block * blockSize..<min((block + 1) * blockSize, count))
                }
            }
        }
        return results
    }
}
