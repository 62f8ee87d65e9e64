import Protocol
import TrialSchema

// MARK: - Output

/// One column of a cell label: an axis path and the value this cell gives it.
struct LabelPart: Hashable, Sendable {
    var path: String
    var value: JSONValue
    /// Strings bare, numbers canonical (`3e3` reads `3000`), objects as compact JSON.
    var text: String { value.labelText }
}

/// One trial of an expanded sweep: a validated config (seed included) and the cell it belongs to.
///
/// Owns the identity of a trial inside the coordinator: `id` is `TrialConfig.id`, `cellKey`
/// groups seeds of one cell, and `cellLabel` is how the cell is shown (grid axes only, in file order).
struct ExpandedTrial: Hashable, Sendable {
    let config: TrialConfig
    let cellLabel: [LabelPart]
    let id: String
    let cellKey: String

    init(config: TrialConfig, cellLabel: [LabelPart]) {
        self.config = config
        self.cellLabel = cellLabel
        id = config.id
        cellKey = config.cellKey
    }

    /// A trial as a journal recorded it: the stored id wins over one recomputed by this build.
    init(config: TrialConfig, cellLabel: [LabelPart], id: String, cellKey: String) {
        self.config = config
        self.cellLabel = cellLabel
        self.id = id
        self.cellKey = cellKey
    }

    var seed: Int { config.seed }

    /// `target.weightDecay=1 method=scratch`, for logs and messages.
    var cellDescription: String {
        cellLabel.isEmpty ? "(single cell)" : cellLabel.map { "\($0.path)=\($0.text)" }.joined(separator: " ")
    }
}

/// A sweep file expanded into its ordered trial list, with what the report needs to know.
///
/// Owns the promise of determinism: the same file always gives the same trials in the same
/// order — cells in grid order (first entry varies slowest), seeds innermost — and the same
/// `fingerprint`, which the journal uses to recognise its sweep.
struct SweepPlan: Sendable {
    var name: String
    var description: String
    var file: String
    /// Label columns: every grid path, in first-appearance order.
    var axisPaths: [String]
    var seeds: [Int]
    var trials: [ExpandedTrial]
    var cellCount: Int
    /// The `baseline` assignments as written, and the cells they select.
    var baselineLabel: [LabelPart]
    var baselineCellKeys: [String]
    /// Two axis paths for the report heatmap, when the file chose them.
    var heatmapAxes: [String]?

    var trialIds: [String] { trials.map(\.id) }
    var fingerprint: String { Self.fingerprint(of: trialIds) }

    /// Hash of the sorted trial ids: independent of file layout, changed by any trial added or removed.
    static func fingerprint(of ids: some Sequence<String>) -> String {
        StableHash.hex(of: ids.sorted().joined(separator: "\n"))
    }

    /// Reads, parses and expands a sweep file; every error is a `ConfigError` naming `path`.
    static func load(path: String) throws -> SweepPlan {
        try SweepExpansion.expand(SweepFile.load(path: path))
    }
}

// MARK: - Expansion

/// The pure function from a parsed sweep file to its trials.
enum SweepExpansion {
    /// Largest sweep accepted: far beyond any real grid, and small enough to expand in memory.
    static let maximumTrials = 1_000_000

    static func expand(_ sweep: SweepFile) throws -> SweepPlan {
        do { return try expandUnattributed(sweep) } catch let error as ConfigError { throw error.inFile(sweep.file) }
    }

    private static func expandUnattributed(_ sweep: SweepFile) throws -> SweepPlan {
        let base = try apply(sweep.baseAssignments, to: .object([:]))
        let cells = GridEntry.productCount(sweep.grid)
        let (trialCount, overflow) = cells.multipliedReportingOverflow(by: sweep.seeds.count)
        guard !overflow, trialCount <= maximumTrials else {
            throw ConfigError(
                path: "$.grid", expected: "at most \(maximumTrials) trials (cells × seeds)",
                found: overflow ? "more than \(Int.max)" : "\(cells) cells × \(sweep.seeds.count) seeds")
        }
        let combinations = GridEntry.product(sweep.grid)
        var trials: [ExpandedTrial] = []
        trials.reserveCapacity(combinations.count * sweep.seeds.count)
        var cellOwners: [String: [LabelPart]] = [:]
        for combination in combinations {
            try requireDisjointPaths(combination)
            let cellJSON = try apply(combination, to: base)
            let label = combination.filter(\.labelled).map { LabelPart(path: $0.path.description, value: $0.value) }
            for (seed, seedLocation) in zip(sweep.seeds, sweep.seedLocations) {
                let seedAssignment = Assignment(
                    path: ConfigPath(components: ["seed"]), value: .number(Double(seed)),
                    valueLocation: seedLocation, labelled: false)
                let json = try apply([seedAssignment], to: cellJSON)
                let config: TrialConfig
                do { config = try TrialConfig(json: json) } catch let error as ConfigError {
                    throw locate(error, in: sweep.baseAssignments + combination + [seedAssignment])
                }
                trials.append(ExpandedTrial(config: config, cellLabel: label))
            }
            let cellKey = trials[trials.count - 1].cellKey
            if let owner = cellOwners[cellKey] {
                throw ConfigError(
                    path: "$.grid", expected: "every cell to be a different trial config",
                    found: "the same config for cells (\(describe(owner))) and (\(describe(label)))")
            }
            cellOwners[cellKey] = label
        }
        var seenPaths = Set<String>()
        let axisPaths = sweep.grid.flatMap(\.labelPaths).map(\.description).filter { seenPaths.insert($0).inserted }
        let baselineLabel = sweep.baseline.map { LabelPart(path: $0.path.description, value: $0.value) }
        return SweepPlan(
            name: sweep.name, description: sweep.description, file: sweep.file, axisPaths: axisPaths,
            seeds: sweep.seeds, trials: trials, cellCount: combinations.count, baselineLabel: baselineLabel,
            baselineCellKeys: try baselineCells(sweep.baseline, trials: trials),
            heatmapAxes: sweep.heatmap?.map(\.description))
    }

