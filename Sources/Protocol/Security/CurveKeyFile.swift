import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a CURVE key file could not be written or used. Every message names the file and says
/// what to do about it.
public enum CurveKeyError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    /// A secret key readable (or any key writable) by others than its owner.
    case permissionsTooOpen(path: String, mode: Int, allowed: String)
    case notOwner(path: String)
    case malformed(path: String, reason: String)
    case alreadyExists(path: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            "\(path): no such key file (create keys with `grok-coord keys DIR`)"
        case .permissionsTooOpen(let path, let mode, let allowed):
            "\(path): permissions \(String(format: "%04o", mode)) are too open; \(allowed) "
                + "(chmod 600 \(path))"
        case .notOwner(let path):
            "\(path): the key file belongs to another user; refusing to use it"
        case .malformed(let path, let reason):
            "\(path): not a CURVE key file (\(reason))"
        case .alreadyExists(let path):
            "\(path): already exists; refusing to overwrite a key"
        case .io(let path, let reason):
            "\(path): \(reason)"
        }
    }
}

/// One CURVE key file in ZeroMQ's certificate text format (as czmq's `zcert` writes it), so keys
/// made by other ZeroMQ tools work too:
///
///     curve
///         public-key = "Z85…"
///         secret-key = "Z85…"     (only in the secret file, NAME.key_secret)
///
/// Owns the permission rules: a file with a secret key must be a regular file of the current
/// user, readable and writable by that user only (0600 or stricter); any key file must not be
/// writable by group or others (else anyone could swap in their own key).
public enum CurveKeyFile {
    // MARK: Writing

    /// Writes the pair to `secretPath` (mode 0600) and its public half to `publicPath` (0644).
    /// Never overwrites: an existing file is an error.
    public static func write(_ pair: CurveKeyPair, name: String, secretPath: String, publicPath: String) throws {
        try create(secretPath, mode: 0o600, text: text(name: name, publicKey: pair.publicKey, secretKey: pair.secretKey))
        try create(publicPath, mode: 0o644, text: text(name: name, publicKey: pair.publicKey, secretKey: nil))
    }

    /// Writes only a public key (0644), e.g. a copy of the coordinator's for a worker.
    public static func writePublic(_ publicKey: String, name: String, path: String) throws {
        try create(path, mode: 0o644, text: text(name: name, publicKey: publicKey, secretKey: nil))
    }

    static func text(name: String, publicKey: String, secretKey: String?) -> String {
        var lines = [
            "#   GrokSweep CURVE key \"\(name)\" (ZeroMQ certificate format, Z85 keys).",
            secretKey == nil
                ? "#   Public: give it to whoever must recognise this key."
                : "#   SECRET: keep this file readable by its owner only (mode 0600).",
            "metadata",
            "    name = \"\(name)\"",
            "curve",
            "    public-key = \"\(publicKey)\"",
        ]
        if let secretKey { lines.append("    secret-key = \"\(secretKey)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Creates `path` with exactly `mode` (O_EXCL: no race with an existing file, no umask
    /// surprise thanks to fchmod) and writes `text`.
    private static func create(_ path: String, mode: mode_t, text: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw CurveKeyError.alreadyExists(path: path) }
            throw CurveKeyError.io(path: path, reason: "cannot create (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else {
            throw CurveKeyError.io(path: path, reason: "cannot set permissions (\(String(cString: strerror(errno))))")
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { writeBytes(descriptor, $0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw CurveKeyError.io(path: path, reason: "cannot write") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw CurveKeyError.io(path: path, reason: "cannot sync") }
    }

    // MARK: Reading

    /// The key pair in a secret key file, after checking its owner and permissions.
    public static func readKeyPair(path: String) throws -> CurveKeyPair {
        try checkPermissions(path, forbidden: 0o077, allowed: "a secret key file must be readable by its owner only")
        let keys = try parse(path)
        guard let secretKey = keys.secretKey else { throw CurveKeyError.malformed(path: path, reason: "no secret-key line") }
        return CurveKeyPair(publicKey: keys.publicKey, secretKey: secretKey)
    }

    /// The public key in a key file (public or secret), after checking nobody else can change it.
    public static func readPublicKey(path: String) throws -> String {
        try checkPermissions(path, forbidden: 0o022, allowed: "a key file must not be writable by group or others")
        return try parse(path).publicKey
    }

    /// Refuses a file (or directory) not owned by this user or with any `forbidden` mode bit.
    static func checkPermissions(_ path: String, forbidden: mode_t, allowed: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { throw CurveKeyError.missing(path: path) }
            throw CurveKeyError.io(path: path, reason: "cannot stat (\(String(cString: strerror(errno))))")
        }
        guard status.st_uid == geteuid() else { throw CurveKeyError.notOwner(path: path) }
        let mode = status.st_mode & 0o7777
        guard mode & forbidden == 0 else {
            throw CurveKeyError.permissionsTooOpen(path: path, mode: Int(mode), allowed: allowed)
        }
    }

    private static func parse(_ path: String) throws -> (publicKey: String, secretKey: String?) {
        guard let data = FileManager.default.contents(atPath: path), data.count < 64 * 1024 else {
            throw CurveKeyError.io(path: path, reason: "cannot read")
        }
        var publicKey: String?
        var secretKey: String?
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0] == "public-key" || parts[0] == "secret-key" else { continue }
            let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            guard isZ85Key(value) else {
                throw CurveKeyError.malformed(path: path, reason: "\(parts[0]) is not 40 Z85 characters")
            }
            if parts[0] == "public-key" { publicKey = value } else { secretKey = value }
        }
        guard let publicKey else { throw CurveKeyError.malformed(path: path, reason: "no public-key line") }
        return (publicKey, secretKey)
    }

    /// Z85 (ZeroMQ RFC 32) text of a 32-byte key: 40 characters of its 85-symbol alphabet.
    static func isZ85Key(_ text: String) -> Bool {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        return text.count == 40 && text.allSatisfy(alphabet.contains)
    }
}

/// The C `write(2)`, reachable by a name that `CurveKeyFile.write` does not shadow.
private func writeBytes(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> Int {
    write(descriptor, buffer.baseAddress, buffer.count)
}
