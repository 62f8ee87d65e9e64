/// A value read from and written to one JSON object through a table of its members. Each field
/// is declared once, in `fields`; decoding (defaults, type and range checks, the JSON path in
/// every error, unknown keys rejected) and the normalised encoding both derive from it.
public protocol ConfigObject {
    /// The value before any member is read: every field at its default.
    static var defaults: Self { get }
    /// The object's members, in reading order.
    static var fields: [ConfigField<Self>] { get }
    /// Rules across fields, checked once they are read; `path` is the object's.
    static func validate(_ value: Self, at path: String) throws
}

extension ConfigObject {
    public static func validate(_ value: Self, at path: String) throws {}

    /// Decodes the object found at `path`.
    public init(json: JSONValue, path: String = "$") throws {
        var reader = try ObjectReader(json, path: path)
        var value = Self.defaults
        try Self.read(into: &value, from: &reader)
        try reader.finish()
        self = value
    }

    /// The normalised form: every member written, defaults included.
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        write(into: &members)
        return .object(members)
    }

    /// Reads this type's members from `reader` (which may hold more: a stage inlines its model).
    static func read(into value: inout Self, from reader: inout ObjectReader) throws {
        for field in fields { try field.read(&value, &reader) }
        try validate(value, at: reader.path)
    }

    func write(into members: inout [String: JSONValue]) {
        for field in Self.fields { field.write(self, &members) }
    }
}

/// An enum whose cases carry their own settings, written as one member naming the case (`tag`)
/// beside the case's own members.
public protocol ConfigUnion {
    /// The member naming the case, e.g. `kind`.
    static var tag: String { get }
    static var cases: [ConfigCase<Self>] { get }
}

extension ConfigUnion {
    /// Reads the tag and the chosen case's members. An absent tag means the case of `current`;
    /// a case keeps `current`'s settings as its defaults when it is the same case.
    static func read(current: Self?, from reader: inout ObjectReader, extraNames: [String] = []) throws -> (name: String, value: Self?) {
        let currentName = current.flatMap { value in cases.first { $0.matches(value) }?.name }
        let name = try reader.oneOf(tag, extraNames + cases.map(\.name), default: currentName)
        guard let chosen = cases.first(where: { $0.name == name }) else { return (name, nil) }
        return (name, try chosen.read(current, &reader))
    }

    /// The value as an object of its own: the tag and the case's members.
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        write(into: &members)
        return .object(members)
    }

    func write(into members: inout [String: JSONValue]) {
        for option in Self.cases where option.matches(self) {
            members[Self.tag] = .string(option.name)
            option.write(self, &members)
        }
    }
}

/// One case of a `ConfigUnion`: its name and how its own members are read and written.
public struct ConfigCase<Union> {
    public let name: String
    let matches: (Union) -> Bool
    /// Reads the case's members, starting from the given value when it is this case.
    let read: (Union?, inout ObjectReader) throws -> Union
    let write: (Union, inout [String: JSONValue]) -> Void

    public init(
        _ name: String, matches: @escaping (Union) -> Bool,
        read: @escaping (Union?, inout ObjectReader) throws -> Union,
        write: @escaping (Union, inout [String: JSONValue]) -> Void
    ) {
        self.name = name
        self.matches = matches
        self.read = read
        self.write = write
    }

    /// A case whose settings are a `ConfigObject`; `fixed` members are written for files of
    /// earlier versions and accepted only at their fixed value.
    public static func payload<Payload: ConfigObject>(
        _ name: String, _ embed: @escaping (Payload) -> Union, _ extract: @escaping (Union) -> Payload?,
        fixed: [FixedMember] = []
    ) -> ConfigCase {
        ConfigCase(
            name, matches: { extract($0) != nil },
            read: { current, reader in
                var payload = current.flatMap(extract) ?? Payload.defaults
                try Payload.read(into: &payload, from: &reader)
                for member in fixed { try member.read(from: &reader) }
                return embed(payload)
            },
            write: { value, members in
                extract(value)?.write(into: &members)
                for member in fixed { member.write(into: &members) }
            })
    }

    /// A case without settings.
    public static func unit(_ name: String, _ value: Union, fixed: [FixedMember] = []) -> ConfigCase where Union: Equatable {
        ConfigCase(
            name, matches: { $0 == value },
            read: { _, reader in
                for member in fixed { try member.read(from: &reader) }
                return value
            },
            write: { _, members in
                for member in fixed { member.write(into: &members) }
            })
    }
}

