import Protocol

// MARK: - Model

/// One value a grid puts at one trial-config path, with where both came from in the sweep file.
///
/// Owns provenance: expansion applies assignments in order, and when `TrialConfig(json:)`
/// rejects the result, the latest assignment covering the failing trial path says which
/// sweep-file location to blame.
struct Assignment: Hashable, Sendable {
    var path: ConfigPath
    var value: JSONValue
    /// Sweep-file location of `value`, e.g. `$.grid[1].values[2]`.
    var valueLocation: String
    /// Sweep-file location of the path text (`$.grid[1].path`), when the path was written out.
    var pathLocation: String?
    /// Object values merge into what is already there unless the axis says `"replace": true`.
    var merge: Bool = true
    /// Whether this assignment names a column of the cell label (grid axes do; base does not).
    var labelled: Bool = true
}

/// One entry of a `grid` list: a plain axis, axes that vary together, or conditional branches.
///
/// Owns the grid's structure after parsing; `choices` turns it into the ordered list of
/// alternatives that the cross product runs over.
indirect enum GridEntry: Sendable {
    /// `{ "path": "a.b", "values": [...] }`
    case axis(GridAxis)
    /// `{ "zip": [axis, axis, ...] }`: position k of every axis forms one alternative.
    case zip([GridAxis], location: String)
    /// `{ "variants": [branch, ...] }`: alternatives are the union over branches.
    case variants([GridBranch], location: String)
}

/// A parsed `{ "path", "values", "replace" }` axis.
struct GridAxis: Sendable {
    var path: ConfigPath
    var values: [JSONValue]
    var location: String
    var merge: Bool

    func assignment(_ index: Int) -> Assignment {
        Assignment(
            path: path, value: values[index],
            valueLocation: SweepLocation.element(SweepLocation.member(location, "values"), index),
            pathLocation: SweepLocation.member(location, "path"), merge: merge)
    }
}

/// A branch of a `variants` entry: fixed assignments plus its own sub-grid.
struct GridBranch: Sendable {
    var fixed: [Assignment]
    var grid: [GridEntry]
    var location: String
}

// MARK: - Alternatives

extension GridEntry {
    /// The alternatives of this entry, in file order; each is the assignments one trial takes.
    func choices() -> [[Assignment]] {
        switch self {
        case .axis(let axis):
            return axis.values.indices.map { [axis.assignment($0)] }
        case .zip(let axes, _):
            return axes[0].values.indices.map { index in axes.map { $0.assignment(index) } }
        case .variants(let branches, _):
            return branches.flatMap { branch in
                GridEntry.product(branch.grid).map { branch.fixed + $0 }
            }
        }
    }

    /// How many alternatives `product(entries)` would produce, computed without building them
    /// and saturating at `Int.max`, so an absurd grid is refused before it exhausts memory.
    static func productCount(_ entries: [GridEntry]) -> Int {
        entries.reduce(1) { total, entry in
            let (product, overflow) = total.multipliedReportingOverflow(by: entry.choiceCount)
            return overflow ? Int.max : product
        }
    }

    /// How many alternatives `choices()` has.
    var choiceCount: Int {
        switch self {
        case .axis(let axis): return axis.values.count
        case .zip(let axes, _): return axes.first?.values.count ?? 0
        case .variants(let branches, _):
            return branches.reduce(0) { total, branch in
                let (sum, overflow) = total.addingReportingOverflow(GridEntry.productCount(branch.grid))
                return overflow ? Int.max : sum
            }
        }
    }

    /// Cross product of entries, the first entry varying slowest (like nested loops in file order).
    static func product(_ entries: [GridEntry]) -> [[Assignment]] {
        entries.reduce([[]]) { partial, entry in
            let alternatives = entry.choices()
            return partial.flatMap { prefix in alternatives.map { prefix + $0 } }
        }
    }

    /// Every label path this entry can produce, in first-appearance order.
    var labelPaths: [ConfigPath] {
        switch self {
        case .axis(let axis): return [axis.path]
        case .zip(let axes, _): return axes.map(\.path)
        case .variants(let branches, _):
            return branches.flatMap { $0.fixed.map(\.path) + $0.grid.flatMap(\.labelPaths) }
        }
    }
}

// MARK: - Parsing

/// Parses `grid` lists; every error names the JSON path inside the sweep file.
enum GridParser {
    static let entryShapes = #"an axis {"path", "values"}, {"zip": [axes]} or {"variants": [branches]}"#

    static func entries(_ value: JSONValue, at location: String) throws -> [GridEntry] {
        guard case .array(let items) = value else {
            throw ConfigError(path: location, expected: "an array of grid entries", found: value.kindDescription)
        }
        return try items.enumerated().map { index, item in
            try entry(item, at: SweepLocation.element(location, index))
        }
    }

    static func entry(_ value: JSONValue, at location: String) throws -> GridEntry {
        guard case .object(let members) = value else {
            throw ConfigError(path: location, expected: entryShapes, found: value.kindDescription)
        }
        if members["zip"] != nil { return try zip(value, at: location) }
        if members["variants"] != nil { return try variants(value, at: location) }
        if members["path"] != nil || members["values"] != nil { return .axis(try axis(value, at: location)) }
        let keys = members.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        throw ConfigError(path: location, expected: entryShapes, found: "an object with keys \(keys)")
    }

