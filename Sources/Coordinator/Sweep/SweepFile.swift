import Foundation
import Protocol

/// A parsed sweep file (`sweeps/*.json`), before expansion into trials.
///
/// Owns the file format and its structural validation. Format (all keys but `name` optional):
///
/// ```json
/// {
///   "name": "weakdim",                        // letters, digits, "-", "_", "."
///   "description": "free text",
///   "base": { "task": { "modulus": 97 } },    // partial TrialConfig; defaults fill the rest
///   "task": { ... },                          // shorthand: merged into base.task
///   "budget": 20000, "evalEvery": 10,         // shorthands for the trial fields
///   "thresholds": { "train": 0.99, "test": 0.99, "sustain": 3 },
///   "grid": [
///     { "path": "target.weightDecay", "values": [0.1, 1.0] },
///     { "path": "target", "values": [{ "width": 256 }, { "width": 512 }] },   // objects merge…
///     { "path": "task", "values": [{ "operation": "add" }], "replace": true }, // …or replace
///     { "zip": [ { "path": "target.learningRate", "values": [1e-3, 3e-3] },
///                { "path": "target.warmupSteps",  "values": [0, 100] } ] },
///     { "variants": [
///         { "set": { "method": "scratch" } },
///         { "set": { "method": "groktransfer" },
///           "grid": [ { "path": "weak.embeddingDim", "values": [2, 4, 8] } ] } ] }
///   ],
///   "seeds": [0, 1, 2],                       // or { "count": 5, "start": 0 }; default [0]
///   "baseline": { "method": "scratch" },      // axis path → value picking the baseline cell(s)
///   "report": { "heatmap": ["weak.embeddingDim", "target.weightDecay"] }
/// }
/// ```
///
/// Grid entries multiply (first entry varies slowest); a `zip` varies its axes together; a
/// `variants` entry is a union of branches, each its fixed `set` crossed with its own `grid`, so
/// each method carries only its own parameters. Whether a path names a real trial field is left
/// to `TrialConfig(json:)` at expansion, so the format needs no change when trial options grow.
struct SweepFile: Sendable {
    /// The file name errors are attributed to, as the user wrote it.
    var file: String
    var name: String
    var description: String
    /// `base` plus the top-level shorthands, applied before any grid assignment.
    var baseAssignments: [Assignment]
    var grid: [GridEntry]
    var seeds: [Int]
    /// Where each seed came from, parallel to `seeds`.
    var seedLocations: [String]
    var baseline: [Assignment]
    var heatmap: [ConfigPath]?

    /// Keys that set a trial field directly; each is merged over `base` at that path.
    static let shorthandKeys = ["task", "budget", "evalEvery", "thresholds"]
}

// MARK: - Loading

extension SweepFile {
    /// Reads and parses a sweep file; every error is a `ConfigError` naming `path`.
    static func load(path: String) throws -> SweepFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            let reason = (error as NSError).localizedFailureReason ?? "cannot be read"
            throw ConfigError(
                file: path, path: SweepLocation.root, expected: "a readable sweep file",
                found: FileManager.default.fileExists(atPath: path) ? reason : "no such file")
        }
        return try parse(data: data, file: path)
    }

    static func parse(data: Data, file: String) throws -> SweepFile {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch let error as JSONParseError {
            throw ConfigError(
                file: file, path: SweepLocation.root, expected: "valid JSON",
                found: "\(error.reason) at \(lineAndColumn(of: error.offset, in: data))")
        }
        do { return try SweepFile(json: json, file: file) } catch let error as ConfigError { throw error.inFile(file) }
    }

    static func lineAndColumn(of offset: Int, in data: Data) -> String {
        let prefix = data.prefix(offset)
        let line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let column = offset - (prefix.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        return "line \(line), column \(column)"
    }
}

// MARK: - Decoding

