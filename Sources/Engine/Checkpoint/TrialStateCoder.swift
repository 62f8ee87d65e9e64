import Foundation

/// The versioned, checksummed envelope every saved trial state travels in.
///
/// Layout (all integers little-endian):
///
///     offset      size  field
///     0           8     magic "GRKSTATE"
///     8           4     format version (UInt32), currently 1
///     12          4     content tag, 4 ASCII bytes: "RUNR" one TrialRunner, "TRIL" a whole trial
///     16          4     compute threads the state was saved with (UInt32)
///     20          2     build identifier length n (UInt16)
///     22          n     build identifier, UTF-8 (`EngineInfo.build`)
///     22+n        8     payload length L (UInt64)
///     30+n        L     payload (the content's own layout; see `TrialRunner+State`)
///     30+n+L      4     CRC-32 (IEEE, as zlib's crc32) of bytes [0, 30+n+L)
///
/// `open` checks, in order: magic, version, lengths, checksum, content tag, build, threads —
/// so a foreign file reads as bad magic, a corrupted byte anywhere after the version as a
/// checksum mismatch, and only an intact state of another build or thread count as such.
public enum TrialStateCoder {
    public static let formatVersion: UInt32 = 1
    public static let magic = Array("GRKSTATE".utf8)

    /// The envelope's fields besides the payload.
    public struct Header: Sendable, Equatable {
        public var version: UInt32
        public var content: String
        public var threads: Int
        public var build: String
    }

    /// Wraps `payload` for storage or transport, stamped with the build and the compute
    /// threads (by default this process's and the calling task's team size).
    public static func seal(_ payload: [UInt8], content: String, threads: Int? = nil, build: String? = nil) -> Data {
        precondition(content.utf8.count == 4, "a content tag is 4 ASCII bytes")
        let threads = threads ?? ComputeTeam.current.size
        let buildBytes = Array((build ?? EngineInfo.build).utf8.prefix(Int(UInt16.max)))
        var writer = StateWriter()
        for byte in magic { writer.write(byte) }
        writer.write(formatVersion)
        for byte in content.utf8 { writer.write(byte) }
        writer.write(UInt32(threads))
        writer.write(UInt16(buildBytes.count))
        for byte in buildBytes { writer.write(byte) }
        writer.write(UInt64(payload.count))
        var bytes = writer.bytes
        bytes.append(contentsOf: payload)
        let checksum = CRC32.checksum(bytes)
        withUnsafeBytes(of: checksum.littleEndian) { bytes.append(contentsOf: $0) }
        return Data(bytes)
    }

    /// The payload of a sealed state of `content`, after every check. `threads` and `build`
    /// default to this process's; `anyThreadCount` accepts a state saved with another count
    /// (the continuation may then differ from an uninterrupted run in the last bits).
    public static func open(
        _ data: Data, content: String, threads: Int? = nil, anyThreadCount: Bool = false,
        build: String? = nil
    ) throws -> [UInt8] {
        let (header, payload) = try unpack(data)
        guard header.content == content else { throw TrialStateError.wrongContent(expected: content, found: header.content) }
        let build = build ?? EngineInfo.build
        guard header.build == build else { throw TrialStateError.otherBuild(state: header.build, running: build) }
        let threads = threads ?? ComputeTeam.current.size
        if !anyThreadCount, header.threads != threads {
            throw TrialStateError.otherThreadCount(state: header.threads, running: threads)
        }
        return payload
    }

    /// The header of an intact state (magic, version and checksum checked), whatever its build.
    public static func header(of data: Data) throws -> Header { try unpack(data).header }

    private static func unpack(_ data: Data) throws -> (header: Header, payload: [UInt8]) {
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw TrialStateError.badMagic }
        var reader = StateReader(bytes, offset: magic.count)
        let version = try reader.read(UInt32.self)
        guard version == formatVersion else { throw TrialStateError.unsupportedVersion(found: version, supported: formatVersion) }
        let tag = try (0..<4).map { _ in try reader.read(UInt8.self) }
        let threads = Int(try reader.read(UInt32.self))
        let buildCount = Int(try reader.read(UInt16.self))
        let buildBytes = try (0..<buildCount).map { _ in try reader.read(UInt8.self) }
        let payloadCount = try reader.read(UInt64.self)
        guard payloadCount <= UInt64(reader.remaining), reader.remaining - Int(payloadCount) == 4 else {
            throw TrialStateError.malformed("payload length \(payloadCount) does not match the \(bytes.count) bytes received")
        }
        let end = reader.offset + Int(payloadCount)
        let stored = UInt32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: end, as: UInt32.self) })
        let computed = CRC32.checksum(bytes[0..<end])
        guard stored == computed else { throw TrialStateError.checksumMismatch(stored: stored, computed: computed) }
        let header = Header(
            version: version, content: String(decoding: tag, as: UTF8.self), threads: threads,
            build: String(decoding: buildBytes, as: UTF8.self))
        return (header, Array(bytes[reader.offset..<end]))
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib and PNG.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            let contiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
                for byte in buffer { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
            }
            if contiguous == nil {
                for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
