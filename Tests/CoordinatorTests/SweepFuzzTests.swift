import Foundation
import Protocol
import Testing

@testable import Coordinator

/// Bad input in sweep files: the shipped sweeps, mutated at random (seeded) — structurally
/// (values of the wrong type, hostile numbers, deleted and unknown keys, emptied and duplicated
/// arrays, deep nesting) and byte by byte. Parsing and expansion must never crash and must reject
/// every bad file with a `ConfigError` naming the file and a JSON path.
@Suite("Bad input: sweep-file fuzzing")
struct SweepFuzzTests {
    /// The sweeps shipped in `sweeps/`, found from this source file's location.
    static let corpus: [JSONValue] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sweeps")
        let files = (try? FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
            .compactMap { try? Data(contentsOf: $0) }.compactMap { try? JSONValue.parse($0) }
    }()

    /// SplitMix64, seeded: every run tries the same inputs.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    }

    static let hostileValues: [JSONValue] = [
        .null, .bool(true), .number(-1), .number(0), .number(2.5), .number(1e300), .number(-1e300), .number(1e7),
        .number(4_000_000_000), .string(""), .string("x"), .string("target.weightDecay"), .array([]), .object([:]),
        .array([.number(1), .number(1)]), .object(["path": .string("seed"), "values": .array([.number(1)])]),
        .object(["count": .number(1e9)]), .object(["zip": .array([])]), .object(["variants": .array([.object([:])])]),
    ]

    /// Replaces, deletes or adds one node somewhere in `value`.
    static func mutate(_ value: JSONValue, _ random: inout Generator, depth: Int = 0) -> JSONValue {
        switch value {
        case .object(var members) where !members.isEmpty && random.below(4) != 0:
            let keys = members.keys.sorted()
            let key = keys[random.below(keys.count)]
            switch random.below(6) {
            case 0: members[key] = nil
            case 1: members["unexpected\(random.below(3))"] = hostileValues[random.below(hostileValues.count)]
            default: members[key] = mutate(members[key]!, &random, depth: depth + 1)
            }
            return .object(members)
        case .array(var items) where !items.isEmpty && random.below(4) != 0:
            let index = random.below(items.count)
            switch random.below(5) {
            case 0: items.remove(at: index)
            case 1: items.append(items[index])
            default: items[index] = mutate(items[index], &random, depth: depth + 1)
            }
            return .array(items)
        default:
            if random.below(8) == 0 {
                var nested = value
                for _ in 0..<(20 + random.below(60)) { nested = .array([nested]) }
                return nested
            }
            return hostileValues[random.below(hostileValues.count)]
        }
    }

    /// A few raw byte edits: flips, cuts, truncation.
    static func mutateBytes(_ bytes: inout [UInt8], _ random: inout Generator) {
        for _ in 0..<(1 + random.below(3)) where !bytes.isEmpty {
            let position = random.below(bytes.count)
            switch random.below(3) {
            case 0: bytes[position] ^= 1 << UInt8(random.below(8))
            case 1: bytes.removeSubrange(position..<min(bytes.count, position + 1 + random.below(12)))
            default: bytes.removeLast(random.below(bytes.count))
            }
        }
    }

    @Test("seeded fuzzing of sweep files: no crash; every rejection a ConfigError naming the file and a path")
    func fuzzSweepFiles() throws {
        try #require(Self.corpus.count >= 3, "the shipped sweeps were not found")
        var random = Generator(state: 0x5357_4545_50)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(3)
        var tried = 0, accepted = 0, rejected = 0, tooLargeToExpand = 0
        var problems: [String] = []
        while tried < 20_000, clock.now < deadline, problems.count < 5 {
            var json = Self.corpus[random.below(Self.corpus.count)]
            for _ in 0..<(1 + random.below(3)) { json = Self.mutate(json, &random) }
            var bytes = Array(json.canonicalText.utf8)
            if random.below(4) == 0 { Self.mutateBytes(&bytes, &random) }
            tried += 1
            do {
                let sweep = try SweepFile.parse(data: Data(bytes), file: "fuzz.json")
                // Expansion is bounded (1 000 000 trials) but a valid grid of 50 000 trials takes
                // seconds: those are counted, not expanded, to keep the test short.
                let count = GridEntry.productCount(sweep.grid).multipliedReportingOverflow(by: sweep.seeds.count)
                if !count.overflow, count.partialValue > 2_000, count.partialValue <= SweepExpansion.maximumTrials {
                    tooLargeToExpand += 1
                    continue
                }
                _ = try SweepExpansion.expand(sweep)
                accepted += 1
            } catch let error as ConfigError {
                rejected += 1
                if error.file != "fuzz.json" || !error.path.hasPrefix("$") || error.description.isEmpty {
                    problems.append("unclear error: \(error)")
                }
            } catch {
                problems.append("not a ConfigError: \(type(of: error)) \(error) for \(String(decoding: bytes, as: UTF8.self))")
            }
        }
        print(
            "fuzz (sweep files): \(tried) inputs from \(Self.corpus.count) shipped sweeps, \(accepted) accepted, "
                + "\(rejected) rejected with a ConfigError, \(tooLargeToExpand) valid but large (not expanded), 0 crashes")
        #expect(problems.isEmpty, "\(problems)")
        #expect(tried >= 300 && rejected > 0 && accepted > 0)
    }

    @Test(
        "absurd sizes are refused before anything is built",
        arguments: [
            #"{ "name": "n", "seeds": { "count": 1000000000 } }"#,
            #"{ "name": "n", "seeds": { "count": 2000, "start": 0 }, "grid": [{ "path": "target.width", "values": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255,256,257,258,259,260,261,262,263,264,265,266,267,268,269,270,271,272,273,274,275,276,277,278,279,280,281,282,283,284,285,286,287,288,289,290,291,292,293,294,295,296,297,298,299,300,301,302,303,304,305,306,307,308,309,310,311,312,313,314,315,316,317,318,319,320,321,322,323,324,325,326,327,328,329,330,331,332,333,334,335,336,337,338,339,340,341,342,343,344,345,346,347,348,349,350,351,352,353,354,355,356,357,358,359,360,361,362,363,364,365,366,367,368,369,370,371,372,373,374,375,376,377,378,379,380,381,382,383,384,385,386,387,388,389,390,391,392,393,394,395,396,397,398,399,400,401,402,403,404,405,406,407,408,409,410,411,412,413,414,415,416,417,418,419,420,421,422,423,424,425,426,427,428,429,430,431,432,433,434,435,436,437,438,439,440,441,442,443,444,445,446,447,448,449,450,451,452,453,454,455,456,457,458,459,460,461,462,463,464,465,466,467,468,469,470,471,472,473,474,475,476,477,478,479,480,481,482,483,484,485,486,487,488,489,490,491,492,493,494,495,496,497,498,499,500,501] }] }"#,
        ])
    func absurdSizes(text: String) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: ConfigError.self) {
            try SweepExpansion.expand(SweepFile.parse(data: Data(text.utf8), file: "big.json"))
        }
        #expect(clock.now - start < .seconds(1), "refused quickly")
        #expect(error?.description.contains("at most") == true, "\(String(describing: error))")
    }
}
