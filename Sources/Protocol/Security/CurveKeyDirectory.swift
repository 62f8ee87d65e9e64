import Foundation

/// The layout of a key directory, what `grok-coord keys DIR` writes and `--curve-keys` reads:
///
///     DIR/coordinator.key_secret     the coordinator's key pair (0600): stays on its host
///     DIR/coordinator.key            the coordinator's public key
///     DIR/admitted/NAME.key          worker public keys the coordinator admits (add or
///                                    delete files to admit or revoke a worker, then restart)
///     DIR/NAME/coordinator.key       one bundle per worker key, to copy to the worker's nodes:
///     DIR/NAME/worker.key_secret     `grok-worker --curve-keys DIR/NAME`
///     DIR/NAME/worker.key
///
/// A key identifies a node or a tenant, not a process: every worker on a node may share one.
public enum CurveKeyDirectory {
    static let coordinatorSecret = "coordinator.key_secret"
    static let coordinatorPublic = "coordinator.key"
    static let admitted = "admitted"
    static let workerSecret = "worker.key_secret"
    static let workerPublic = "worker.key"

    // MARK: Loading

    /// The coordinator's side: its key pair and the admitted worker keys (name → Z85 key).
    public struct CoordinatorKeys: Sendable {
        public var keyPair: CurveKeyPair
        public var admittedWorkers: [String: String]

        public var security: ZeroMQSecurity {
            .curveServer(keyPair, admittedClientKeys: Set(admittedWorkers.values))
        }
    }

    /// A worker's side: the coordinator's public key and the worker's own pair.
    public struct WorkerKeys: Sendable {
        public var coordinatorPublicKey: String
        public var keyPair: CurveKeyPair

        public var security: ZeroMQSecurity { .curveClient(serverPublicKey: coordinatorPublicKey, keys: keyPair) }
    }

    public static func loadCoordinatorKeys(directory: String) throws -> CoordinatorKeys {
        let keyPair = try CurveKeyFile.readKeyPair(path: path(directory, coordinatorSecret))
        let admittedDirectory = path(directory, admitted)
        try CurveKeyFile.checkPermissions(
            admittedDirectory, forbidden: 0o022,
            allowed: "the admitted-keys directory must not be writable by group or others")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: admittedDirectory)) ?? [])
            .filter { $0.hasSuffix(".key") }.sorted()
        var admittedWorkers: [String: String] = [:]
        for name in names {
            admittedWorkers[String(name.dropLast(4))] = try CurveKeyFile.readPublicKey(path: path(admittedDirectory, name))
        }
        guard !admittedWorkers.isEmpty else {
            throw CurveKeyError.missing(path: path(admittedDirectory, "*.key"))
        }
        return CoordinatorKeys(keyPair: keyPair, admittedWorkers: admittedWorkers)
    }

    public static func loadWorkerKeys(directory: String) throws -> WorkerKeys {
        WorkerKeys(
            coordinatorPublicKey: try CurveKeyFile.readPublicKey(path: path(directory, coordinatorPublic)),
            keyPair: try CurveKeyFile.readKeyPair(path: path(directory, workerSecret)))
    }

    // MARK: Creating

    /// Creates `directory` (0700) with a coordinator key pair unless it already has one, and
    /// `workers` new worker bundles named `worker-K` after the highest existing K. Returns the
    /// names of the new bundles.
    @discardableResult
    public static func create(at directory: String, workers: Int) throws -> [String] {
        try makeDirectory(directory, mode: 0o700)
        try makeDirectory(path(directory, admitted), mode: 0o755)
        let coordinatorSecretPath = path(directory, coordinatorSecret)
        let coordinator: CurveKeyPair
        if FileManager.default.fileExists(atPath: coordinatorSecretPath) {
            coordinator = try CurveKeyFile.readKeyPair(path: coordinatorSecretPath)
        } else {
            coordinator = try CurveKeyPair.generate()
            try CurveKeyFile.write(
                coordinator, name: "coordinator", secretPath: coordinatorSecretPath,
                publicPath: path(directory, coordinatorPublic))
        }
        let existing = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasPrefix("worker-") ? Int($0.dropFirst("worker-".count)) : nil }
        let first = (existing.max() ?? 0) + 1
        var created: [String] = []
        for index in first..<(first + workers) {
            let name = "worker-\(index)"
            let publicKey = try createWorkerBundle(at: path(directory, name), coordinatorPublicKey: coordinator.publicKey)
            try CurveKeyFile.writePublic(publicKey, name: name, path: path(path(directory, admitted), "\(name).key"))
            created.append(name)
        }
        return created
    }

    /// Creates one worker bundle (0700) with a new key pair and the coordinator's public key;
    /// returns the worker's public key, which the coordinator must admit.
    public static func createWorkerBundle(at bundle: String, coordinatorPublicKey: String) throws -> String {
        try makeDirectory(bundle, mode: 0o700)
        let pair = try CurveKeyPair.generate()
        let name = (bundle as NSString).lastPathComponent
        try CurveKeyFile.write(pair, name: name, secretPath: path(bundle, workerSecret), publicPath: path(bundle, workerPublic))
        try CurveKeyFile.writePublic(coordinatorPublicKey, name: "coordinator", path: path(bundle, coordinatorPublic))
        return pair.publicKey
    }

    private static func makeDirectory(_ directory: String, mode: Int) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CurveKeyError.io(path: directory, reason: "exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: mode])
        } catch {
            throw CurveKeyError.io(path: directory, reason: "cannot create the directory (\(error.localizedDescription))")
        }
    }

    static func path(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }
}
