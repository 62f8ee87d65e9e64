import Foundation

extension EngineInfo {
    /// What "the same build" means for a saved trial state: the engine version and a 64-bit
    /// hash of the running executable's bytes, e.g. `0.1.0+exe.3f9c0e1a2b4d5c6e`. Two
    /// processes of one binary agree; a rebuild that changes any code or flag does not, so a
    /// state is never continued by code that could round differently. Read once per process
    /// (a few milliseconds for a 10 MB binary).
    public static let build: String = {
        guard let bytes = executableBytes() else { return "\(version)+exe.unreadable" }
        return "\(version)+exe.\(hex(wordHash(bytes)))"
    }()

    private static func executableBytes() -> Data? {
        var paths = ["/proc/self/exe"]
        if let path = Bundle.main.executablePath { paths.append(path) }
        for path in paths {
            if let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) { return data }
        }
        return nil
    }

    /// FNV-1a over little-endian 64-bit words (the tail zero-padded), then the length.
    static func wordHash(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { raw in
            let words = raw.count / 8
            for index in 0..<words {
                hash = (hash ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))) &* 0x0000_0100_0000_01B3
            }
            var tail: UInt64 = 0
            for (shift, index) in (8 * words..<raw.count).enumerated() { tail |= UInt64(raw[index]) << (8 * UInt64(shift)) }
            hash = (hash ^ tail) &* 0x0000_0100_0000_01B3
        }
        return (hash ^ UInt64(data.count)) &* 0x0000_0100_0000_01B3
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