    // MARK: Applying assignments

    static func apply(_ assignments: [Assignment], to start: JSONValue) throws -> JSONValue {
        var json = start
        for assignment in assignments {
            var blocked: Int?
            guard
                let updated = json.setting(
                    assignment.value, at: assignment.path.components[...],
                    merge: assignment.merge, blocked: &blocked)
            else {
                let prefix = assignment.path.components.prefix((blocked ?? 0) + 1)
                let kind = json.value(at: prefix)?.kindDescription ?? "not an object"
                throw ConfigError(
                    path: assignment.pathLocation ?? assignment.valueLocation,
                    expected: "a path through objects of the trial config",
                    found: "\"\(prefix.joined(separator: "."))\" is \(kind)")
            }
            json = updated
        }
        return json
    }

    /// Two axes setting the same field (or one inside the other) in one trial would make the
    /// result depend on their order; that is a mistake in the file, not a feature.
    private static func requireDisjointPaths(_ combination: [Assignment]) throws {
        for (index, assignment) in combination.enumerated() {
            if let earlier = combination[..<index].first(where: { $0.path.overlaps(assignment.path) }) {
                throw ConfigError(
                    path: assignment.pathLocation ?? assignment.valueLocation,
                    expected: "a path no other axis of the same trial sets",
                    found: "\"\(assignment.path)\", overlapping \"\(earlier.path)\" at "
                        + (earlier.pathLocation ?? earlier.valueLocation))
            }
        }
    }

    // MARK: Mapping trial errors back to the sweep file

    /// Re-targets a `TrialConfig` error (`$.target.weightDecay`) at the sweep-file location that
    /// put the offending value there: the latest assignment covering that trial path.
    static func locate(_ error: ConfigError, in assignments: [Assignment]) -> ConfigError {
        guard let components = SweepLocation.trialComponents(error.path) else { return error }
        let isUnknownKey = error.found?.hasPrefix("unknown key") == true
        let expected = error.expected.replacingOccurrences(of: "no such key (known keys:", with: "a known trial field (one of")
        for assignment in assignments.reversed() where assignment.path.components.count <= components.count {
            guard Array(components.prefix(assignment.path.components.count)) == assignment.path.components else { continue }
            let remainder = components.dropFirst(assignment.path.components.count)
            guard let culprit = assignment.value.value(at: remainder) else { continue }
            if remainder.isEmpty, isUnknownKey, let pathLocation = assignment.pathLocation {
                // The axis path itself names no field: point at the path, not at its values.
                return ConfigError(
                    file: error.file, path: pathLocation, expected: expected,
                    found: "\(error.found!) in \"\(assignment.path)\"")
            }
            let location = remainder.reduce(assignment.valueLocation) { SweepLocation.member($0, $1) }
            var found = error.found
            if found == culprit.kindDescription, culprit.canonicalText.count <= 40 { found = culprit.canonicalText }
            return ConfigError(file: error.file, path: location, expected: expected, found: found)
        }
        // An axis path that runs *through* a trial field (`budget.steps`) turned that field into
        // an object: blame the path.
        let trialPath = ConfigPath(components: components)
        if let through = assignments.last(where: { trialPath.isPrefix(of: $0.path) && $0.path != trialPath }) {
            return ConfigError(
                file: error.file, path: through.pathLocation ?? through.valueLocation,
                expected: "a path through objects of the trial config (\"\(trialPath)\" is \(error.expected))",
                found: "\"\(through.path)\"")
        }
        return ConfigError(
            file: error.file, path: SweepLocation.root,
            expected: "a valid trial (trial field \(error.path): expected \(error.expected))",
            found: error.found)
    }

    // MARK: Baseline

    private static func baselineCells(_ baseline: [Assignment], trials: [ExpandedTrial]) throws -> [String] {
        guard !baseline.isEmpty else { return [] }
        for wanted in baseline {
            let offered = trials.flatMap(\.cellLabel).filter { $0.path == wanted.path.description }.map(\.value)
            guard offered.contains(where: { $0.canonicalText == wanted.value.canonicalText }) else {
                var seen = Set<String>()
                let values = offered.map(\.canonicalText).filter { seen.insert($0).inserted }
                throw ConfigError(
                    path: wanted.valueLocation,
                    expected: "one of the axis values (\(values.joined(separator: ", ")))",
                    found: wanted.value.canonicalText)
            }
        }
        var keys: [String] = []
        for trial in trials where !keys.contains(trial.cellKey) {
            let matches = baseline.allSatisfy { wanted in
                trial.cellLabel.contains { $0.path == wanted.path.description && $0.value.canonicalText == wanted.value.canonicalText }
            }
            if matches { keys.append(trial.cellKey) }
        }
        guard !keys.isEmpty else {
            throw ConfigError(path: "$.baseline", expected: "values that some cell has together", found: "no such cell")
        }
        return keys
    }

    private static func describe(_ label: [LabelPart]) -> String {
        label.isEmpty ? "no axes" : label.map { "\($0.path)=\($0.text)" }.joined(separator: " ")
    }
}