extension SweepFile {
    init(json: JSONValue, file: String) throws {
        var reader = try ObjectReader(json)
        self.file = file
        name = try reader.string("name")
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ ConfigPath.isIdentifier(String($0)) || "-.".unicodeScalars.contains($0) })
        else {
            throw ConfigError(
                path: reader.childPath("name"), expected: "a name of letters, digits, \"-\", \"_\" and \".\"",
                found: JSONValue.string(name).canonicalText)
        }
        description = try reader.string("description", default: "")
        baseAssignments = try Self.baseAssignments(&reader)
        grid = try reader.value("grid").map { try GridParser.entries($0, at: reader.childPath("grid")) } ?? []
        (seeds, seedLocations) = try Self.seeds(reader.value("seeds"), at: reader.childPath("seeds"))
        let labelPaths = grid.flatMap(\.labelPaths)
        baseline = try Self.baseline(reader.value("baseline"), at: reader.childPath("baseline"), axes: labelPaths)
        heatmap = try Self.heatmap(reader.object("report"), axes: labelPaths)
        try reader.finish()
    }

    private static func baseAssignments(_ reader: inout ObjectReader) throws -> [Assignment] {
        var assignments: [Assignment] = []
        let base = reader.value("base")
        if let base {
            guard case .object(let members) = base else {
                throw ConfigError(
                    path: reader.childPath("base"), expected: "an object (a partial trial config)",
                    found: base.kindDescription)
            }
            if members["seed"] != nil {
                throw ConfigError(
                    path: SweepLocation.member(reader.childPath("base"), "seed"),
                    expected: "no seed in base (seeds come from $.seeds)", found: "a seed")
            }
            assignments.append(
                Assignment(
                    path: ConfigPath(components: []), value: base,
                    valueLocation: reader.childPath("base"), labelled: false))
        }
        for key in shorthandKeys {
            guard let value = reader.value(key) else { continue }
            // Setting a field twice would make one of them silently lose.
            if base?[key] != nil {
                throw ConfigError(
                    path: reader.childPath(key), expected: "\(key) set once, in base or at the top level",
                    found: "\(key) in both places")
            }
            assignments.append(
                Assignment(
                    path: ConfigPath(components: [key]), value: value,
                    valueLocation: reader.childPath(key), labelled: false))
        }
        return assignments
    }

    private static func seeds(_ value: JSONValue?, at location: String) throws -> ([Int], [String]) {
        let seedText = "an integer ≥ 0"
        func integer(_ value: JSONValue, at location: String, minimum: Int = 0) throws -> Int {
            guard case .number(let number) = value, number == number.rounded(), number >= Double(minimum),
                number < 9.0e15
            else {
                let found = if case .number = value { value.canonicalText } else { value.kindDescription }
                throw ConfigError(
                    path: location, expected: minimum == 0 ? seedText : "an integer ≥ \(minimum)",
                    found: found)
            }
            return Int(number)
        }
        switch value {
        case nil:
            return ([0], [location])
        case .array(let items)?:
            guard !items.isEmpty else {
                throw ConfigError(path: location, expected: "a non-empty array of seeds", found: "an empty array")
            }
            let locations = items.indices.map { SweepLocation.element(location, $0) }
            let seeds = try zip(items, locations).map { try integer($0, at: $1) }
            try GridParser.requireDistinct(seeds.map(String.init), at: location, what: "distinct seeds")
            return (seeds, locations)
        case .object?:
            var reader = try ObjectReader(value!, path: location)
            let count = try reader.value("count").map { try integer($0, at: reader.childPath("count"), minimum: 1) }
            guard let count else {
                throw ConfigError(path: reader.childPath("count"), expected: "an integer ≥ 1", found: "nothing")
            }
            // Checked here, before the seed list is built: a huge count would exhaust memory.
            guard count <= SweepExpansion.maximumTrials else {
                throw ConfigError(
                    path: reader.childPath("count"), expected: "at most \(SweepExpansion.maximumTrials) seeds",
                    found: "\(count)")
            }
            let start = try reader.value("start").map { try integer($0, at: reader.childPath("start")) } ?? 0
            try reader.finish()
            return (Array(start..<start + count), Array(repeating: reader.childPath("start"), count: count))
        case let other?:
            throw ConfigError(
                path: location, expected: #"an array of seeds or {"count": n, "start": s}"#,
                found: other.kindDescription)
        }
    }

    private static func baseline(_ value: JSONValue?, at location: String, axes: [ConfigPath]) throws -> [Assignment] {
        guard let value else { return [] }
        guard case .object(let members) = value, !members.isEmpty else {
            throw ConfigError(
                path: location, expected: "a non-empty object of axis path → value",
                found: value.kindDescription)
        }
        return try members.keys.sorted().map { key in
            let keyLocation = SweepLocation.member(location, key)
            guard let path = ConfigPath(key), axes.contains(path) else {
                throw ConfigError(
                    path: keyLocation, expected: "an axis path of the grid (\(axisList(axes)))",
                    found: "\"\(key)\"")
            }
            return Assignment(path: path, value: members[key]!, valueLocation: keyLocation, pathLocation: keyLocation)
        }
    }

    private static func heatmap(_ report: ObjectReader?, axes: [ConfigPath]) throws -> [ConfigPath]? {
        guard var report else { return nil }
        let location = report.childPath("heatmap")
        var result: [ConfigPath]?
        if let value = report.value("heatmap") {
            guard case .array(let items) = value, items.count == 2 else {
                throw ConfigError(
                    path: location, expected: "two axis paths [x, y]",
                    found: value.kindDescription)
            }
            result = try items.enumerated().map { index, item in
                guard case .string(let text) = item, let path = ConfigPath(text), axes.contains(path) else {
                    throw ConfigError(
                        path: SweepLocation.element(location, index),
                        expected: "an axis path of the grid (\(axisList(axes)))",
                        found: item.labelText)
                }
                return path
            }
            if result![0] == result![1] {
                throw ConfigError(
                    path: SweepLocation.element(location, 1), expected: "a second, different axis",
                    found: "\"\(result![1])\" again")
            }
        }
        try report.finish()
        return result
    }

    private static func axisList(_ axes: [ConfigPath]) -> String {
        var seen = Set<ConfigPath>()
        let unique = axes.filter { seen.insert($0).inserted }
        return unique.isEmpty ? "the grid has no axes" : "one of " + unique.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
