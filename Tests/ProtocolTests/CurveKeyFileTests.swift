import Foundation
import Protocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Key directories as `grok-coord keys` writes them and `--curve-keys` reads them: layout,
/// permissions on disk, refusal of keys others could read or change, and malformed files.
@Suite("CURVE key files")
struct CurveKeyFileTests {
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("groksweep-keys-\(UUID().uuidString.prefix(8))").path
        return path
    }

    static func mode(_ path: String) -> Int {
        var status = stat()
        stat(path, &status)
        return Int(status.st_mode & 0o777)
    }

    @Test("a new key directory: secrets 0600, bundles 0700, worker keys admitted, keys load back")
    func createAndLoad() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let created = try CurveKeyDirectory.create(at: directory, workers: 2)
        #expect(created == ["worker-1", "worker-2"])
        #expect(Self.mode(directory) == 0o700)
        #expect(Self.mode("\(directory)/coordinator.key_secret") == 0o600)
        #expect(Self.mode("\(directory)/worker-1") == 0o700)
        #expect(Self.mode("\(directory)/worker-1/worker.key_secret") == 0o600)

        let coordinator = try CurveKeyDirectory.loadCoordinatorKeys(directory: directory)
        let worker1 = try CurveKeyDirectory.loadWorkerKeys(directory: "\(directory)/worker-1")
        let worker2 = try CurveKeyDirectory.loadWorkerKeys(directory: "\(directory)/worker-2")
        #expect(worker1.coordinatorPublicKey == coordinator.keyPair.publicKey)
        #expect(coordinator.admittedWorkers == ["worker-1": worker1.keyPair.publicKey, "worker-2": worker2.keyPair.publicKey])
        #expect(worker1.keyPair != worker2.keyPair)
        let publicText = try String(contentsOfFile: "\(directory)/worker-1/worker.key", encoding: .utf8)
        #expect(!publicText.contains(worker1.keyPair.secretKey))

        // Running again adds workers and keeps the coordinator's pair.
        #expect(try CurveKeyDirectory.create(at: directory, workers: 1) == ["worker-3"])
        let again = try CurveKeyDirectory.loadCoordinatorKeys(directory: directory)
        #expect(again.keyPair == coordinator.keyPair && again.admittedWorkers.count == 3)
    }

    @Test(
        "keys others could read or change are refused with a clear error",
        arguments: [
            ("coordinator.key_secret", 0o644, true), ("coordinator.key_secret", 0o640, true),
            ("coordinator.key_secret", 0o400, false), ("admitted/worker-1.key", 0o666, true),
            ("admitted", 0o777, true), ("admitted/worker-1.key", 0o644, false),
        ])
    func permissions(file: String, mode: Int, refused: Bool) throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CurveKeyDirectory.create(at: directory, workers: 1)
        let path = "\(directory)/\(file)"
        #expect(chmod(path, mode_t(mode)) == 0)
        if refused {
            let error = #expect(throws: CurveKeyError.self) { try CurveKeyDirectory.loadCoordinatorKeys(directory: directory) }
            #expect(error == .permissionsTooOpen(path: path, mode: mode, allowed: error.map(Self.allowed) ?? ""))
            #expect(error?.description.contains("too open") == true && error?.description.contains(path) == true)
        } else {
            #expect(throws: Never.self) { try CurveKeyDirectory.loadCoordinatorKeys(directory: directory) }
        }
    }

    static func allowed(_ error: CurveKeyError) -> String {
        if case .permissionsTooOpen(_, _, let allowed) = error { return allowed }
        return ""
    }

    @Test("a worker bundle with a world-readable secret is refused")
    func workerSecretTooOpen() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CurveKeyDirectory.create(at: directory, workers: 1)
        chmod("\(directory)/worker-1/worker.key_secret", 0o604)
        #expect(throws: CurveKeyError.self) { try CurveKeyDirectory.loadWorkerKeys(directory: "\(directory)/worker-1") }
    }

    @Test("missing, empty and malformed key files name the file and the problem")
    func malformed() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: CurveKeyError.missing(path: "\(directory)/coordinator.key_secret")) {
            try CurveKeyDirectory.loadCoordinatorKeys(directory: directory)
        }
        try CurveKeyDirectory.create(at: directory, workers: 1)
        let secret = "\(directory)/coordinator.key_secret"
        try Data("curve\n    public-key = \"tooshort\"\n".utf8).write(to: URL(fileURLWithPath: secret))
        let error = #expect(throws: CurveKeyError.self) { try CurveKeyDirectory.loadCoordinatorKeys(directory: directory) }
        #expect(error?.description.contains("not 40 Z85 characters") == true)
        // No admitted keys at all is an error too: such a coordinator could never run a trial.
        try FileManager.default.removeItem(atPath: "\(directory)/admitted/worker-1.key")
        try FileManager.default.removeItem(atPath: secret)
        let pair = try CurveKeyPair.generate()
        try CurveKeyFile.write(pair, name: "coordinator", secretPath: secret, publicPath: "\(directory)/c2.key")
        #expect(throws: CurveKeyError.missing(path: "\(directory)/admitted/*.key")) {
            try CurveKeyDirectory.loadCoordinatorKeys(directory: directory)
        }
    }

    @Test("a certificate written by czmq's zcert (single quotes, extra metadata) is read")
    func zcertFormat() throws {
        let directory = try Self.scratch()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pair = try CurveKeyPair.generate()
        let text = """
            #   ****  Generated on 2026-01-01 by CZMQ  ****
            #   ZeroMQ CURVE **Secret** Certificate
            metadata
                email = "someone@example.org"
            curve
                public-key = '\(pair.publicKey)'
                secret-key = "\(pair.secretKey)"
            """
        let path = "\(directory)/node.key_secret"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        #expect(try CurveKeyFile.readKeyPair(path: path) == pair)
        #expect(try CurveKeyFile.readPublicKey(path: path) == pair.publicKey)
    }
}
