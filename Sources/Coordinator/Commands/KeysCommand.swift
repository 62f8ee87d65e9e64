import ArgumentParser
import Foundation
import Protocol

/// `grok-coord keys DIR [--workers N]`: creates CURVE keys for an authenticated multi-node run.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create CURVE keys for authenticated multi-node runs (--curve-keys).",
        discussion: """
            Writes the coordinator's key pair (kept if DIR already has one) and N worker key bundles:
              DIR/coordinator.key_secret   the coordinator's pair (mode 0600; stays on its host)
              DIR/admitted/worker-K.key    the worker keys the coordinator admits
              DIR/worker-K/                a bundle to copy to worker nodes (grok-worker --curve-keys DIR/worker-K)
            Run again to add workers; delete DIR/admitted/worker-K.key (and restart) to revoke one. \
            Secret key files must stay readable by their owner only: looser permissions are refused.
            """
    )

    @Argument(help: "The key directory to create or extend.")
    var directory: String

    @Option(help: "How many worker key bundles to add.")
    var workers = 1

    func validate() throws {
        guard (1...10_000).contains(workers) else { throw ValidationError("--workers must be between 1 and 10000") }
    }

    func run() throws {
        let created: [String]
        do { created = try CurveKeyDirectory.create(at: directory, workers: workers) } catch let error as CurveKeyError {
            UserFacingError.fail(error.description)
        }
        let bundles = created.map { (directory as NSString).appendingPathComponent($0) }
        print(
            """
            coordinator keys: \((directory as NSString).appendingPathComponent("coordinator.key_secret"))
            worker bundles:   \(bundles.joined(separator: " "))
            start the coordinator:  grok-coord SWEEP.json --bind tcp://*:5555 --curve-keys \(directory)
            on each worker node:    grok-worker --connect tcp://HOST:5555 --curve-keys \(bundles.first ?? "DIR/worker-1")
            """)
    }
}