/// A member whose value is fixed: written as `value` (nothing when nil) so the normalised form
/// keeps the layout earlier versions wrote, and refused on reading unless absent, null or equal.
public struct FixedMember {
    public let key: String
    public let value: JSONValue?
    public let expected: String
    public let found: String?

    public init(_ key: String, _ value: JSONValue?, expected: String, found: String? = nil) {
        self.key = key
        self.value = value
        self.expected = expected
        self.found = found
    }

    func read(from reader: inout ObjectReader) throws {
        guard let given = reader.value(key), given != value else { return }
        throw ConfigError(path: reader.childPath(key), expected: expected, found: found ?? given.briefDescription)
    }

    func write(into members: inout [String: JSONValue]) {
        if let value { members[key] = value }
    }
}

/// One member of a `ConfigObject`: how it is read into the value and written from it.
public struct ConfigField<Root> {
    let read: (inout Root, inout ObjectReader) throws -> Void
    let write: (Root, inout [String: JSONValue]) -> Void

    public init(
        read: @escaping (inout Root, inout ObjectReader) throws -> Void,
        write: @escaping (Root, inout [String: JSONValue]) -> Void
    ) {
        self.read = read
        self.write = write
    }
}

// MARK: - Scalars

extension ConfigField {
    /// A whole number in `range`; absent keeps the default unless `required`.
    public static func integer(
        _ key: String, _ path: WritableKeyPath<Root, Int>, in range: ClosedRange<Int>? = nil,
        _ rangeText: String? = nil, required: Bool = false
    ) -> ConfigField {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = try reader.integer(
                    key, default: required ? nil : root[keyPath: path], in: range,
                    rangeText: rangeText)
            }, write: { root, members in members[key] = .number(Double(root[keyPath: path])) })
    }

    /// A whole number whose range and default depend on members read before it.
    public static func integer(
        _ key: String, _ path: WritableKeyPath<Root, Int>,
        in range: @escaping (Root) -> ClosedRange<Int>, _ rangeText: @escaping (Root) -> String,
        default fallback: @escaping (Root) -> Int
    ) -> ConfigField {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = try reader.integer(key, default: fallback(root), in: range(root), rangeText: rangeText(root))
            }, write: { root, members in members[key] = .number(Double(root[keyPath: path])) })
    }

    /// A whole number or nothing: absent and null read as nil, nil is not written.
    public static func optionalInteger(
        _ key: String, _ path: WritableKeyPath<Root, Int?>, in range: ClosedRange<Int>? = nil,
        _ rangeText: String? = nil
    ) -> ConfigField {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = reader.has(key) ? try reader.integer(key, in: range, rangeText: rangeText) : nil
                _ = reader.value(key)
            },
            write: { root, members in
                if let value = root[keyPath: path] { members[key] = .number(Double(value)) }
            })
    }

    public static func number(
        _ key: String, _ path: WritableKeyPath<Root, Double>, in range: ClosedRange<Double>? = nil,
        _ rangeText: String? = nil, required: Bool = false
    ) -> ConfigField {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = try reader.number(
                    key, default: required ? nil : root[keyPath: path], in: range,
                    rangeText: rangeText)
            }, write: { root, members in members[key] = .number(root[keyPath: path]) })
    }

    /// A number that may be non-finite, written as null (JSON has no NaN); absent reads as NaN.
    public static func numberOrNull(_ key: String, _ path: WritableKeyPath<Root, Double>) -> ConfigField {
        ConfigField(
            read: { root, reader in root[keyPath: path] = try reader.numberOrNaN(key, required: false) },
            write: { root, members in members[key] = .finite(root[keyPath: path]) })
    }

    /// A number or null (which means "off"): absent keeps the default, nil is written as null.
    public static func nullableNumber(
        _ key: String, _ path: WritableKeyPath<Root, Double?>,
        in range: ClosedRange<Double>
    ) -> ConfigField {
        ConfigField(
            read: { root, reader in
                if reader.has(key) {
                    root[keyPath: path] = try reader.number(key, in: range)
                } else if reader.isNull(key) {
                    root[keyPath: path] = nil
                }
            }, write: { root, members in members[key] = root[keyPath: path].map(JSONValue.number) ?? .null })
    }

    public static func flag(_ key: String, _ path: WritableKeyPath<Root, Bool>, required: Bool = false) -> ConfigField {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = try reader.bool(key, default: required ? nil : root[keyPath: path])
            }, write: { root, members in members[key] = .bool(root[keyPath: path]) })
    }

    public static func string(_ key: String, _ path: WritableKeyPath<Root, String>, required: Bool = false) -> ConfigField {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = try reader.string(key, default: required ? nil : root[keyPath: path])
            }, write: { root, members in members[key] = .string(root[keyPath: path]) })
    }

    /// A string or nothing: absent and null read as nil, nil is not written.
    public static func optionalString(_ key: String, _ path: WritableKeyPath<Root, String?>) -> ConfigField {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = reader.has(key) ? try reader.string(key) : nil
                _ = reader.value(key)
            },
            write: { root, members in
                if let value = root[keyPath: path] { members[key] = .string(value) }
            })
    }

    /// One case of a plain enum, by name.
    public static func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _ path: WritableKeyPath<Root, Choice>, required: Bool = false
    ) -> ConfigField where Choice.RawValue == String {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = try reader.choice(key, default: required ? nil : root[keyPath: path])
            }, write: { root, members in members[key] = .string(root[keyPath: path].rawValue) })
    }

    /// One case of a plain enum, written only when it is not `omitted`: for members added after
    /// ids were first taken, so configs that leave them at that value keep their form and id.
    public static func choice<Choice: RawRepresentable & CaseIterable & Equatable>(
        _ key: String, _ path: WritableKeyPath<Root, Choice>, omittedAt omitted: Choice
    ) -> ConfigField where Choice.RawValue == String {
        ConfigField(
            read: { root, reader in
                root[keyPath: path] = try reader.choice(key, default: root[keyPath: path])
            },
            write: { root, members in
                let value = root[keyPath: path]
                if value != omitted { members[key] = .string(value.rawValue) }
            })
    }

    public static func fixed(_ member: FixedMember) -> ConfigField {
        ConfigField(read: { _, reader in try member.read(from: &reader) }, write: { _, members in member.write(into: &members) })
    }
}

