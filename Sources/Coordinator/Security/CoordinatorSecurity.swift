import Foundation
import Protocol

/// How this coordinator secures its socket, decided once at start from `--curve-keys` and
/// `--bind`: the ZeroMQ security, what local workers need to pass it, and the log line that
/// tells the user who can connect.
struct CoordinatorSecurity {
    var security: ZeroMQSecurity
    /// Extra `grok-worker` arguments for the coordinator's own local workers.
    var localWorkerArguments: [String]
    /// One line for the log: authenticated or not, and who can reach the socket.
    var notice: String

    /// The default bind address: loopback only, so an unauthenticated coordinator is not
    /// reachable from other machines unless the user asks with `--bind`.
    static let loopbackEndpoint = "tcp://127.0.0.1:0"

    /// Loads the keys in `keyDirectory` (if any). With local workers, a key pair for them is
    /// made fresh in `runDirectory/local-worker-keys` (0600) and admitted for this run only.
    static func make(keyDirectory: String?, bind: String?, runDirectory: String, localWorkers: Int) throws -> CoordinatorSecurity {
        guard let keyDirectory else {
            let notice =
                bind == nil
                ? "no --curve-keys: listening on loopback only (other machines cannot connect); "
                    + "use --bind and --curve-keys for workers on other nodes"
                : "no --curve-keys: UNAUTHENTICATED — anyone who can reach \(bind!) can take trials and send results"
            return CoordinatorSecurity(security: .none, localWorkerArguments: [], notice: notice)
        }
        var keys = try CurveKeyDirectory.loadCoordinatorKeys(directory: keyDirectory)
        var arguments: [String] = []
        if localWorkers > 0 {
            let bundle = (runDirectory as NSString).appendingPathComponent("local-worker-keys")
            try? FileManager.default.removeItem(atPath: bundle)
            let local = try CurveKeyDirectory.createWorkerBundle(at: bundle, coordinatorPublicKey: keys.keyPair.publicKey)
            keys.admittedWorkers["local (this run)"] = local
            arguments = ["--curve-keys", bundle]
        }
        let names = keys.admittedWorkers.keys.sorted().joined(separator: ", ")
        let notice =
            "CURVE authentication on (keys in \(keyDirectory)): admitting \(keys.admittedWorkers.count) "
            + "worker key\(keys.admittedWorkers.count == 1 ? "" : "s") (\(names)); every other peer is refused"
        return CoordinatorSecurity(security: keys.security, localWorkerArguments: arguments, notice: notice)
    }
}
