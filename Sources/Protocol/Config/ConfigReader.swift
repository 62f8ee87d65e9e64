/// A configuration value that is not what it should be, located by file and JSON path.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the value came from, when known.
    public var file: String?
    /// JSON path of the offending value, e.g. `$.target.weightDecay`.
    public var path: String
    /// What was expected there, e.g. "a number ≥ 0".
    public var expected: String
    /// What was found instead, if anything.
    public var found: String?

    public init(file: String? = nil, path: String, expected: String, found: String? = nil) {
        self.file = file
        self.path = path
        self.expected = expected
        self.found = found
    }

    public var description: String {
        let location = file.map { "\($0): " } ?? ""
        let actual = found.map { ", found \($0)" } ?? ""
        return "\(location)\(path): expected \(expected)\(actual)"
    }

    /// The same error attributed to `file`, keeping an existing attribution.
    public func inFile(_ file: String) -> ConfigError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }
}

/// Reads the members of one JSON object by key, with defaults, type and range checks, and a
/// final `finish()` that rejects keys nobody asked for. Every error carries the member's path.
public struct ObjectReader {
    public let path: String
    private let members: [String: JSONValue]
    private var consumed: Set<String> = []

    public init(_ value: JSONValue, path: String = "$") throws {
        guard case .object(let members) = value else {
            throw ConfigError(path: path, expected: "an object", found: value.kindDescription)
        }
        self.path = path
        self.members = members
    }

    public func childPath(_ key: String) -> String { "\(path).\(key)" }

    /// The raw member, marking it consumed.
    public mutating func value(_ key: String) -> JSONValue? {
        consumed.insert(key)
        if case .null? = members[key] { return nil }
        return members[key]
    }

    /// True when the key is present with the value `null` (which some keys use for "off").
    public mutating func isNull(_ key: String) -> Bool {
        guard case .null? = members[key] else { return false }
        consumed.insert(key)
        return true
    }

    public mutating func has(_ key: String) -> Bool {
        if case .null? = members[key] { return false }
        return members[key] != nil
    }

    public mutating func number(
        _ key: String, default fallback: Double? = nil,
        in range: ClosedRange<Double>? = nil, rangeText: String? = nil
    ) throws -> Double {
        guard let raw = value(key) else {
            if let fallback { return fallback }
            throw ConfigError(path: childPath(key), expected: "a number", found: "nothing")
        }
        guard case .number(let number) = raw else {
            throw ConfigError(path: childPath(key), expected: "a number", found: raw.kindDescription)
        }
        if let range, !range.contains(number) {
            throw ConfigError(
                path: childPath(key),
                expected: rangeText ?? "a number in \(range.lowerBound)...\(range.upperBound)",
                found: JSONValue.format(number))
        }
        return number
    }

    public mutating func integer(
        _ key: String, default fallback: Int? = nil,
        in range: ClosedRange<Int>? = nil, rangeText: String? = nil
    ) throws -> Int {
        let number = try self.number(key, default: fallback.map(Double.init))
        guard number == number.rounded(), abs(number) < 9.0e15 else {
            throw ConfigError(path: childPath(key), expected: "an integer", found: JSONValue.format(number))
        }
        let integer = Int(number)
        if let range, !range.contains(integer) {
            throw ConfigError(
                path: childPath(key),
                expected: rangeText ?? "an integer in \(range.lowerBound)...\(range.upperBound)",
                found: String(integer))
        }
        return integer
    }

    public mutating func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
        guard let raw = value(key) else {
            if let fallback { return fallback }
            throw ConfigError(path: childPath(key), expected: "true or false", found: "nothing")
        }
        guard case .bool(let flag) = raw else {
            throw ConfigError(path: childPath(key), expected: "true or false", found: raw.kindDescription)
        }
        return flag
    }

    public mutating func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let raw = value(key) else {
            if let fallback { return fallback }
            throw ConfigError(path: childPath(key), expected: "a string", found: "nothing")
        }
        guard case .string(let text) = raw else {
            throw ConfigError(path: childPath(key), expected: "a string", found: raw.kindDescription)
        }
        return text
    }

    /// A string naming one case of `Choice`, e.g. `"relu"` for an activation.
    public mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, default fallback: Choice? = nil
    ) throws -> Choice where Choice.RawValue == String {
        let name = try oneOf(key, Choice.allCases.map(\.rawValue), default: fallback?.rawValue)
        guard let chosen = Choice(rawValue: name) else { preconditionFailure("\(name) names no case of \(Choice.self)") }
        return chosen
    }

    /// One of the strings `names`, e.g. `"adamw"` for an optimiser.
    public mutating func oneOf(_ key: String, _ names: [String], default fallback: String? = nil) throws -> String {
        let options = names.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let raw = value(key) else {
            if let fallback { return fallback }
            throw ConfigError(path: childPath(key), expected: "one of \(options)", found: "nothing")
        }
        guard case .string(let text) = raw, names.contains(text) else {
            let found = if case .string = raw { raw.briefDescription } else { raw.kindDescription }
            throw ConfigError(path: childPath(key), expected: "one of \(options)", found: found)
        }
        return text
    }

    /// A number where null stands for a non-finite value (a diverged loss); absent is NaN too
    /// unless `required`.
    public mutating func numberOrNaN(_ key: String, required: Bool) throws -> Double {
        guard members[key] != nil else {
            if !required { return .nan }
            throw ConfigError(path: childPath(key), expected: "a number or null", found: "nothing")
        }
        if has(key) { return try number(key) }
        _ = value(key)  // the explicit null, consumed
        return .nan
    }

    /// A nested object's reader, or nil when the member is absent or null.
    public mutating func object(_ key: String) throws -> ObjectReader? {
        guard let raw = value(key) else { return nil }
        return try ObjectReader(raw, path: childPath(key))
    }

    /// Rejects members that were never read: unknown keys are almost always typos.
    public func finish() throws {
        let unknown = members.keys.filter { !consumed.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let known = consumed.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        throw ConfigError(
            path: childPath(first), expected: "no such key (known keys: \(known))",
            found: "unknown key \"\(first)\"")
    }
}