// MARK: - Nested values

extension ConfigField {
    /// A nested object; absent or null keeps the default.
    public static func object<Value: ConfigObject>(_ key: String, _ path: WritableKeyPath<Root, Value>) -> ConfigField {
        ConfigField(
            read: { root, reader in
                guard var nested = try reader.object(key) else { return }
                try Value.read(into: &root[keyPath: path], from: &nested)
                try nested.finish()
            }, write: { root, members in members[key] = root[keyPath: path].json })
    }

    /// A nested object or nothing: absent and null read as nil, nil is not written.
    public static func optionalObject<Value: ConfigObject>(_ key: String, _ path: WritableKeyPath<Root, Value?>) -> ConfigField {
        ConfigField(
            read: { root, reader in
                guard let raw = reader.value(key) else {
                    root[keyPath: path] = nil
                    return
                }
                root[keyPath: path] = try Value(json: raw, path: reader.childPath(key))
            },
            write: { root, members in
                if let value = root[keyPath: path] { members[key] = value.json }
            })
    }

    /// Another type's members in this same object (a stage holds its model's sizes).
    public static func inline<Value: ConfigObject>(_ path: WritableKeyPath<Root, Value>) -> ConfigField {
        ConfigField(
            read: { root, reader in try Value.read(into: &root[keyPath: path], from: &reader) },
            write: { root, members in root[keyPath: path].write(into: &members) })
    }

    /// A union whose tag and members sit in this same object.
    public static func inline<Value: ConfigUnion>(_ path: WritableKeyPath<Root, Value>) -> ConfigField {
        ConfigField(
            read: { root, reader in
                if let value = try Value.read(current: root[keyPath: path], from: &reader).value { root[keyPath: path] = value }
            }, write: { root, members in root[keyPath: path].write(into: &members) })
    }

    /// A union in a nested object; absent or null keeps the default.
    public static func union<Value: ConfigUnion>(_ key: String, _ path: WritableKeyPath<Root, Value>) -> ConfigField {
        ConfigField(
            read: { root, reader in
                guard var nested = try reader.object(key) else { return }
                if let value = try Value.read(current: root[keyPath: path], from: &nested).value { root[keyPath: path] = value }
                try nested.finish()
            }, write: { root, members in members[key] = root[keyPath: path].json })
    }

    /// An optional union in a nested object whose tag is required: absent, null and the tag
    /// `none` all read as nil, and nil is written as null.
    public static func optionalUnion<Value: ConfigUnion>(
        _ key: String, _ path: WritableKeyPath<Root, Value?>,
        none: String
    ) -> ConfigField {
        ConfigField(
            read: { root, reader in
                guard var nested = try reader.object(key) else {
                    root[keyPath: path] = nil
                    return
                }
                root[keyPath: path] = try Value.read(current: nil, from: &nested, extraNames: [none]).value
                try nested.finish()
            }, write: { root, members in members[key] = root[keyPath: path]?.json ?? .null })
    }
}
