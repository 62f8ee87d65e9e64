import Foundation
import Protocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// CURVE authentication over real processes: keys made by `grok-coord keys`, a coordinator with
/// `--curve-keys`, and three workers — one with an admitted key, one whose key pair the
/// coordinator does not list (though it knows the coordinator's public key), one with no key.
/// Only the admitted one ever receives a trial; the others are refused and logged on both sides.
@Suite("End to end: authenticated runs", .serialized, .timeLimit(.minutes(6)))
struct AuthenticationEndToEndTests {
    @Test("a worker without an admitted key is refused, logged, and never receives a trial")
    func unadmittedWorkersAreRefused() throws {
        let directory = try EndToEnd.scratchDirectory("auth")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "auth", seeds: 3, budget: 300)
        let keys = (directory as NSString).appendingPathComponent("keys")
        let runDirectory = (directory as NSString).appendingPathComponent("run")

        let keygen = try ChildProcess(
            EndToEnd.binary("grok-coord"), ["keys", keys, "--workers", "1"],
            name: "keys", logDirectory: directory)
        #expect(keygen.waitForExit(timeout: .seconds(10)) == 0, "\(keygen.logTail())")
        // A well-formed bundle that knows the coordinator's public key but is not admitted.
        let coordinatorKey = try CurveKeyFile.readPublicKey(path: "\(keys)/coordinator.key")
        let stranger = (directory as NSString).appendingPathComponent("stranger-keys")
        _ = try CurveKeyDirectory.createWorkerBundle(at: stranger, coordinatorPublicKey: coordinatorKey)

        // A secret key that others can read is refused before anything connects.
        let exposed = (directory as NSString).appendingPathComponent("exposed-keys")
        _ = try CurveKeyDirectory.createWorkerBundle(at: exposed, coordinatorPublicKey: coordinatorKey)
        chmod("\(exposed)/worker.key_secret", 0o644)
        let careless = try ChildProcess(
            EndToEnd.binary("grok-worker"),
            ["--connect", "tcp://127.0.0.1:1", "--curve-keys", exposed],
            name: "careless", logDirectory: directory)
        #expect(careless.waitForExit(timeout: .seconds(10)) == 1)
        #expect(careless.log.contains("permissions 0644 are too open"), "\(careless.logTail())")

        let port = try EndToEnd.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [sweep, "--run-dir", runDirectory, "--bind", endpoint, "--local-workers", "0", "--curve-keys", keys],
            name: "coord", logDirectory: directory)
        var processes = [coordinator]
        defer { processes.forEach { $0.reap() } }
        let worker = { (id: String, extra: [String]) in
            let process = try ChildProcess(
                EndToEnd.binary("grok-worker"), ["--connect", endpoint, "--id", id] + extra,
                name: id, logDirectory: directory)
            processes.append(process)
            return process
        }
        let logs = { processes.map { $0.logTail() }.joined(separator: "\n") }

        let unadmitted = try worker("w-stranger", ["--curve-keys", stranger])
        let keyless = try worker("w-keyless", [])
        try EndToEnd.waitUntil("both refusals in the coordinator's log", timeout: .seconds(20), context: logs) {
            coordinator.log.contains("refused a worker: its public key is not among the admitted keys")
                && coordinator.log.contains("failed the security handshake")
        }
        #expect(coordinator.log.contains("CURVE authentication on"))
        try EndToEnd.waitUntil("the stranger told it was refused", timeout: .seconds(10), context: logs) {
            unadmitted.log.contains("the coordinator refused this worker's key")
        }
        // Nothing was handed out while only refused workers were around.
        #expect(try JournalLines(runDirectory: runDirectory).of("assigned").isEmpty)

        _ = try worker("w-admitted", ["--curve-keys", "\(keys)/worker-1"])
        #expect(coordinator.waitForExit(timeout: .seconds(60)) == 0, "\(logs())")
        let journal = try JournalLines(runDirectory: runDirectory)
        #expect(journal.finishedTrials.count == 3)
        #expect(Set(journal.of("assigned").compactMap(\.worker)) == ["w-admitted"], "\(journal.summary)")
        #expect(!unadmitted.log.contains("trial assigned") && !keyless.log.contains("trial assigned"))
    }

    @Test("without --curve-keys the coordinator listens on loopback only and says so")
    func loopbackByDefault() throws {
        let directory = try EndToEnd.scratchDirectory("loopback")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "loopback", seeds: 1, budget: 100)
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [sweep, "--run-dir", "\(directory)/run", "--local-workers", "1"],
            name: "coord", logDirectory: directory)
        defer { coordinator.reap() }
        #expect(coordinator.waitForExit(timeout: .seconds(60)) == 0, "\(coordinator.logTail())")
        #expect(coordinator.log.contains("listening on tcp://127.0.0.1:"))
        #expect(coordinator.log.contains("listening on loopback only"))
    }
}
