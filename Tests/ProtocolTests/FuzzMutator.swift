import Foundation

/// Seeded input generation for the fuzz tests: random bytes, token soup, and mutations of valid
/// inputs (bit flips, interesting bytes, cut, duplicated and spliced ranges, hostile numbers,
/// deep nesting). Deterministic per seed, so a failing input can be regenerated.
struct FuzzMutator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64: small, fast and good enough to drive mutations.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }

    static let interestingBytes: [UInt8] = Array("\"{}[],:\\-+.0123456789eEnul".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xFF]
    static let hostileTokens = [
        "1e999", "-1e999", "-0", "1e-400", "99999999999999999999", "NaN", "Infinity", "null",
        "\"\\ud800\"", "\"\\u0000\"", "[]", "{}", "true", "-", "0x10", "1.", ".5", "\"\"",
    ]
    static let soup = Array(#"{}[]":,0123456789.-eEtrufalsn\u "#.utf8)

    /// An input derived from `corpus` (or from nothing), with 1–4 stacked mutations.
    mutating func input(from corpus: [[UInt8]]) -> [UInt8] {
        switch below(10) {
        case 0: return (0..<below(300)).map { _ in UInt8(truncatingIfNeeded: next()) }
        case 1: return (0..<below(300)).map { _ in Self.soup[below(Self.soup.count)] }
        case 2:
            let depth = 40 + below(60)
            return Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: below(depth + 1)).utf8)
        default:
            var bytes = corpus[below(corpus.count)]
            for _ in 0..<(1 + below(4)) { mutate(&bytes, corpus: corpus) }
            return bytes
        }
    }

    private mutating func mutate(_ bytes: inout [UInt8], corpus: [[UInt8]]) {
        let position = below(bytes.count + 1)
        switch below(8) {
        case 0 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] ^= 1 << UInt8(below(8))
        case 1 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] = Self.interestingBytes[below(Self.interestingBytes.count)]
        case 2:
            let end = min(bytes.count, position + 1 + below(16))
            bytes.removeSubrange(position..<end)
        case 3:
            bytes.insert(contentsOf: (0..<(1 + below(8))).map { _ in Self.soup[below(Self.soup.count)] }, at: position)
        case 4:
            let end = min(bytes.count, position + below(32))
            bytes.insert(contentsOf: bytes[position..<end], at: min(bytes.count, end + below(8)))
        case 5:
            bytes.removeLast(below(bytes.count + 1))
        case 6:
            let other = corpus[below(corpus.count)]
            bytes = Array(bytes.prefix(position)) + Array(other.suffix(below(other.count + 1)))
        default:
            // Replace a number (a run of digits) with a hostile token.
            guard
                let start = bytes.indices.dropFirst(position).first(where: { (0x30...0x39).contains(bytes[$0]) })
                    ?? bytes.indices.first(where: { (0x30...0x39).contains(bytes[$0]) })
            else { return }
            var end = start
            while end < bytes.count, (0x30...0x39).contains(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(Self.hostileTokens[below(Self.hostileTokens.count)].utf8))
        }
    }
}
