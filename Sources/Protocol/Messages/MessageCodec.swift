import Foundation

/// Turns a `Message` into one frame of UTF-8 JSON and back, and owns the rules every frame obeys:
/// the envelope `{"v":1,"type":"assign","body":{...}}`, the protocol version, the frame-size
/// bound and the JSON nesting limit.
///
/// A `state` chunk carries its bytes as a binary attachment after the JSON: the frame is the
/// envelope, one NUL byte (which JSON text never contains) and the raw bytes — no base64, no
/// megabyte-long JSON string to parse. No other kind has an attachment.
///
/// Decoding never traps: anything that is not a well-formed message of this version becomes a
/// `MessageDecodingError` saying what was wrong and where, for the transport to log and drop.
public enum MessageCodec {
    /// Largest frame either side sends or accepts. State chunks are the biggest messages
    /// (`StateChunk.maximumBytes` and a header); the bound exists so a hostile or broken peer cannot make a
    /// process allocate without limit. Sockets enforce it too (`ZMQ_MAXMSGSIZE`).
    public static let maximumFrameBytes = 16 * 1024 * 1024

    // MARK: Encoding

    /// The frame for `message`. Throws when the message could not be decoded by the other side:
    /// larger than `maximumFrameBytes`, nested deeper than the parser allows, or carrying a
    /// non-finite number (JSON has none) outside the places that map them to null.
    public static func encode(_ message: Message) throws -> Data {
        let envelope = JSONValue.object([
            "v": .number(Double(ProtocolVersion.current)),
            "type": .string(message.kind.rawValue),
            "body": message.bodyJSON,
        ])
        try checkEncodable(envelope, path: "$", depth: 0)
        var frame = Data(envelope.canonicalText.utf8)
        if let attachment = message.attachment {
            frame.reserveCapacity(frame.count + 1 + attachment.count)
            frame.append(0)
            frame.append(attachment)
        }
        guard frame.count <= maximumFrameBytes else {
            throw MessageEncodingError.oversized(kind: message.kind, bytes: frame.count, limit: maximumFrameBytes)
        }
        return frame
    }

    /// Rejects what `JSONValue.canonicalText` would write but `JSONValue.parse` refuses, so an
    /// unreadable frame fails loudly at the sender instead of being dropped at the receiver.
    private static func checkEncodable(_ value: JSONValue, path: String, depth: Int) throws {
        switch value {
        case .number(let number) where !number.isFinite:
            throw MessageEncodingError.nonFiniteNumber(path: path)
        case .array(let elements):
            guard depth < JSONTextParser.maximumDepth else { throw MessageEncodingError.tooDeep(path: path) }
            for (index, element) in elements.enumerated() {
                try checkEncodable(element, path: "\(path)[\(index)]", depth: depth + 1)
            }
        case .object(let members):
            guard depth < JSONTextParser.maximumDepth else { throw MessageEncodingError.tooDeep(path: path) }
            for (key, member) in members {
                try checkEncodable(member, path: "\(path).\(key)", depth: depth + 1)
            }
        case .null, .bool, .number, .string:
            return
        }
    }

    // MARK: Decoding

    /// The message in `frame`, or the first reason it is not one. Checks run cheapest first:
    /// size before parsing, version before anything that a future version might change.
    public static func decode(_ frame: Data) throws(MessageDecodingError) -> Message {
        guard frame.count <= maximumFrameBytes else {
            throw .oversized(bytes: frame.count, limit: maximumFrameBytes)
        }
        // The envelope ends at the first NUL, if any; the rest is the attachment.
        let separator = frame.firstIndex(of: 0)
        let text = separator.map { frame[frame.startIndex..<$0] } ?? frame[...]
        let attachment = separator.map { frame[frame.index(after: $0)...] }
        let document: JSONValue
        do {
            document = try JSONValue.parse(Data(text))
        } catch let error as JSONParseError {
            throw .malformedJSON(offset: error.offset, reason: error.reason)
        } catch {
            throw .malformedJSON(offset: 0, reason: "\(error)")
        }
        do {
            var envelope = try ObjectReader(document)
            let version = try envelope.integer("v")
            guard version == ProtocolVersion.current else {
                throw MessageDecodingError.wrongVersion(found: version, expected: ProtocolVersion.current)
            }
            let typeName = try envelope.string("type")
            guard let kind = MessageKind(rawValue: typeName) else {
                throw MessageDecodingError.unknownType(typeName)
            }
            let body = envelope.value("body") ?? .object([:])
            try envelope.finish()
            do {
                return try Message(kind: kind, body: body, attachment: attachment.map { Data($0) })
            } catch let error as ConfigError {
                throw MessageDecodingError.badBody(kind: kind, error)
            }
        } catch let error as MessageDecodingError {
            throw error
        } catch let error as ConfigError {
            throw .badEnvelope(error)
        } catch {
            throw .badEnvelope(ConfigError(path: "$", expected: "a message envelope", found: "\(error)"))
        }
    }
}

// MARK: - Errors

/// Why a frame is not a message this process accepts. The transport logs it and drops the frame.
public enum MessageDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The frame is larger than `MessageCodec.maximumFrameBytes`.
    case oversized(bytes: Int, limit: Int)
    /// The frame is not JSON (or nested deeper than the parser allows).
    case malformedJSON(offset: Int, reason: String)
    /// The envelope's `v` is another protocol version.
    case wrongVersion(found: Int, expected: Int)
    /// The envelope's `type` names no message kind.
    case unknownType(String)
    /// The envelope itself is missing members, has the wrong types or unknown keys.
    case badEnvelope(ConfigError)
    /// The body does not fit its kind; the error's path points into `$.body`.
    case badBody(kind: MessageKind, ConfigError)

    /// The kind of mistake without its detail: what repeated drops are grouped by.
    public var reason: String {
        switch self {
        case .oversized: "oversized"
        case .malformedJSON: "malformedJSON"
        case .wrongVersion: "wrongVersion"
        case .unknownType: "unknownType"
        case .badEnvelope: "badEnvelope"
        case .badBody(let kind, _): "bad-\(kind.rawValue)"
        }
    }

    public var description: String {
        switch self {
        case .oversized(let bytes, let limit): "frame of \(bytes) bytes exceeds the limit of \(limit)"
        case .malformedJSON(let offset, let reason): "invalid JSON at byte \(offset): \(reason)"
        case .wrongVersion(let found, let expected): "protocol version \(found), expected \(expected)"
        case .unknownType(let name): "unknown message type \"\(name)\""
        case .badEnvelope(let error): "bad envelope: \(error)"
        case .badBody(let kind, let error): "bad \(kind.rawValue) body: \(error)"
        }
    }
}

/// Why a message cannot be put on the wire; a programming or data error at the sender.
public enum MessageEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    case oversized(kind: MessageKind, bytes: Int, limit: Int)
    case nonFiniteNumber(path: String)
    case tooDeep(path: String)

    public var description: String {
        switch self {
        case .oversized(let kind, let bytes, let limit):
            "\(kind.rawValue) message of \(bytes) bytes exceeds the frame limit of \(limit)"
        case .nonFiniteNumber(let path): "\(path): NaN or infinite number cannot be encoded as JSON"
        case .tooDeep(let path): "\(path): nested deeper than \(JSONTextParser.maximumDepth) levels"
        }
    }
}