    /// `distinct`: a plain axis may not repeat a value; inside a zip only whole tuples must differ.
    static func axis(_ value: JSONValue, at location: String, distinct: Bool = true) throws -> GridAxis {
        var reader = try ObjectReader(value, path: location)
        let path = try configPath(reader.string("path"), at: reader.childPath("path"))
        let valuesLocation = reader.childPath("values")
        guard case .array(let values)? = reader.value("values") else {
            throw ConfigError(
                path: valuesLocation, expected: "a non-empty array of values",
                found: (value["values"] ?? .null).kindDescription)
        }
        guard !values.isEmpty else {
            throw ConfigError(path: valuesLocation, expected: "a non-empty array of values", found: "an empty array")
        }
        if distinct { try requireDistinct(values.map(\.canonicalText), at: valuesLocation) }
        let replace = try reader.bool("replace", default: false)
        try reader.finish()
        return GridAxis(path: path, values: values, location: location, merge: !replace)
    }

    static func zip(_ value: JSONValue, at location: String) throws -> GridEntry {
        var reader = try ObjectReader(value, path: location)
        let zipLocation = reader.childPath("zip")
        guard case .array(let items)? = reader.value("zip"), !items.isEmpty else {
            throw ConfigError(
                path: zipLocation, expected: "a non-empty array of axes {\"path\", \"values\"}",
                found: (value["zip"] ?? .null).kindDescription)
        }
        try reader.finish()
        let axes = try items.enumerated().map { index, item in
            try axis(item, at: SweepLocation.element(zipLocation, index), distinct: false)
        }
        for (index, axis) in axes.enumerated().dropFirst() {
            if axis.values.count != axes[0].values.count {
                throw ConfigError(
                    path: SweepLocation.member(axis.location, "values"),
                    expected: "\(axes[0].values.count) values, as many as \(axes[0].location).values",
                    found: "\(axis.values.count)")
            }
            if let earlier = axes[..<index].first(where: { $0.path.overlaps(axis.path) }) {
                throw ConfigError(
                    path: SweepLocation.member(axis.location, "path"),
                    expected: "a path no other axis of this zip sets",
                    found: "\"\(axis.path)\" overlapping \"\(earlier.path)\"")
            }
        }
        // Single axes may repeat a value inside a zip (pairs (1e-3, 1) and (1e-3, 0.1)); whole tuples may not.
        let tuples = axes[0].values.indices.map { index in axes.map { $0.values[index].canonicalText }.joined(separator: "\u{1F}") }
        try requireDistinct(
            tuples, at: zipLocation, what: "distinct value tuples across the zipped axes",
            itemName: "position")
        return .zip(axes, location: location)
    }

    static func variants(_ value: JSONValue, at location: String) throws -> GridEntry {
        var reader = try ObjectReader(value, path: location)
        let variantsLocation = reader.childPath("variants")
        guard case .array(let items)? = reader.value("variants"), !items.isEmpty else {
            throw ConfigError(
                path: variantsLocation, expected: "a non-empty array of branches {\"set\", \"grid\"}",
                found: (value["variants"] ?? .null).kindDescription)
        }
        try reader.finish()
        let branches = try items.enumerated().map { index, item in
            try branch(item, at: SweepLocation.element(variantsLocation, index))
        }
        return .variants(branches, location: location)
    }

    static func branch(_ value: JSONValue, at location: String) throws -> GridBranch {
        var reader = try ObjectReader(value, path: location)
        var fixed: [Assignment] = []
        if let set = reader.value("set") {
            let setLocation = reader.childPath("set")
            guard case .object(let members) = set else {
                throw ConfigError(path: setLocation, expected: "an object of path → value", found: set.kindDescription)
            }
            // JSON objects are unordered; sorting makes label order independent of the parser.
            for key in members.keys.sorted() {
                let keyLocation = SweepLocation.member(setLocation, key)
                let path = try configPath(key, at: keyLocation)
                fixed.append(
                    Assignment(
                        path: path, value: members[key]!, valueLocation: keyLocation,
                        pathLocation: keyLocation))
            }
        }
        let grid = try reader.value("grid").map { try entries($0, at: reader.childPath("grid")) } ?? []
        try reader.finish()
        guard !fixed.isEmpty || !grid.isEmpty else {
            throw ConfigError(
                path: location, expected: "a branch with a non-empty \"set\" and/or \"grid\"",
                found: "an empty branch")
        }
        return GridBranch(fixed: fixed, grid: grid, location: location)
    }

    // MARK: Helpers

    static func configPath(_ text: String, at location: String) throws -> ConfigPath {
        guard let path = ConfigPath(text) else {
            throw ConfigError(
                path: location, expected: "a dotted path into the trial config like \"target.weightDecay\"",
                found: JSONValue.string(text).canonicalText)
        }
        guard path.components.first != "seed" else {
            throw ConfigError(
                path: location, expected: "a trial field other than seed (seeds come from $.seeds)",
                found: "\"\(text)\"")
        }
        return path
    }

    /// Rejects a repeated item, naming the second occurrence and the first.
    static func requireDistinct(
        _ items: [String], at location: String, what: String = "distinct values",
        itemName: String = "values"
    ) throws {
        var firstIndex: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            if let earlier = firstIndex[item] {
                let found =
                    itemName == "values"
                    ? "\(item) again (same as \(location)[\(earlier)])"
                    : "\(itemName) \(index) repeating \(itemName) \(earlier)"
                throw ConfigError(
                    path: itemName == "values" ? SweepLocation.element(location, index) : location,
                    expected: what, found: found)
            }
            firstIndex[item] = index
        }
    }
}
