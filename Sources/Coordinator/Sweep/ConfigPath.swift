import Protocol

// MARK: - Dotted paths into a trial config

/// A dotted path into a trial config's JSON (`target.weightDecay`): what a sweep axis sets.
///
/// Owns the syntax of axis paths and how one JSON tree relates to another under them
/// (prefix tests, reading and writing a sub-value). Paths are purely syntactic here: whether a
/// path names a real trial field is decided by `TrialConfig(json:)` after expansion, so the
/// sweep format stays generic as trial options are added.
struct ConfigPath: Hashable, Sendable, CustomStringConvertible {
    let components: [String]

    init(components: [String]) { self.components = components }

    /// Parses `a.b.c`; nil when a component is empty or holds characters other than letters,
    /// digits and `_` (so a path can never be confused with JSON-path syntax in messages).
    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy(Self.isIdentifier) else { return nil }
        components = parts
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                scalar == "_" || (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
            }
    }

    var description: String { components.joined(separator: ".") }

    func isPrefix(of other: ConfigPath) -> Bool {
        components.count <= other.components.count && Array(other.components.prefix(components.count)) == components
    }

    /// True when one path contains the other: setting both in one trial would be order-dependent.
    func overlaps(_ other: ConfigPath) -> Bool { isPrefix(of: other) || other.isPrefix(of: self) }
}

// MARK: - JSON paths into the sweep file

/// Builds the `$.grid[1].values[2]` locations that errors report.
enum SweepLocation {
    static let root = "$"

    static func member(_ base: String, _ key: String) -> String {
        ConfigPath.isIdentifier(key) ? "\(base).\(key)" : "\(base)[\(JSONValue.string(key).canonicalText)]"
    }

    static func element(_ base: String, _ index: Int) -> String { "\(base)[\(index)]" }

    /// Splits a `TrialConfig` error path (`$.target.weightDecay`) into member names.
    /// Array subscripts stay attached to their member; the trial config has none today.
    static func trialComponents(_ path: String) -> [String]? {
        guard path.hasPrefix("$") else { return nil }
        let rest = path.dropFirst()
        if rest.isEmpty { return [] }
        guard rest.hasPrefix(".") else { return nil }
        return rest.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}

// MARK: - Reading and writing sub-values

extension JSONValue {
    /// The value at `components` below this one, if every step is an object member.
    func value(at components: some Collection<String>) -> JSONValue? {
        guard let first = components.first else { return self }
        guard case .object(let members) = self, let child = members[first] else { return nil }
        return child.value(at: components.dropFirst())
    }

    /// Objects merge member by member (recursively); anything else replaces.
    func merged(with overlay: JSONValue) -> JSONValue {
        guard case .object(var members) = self, case .object(let additions) = overlay else { return overlay }
        for (key, value) in additions {
            members[key] = members[key].map { $0.merged(with: value) } ?? value
        }
        return .object(members)
    }

    /// Sets `value` at `components`, creating missing intermediate objects. Returns nil when an
    /// intermediate step exists but is not an object, with the index of that step in `blocked`.
    func setting(
        _ value: JSONValue, at components: ArraySlice<String>, merge: Bool,
        blocked: inout Int?
    ) -> JSONValue? {
        guard let first = components.first else { return merge ? self.merged(with: value) : value }
        var members: [String: JSONValue]
        switch self {
        case .object(let existing): members = existing
        case .null: members = [:]
        default:
            blocked = components.startIndex - 1
            return nil
        }
        let child = members[first] ?? .null
        guard let updated = child.setting(value, at: components.dropFirst(), merge: merge, blocked: &blocked) else {
            return nil
        }
        members[first] = updated
        return .object(members)
    }

    /// How a value appears in a cell label: strings bare, numbers canonical, objects compact.
    var labelText: String {
        if case .string(let text) = self { return text }
        return canonicalText
    }
}
