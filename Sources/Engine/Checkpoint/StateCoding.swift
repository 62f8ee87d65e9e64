/// Little-endian primitives of the trial-state format: fixed-width integers, floating-point
/// numbers as their raw bits (so a restored value is the saved one, NaN payloads included),
/// length-prefixed strings and counted arrays.
///
/// `StateWriter` appends to a byte array; `StateReader` reads one back in the same order and
/// throws `TrialStateError.malformed` instead of reading past the end. Arrays of numbers carry
/// their count, and a reader that knows how many it expects reports a different count as a
/// shape mismatch naming what was being read.
public struct StateWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    // MARK: Scalars

    public mutating func write<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Int) { write(Int64(value)) }
    public mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }
    public mutating func write(_ value: Float) { write(value.bitPattern) }
    public mutating func write(_ value: Double) { write(value.bitPattern) }

    public mutating func write(optional value: Int?) {
        write(value != nil)
        write(value ?? 0)
    }

    /// UTF-8 bytes after their count (UInt32).
    public mutating func write(_ value: String) {
        let utf8 = Array(value.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Raw bytes after their count (UInt64): a nested section.
    public mutating func write(section: [UInt8]) {
        write(UInt64(section.count))
        bytes.append(contentsOf: section)
    }

    // MARK: Arrays

    /// `count` (UInt64), then each value's bits.
    public mutating func write(floats values: UnsafePointer<Float>, count: Int) {
        write(UInt64(count))
        appendWords(count: count, width: 4) { raw, offset, index in
            raw.storeBytes(of: values[index].bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
        }
    }

    public mutating func write(doubles values: UnsafePointer<Double>, count: Int) {
        write(UInt64(count))
        appendWords(count: count, width: 8) { raw, offset, index in
            raw.storeBytes(of: values[index].bitPattern.littleEndian, toByteOffset: offset, as: UInt64.self)
        }
    }

    public mutating func write(integers values: [Int]) {
        write(UInt64(values.count))
        values.withUnsafeBufferPointer { buffer in
            appendWords(count: buffer.count, width: 8) { raw, offset, index in
                raw.storeBytes(of: Int64(buffer[index]).littleEndian, toByteOffset: offset, as: Int64.self)
            }
        }
    }

    /// Grows the buffer by `count · width` bytes once and lets `store` fill each word.
    private mutating func appendWords(
        count: Int, width: Int,
        store: (UnsafeMutableRawBufferPointer, Int, Int) -> Void
    ) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count * width))
        bytes.withUnsafeMutableBytes { raw in
            let region = UnsafeMutableRawBufferPointer(rebasing: raw[start...])
            for index in 0..<count { store(region, index * width, index) }
        }
    }
}

/// Reads what a `StateWriter` wrote, in the same order.
public struct StateReader {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var isAtEnd: Bool { offset == bytes.count }
    public var remaining: Int { bytes.count - offset }

    // MARK: Scalars

    public mutating func read<Value: FixedWidthInteger>(_: Value.Type = Value.self) throws -> Value {
        let width = MemoryLayout<Value>.size
        try need(width, "a \(width)-byte integer")
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Value.self) }
        offset += width
        return Value(littleEndian: value)
    }

    public mutating func readInt() throws -> Int {
        let value = try read(Int64.self)
        guard let int = Int(exactly: value) else { throw TrialStateError.malformed("integer \(value) out of range") }
        return int
    }

    public mutating func readBool() throws -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw TrialStateError.malformed("byte \(other) where a flag (0 or 1) belongs, at offset \(offset - 1)")
        }
    }

    public mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    public mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }

    public mutating func readOptionalInt() throws -> Int? {
        let present = try readBool()
        let value = try readInt()
        return present ? value : nil
    }

    public mutating func readString() throws -> String {
        let count = Int(try read(UInt32.self))
        try need(count, "a string of \(count) bytes")
        let text = String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
        offset += count
        return text
    }

    public mutating func readSection() throws -> [UInt8] {
        let count = try readCount(width: 1, what: "a section")
        let section = Array(bytes[offset..<(offset + count)])
        offset += count
        return section
    }

    // MARK: Arrays

    /// Reads `expected` floats into `values`; a different stored count is a shape mismatch of `what`.
    public mutating func readFloats(into values: UnsafeMutablePointer<Float>, count expected: Int, what: String) throws {
        let count = try readCount(width: 4, what: what)
        guard count == expected else { throw TrialStateError.shapeMismatch(what: what, expected: "\(expected) values", found: "\(count)") }
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                values[index] = Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * index, as: UInt32.self)))
            }
        }
        offset += 4 * count
    }

    public mutating func readDoubles(into values: UnsafeMutablePointer<Double>, count expected: Int, what: String) throws {
        let count = try readCount(width: 8, what: what)
        guard count == expected else { throw TrialStateError.shapeMismatch(what: what, expected: "\(expected) values", found: "\(count)") }
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                values[index] = Double(
                    bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * index, as: UInt64.self)))
            }
        }
        offset += 8 * count
    }

    public mutating func readIntegers(what: String) throws -> [Int] {
        let count = try readCount(width: 8, what: what)
        return try (0..<count).map { _ in try readInt() }
    }

    /// A stored count whose `width`-byte items fit in what is left.
    private mutating func readCount(width: Int, what: String) throws -> Int {
        let stored = try read(UInt64.self)
        guard stored <= UInt64(remaining / width) else {
            throw TrialStateError.malformed("\(what) claims \(stored) items but only \(remaining) bytes are left")
        }
        return Int(stored)
    }

    private func need(_ count: Int, _ what: String) throws {
        guard count <= remaining else {
            throw TrialStateError.malformed("ends at offset \(bytes.count) while reading \(what) at offset \(offset)")
        }
    }
}
