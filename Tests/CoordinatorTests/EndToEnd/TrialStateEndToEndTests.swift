import Foundation
import Protocol
import Testing

@testable import Coordinator

/// Trial state across processes over real sockets: checkpoints sent by real workers, a trial
/// continued from its latest state after its worker is killed or leaves on SIGTERM, and a
/// raised budget continuing censored trials — each checked against an uninterrupted run, bit
/// for bit (one build, one compute thread).
@Suite("End to end: trial state", .serialized, .timeLimit(.minutes(6)))
struct TrialStateEndToEndTests {
    @Test("a worker killed (SIGKILL) mid-trial: the trial continues from its latest checkpoint and ends as if never stopped")
    func killedWorkerContinuesFromCheckpoint() async throws {
        let directory = try EndToEnd.scratchDirectory("killresume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // ~4 s of training on a quiet core; a checkpoint every half second.
        let sweep = try EndToEnd.writeSweep(in: directory, name: "killresume", seeds: 1, budget: 15000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [sweep, "--run-dir", runDirectory, "--local-workers", "1", "--checkpoint-every", "0.5"],
            name: "coord", logDirectory: directory)
        defer {
            coordinator.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
        }
        // The kill comes from a thread of its own, the moment a checkpoint past step 1000 is journaled.
        let parent = coordinator.pid
        let killer = Trigger(
            timeout: 120,
            when: {
                (try? RawJournal(runDirectory: runDirectory).of("checkpoint").contains { ($0["step"] as? Int ?? 0) > 1000 }) == true
            },
            do: {
                for pid in EndToEnd.localWorkerPids(of: parent) { kill(pid, SIGKILL) }
            })
        #expect(await killer.outcome(), "a checkpoint past step 1000 was journaled\n\(coordinator.logTail())")
        #expect(await coordinator.exitStatus(within: .seconds(120)) == 0, "\(coordinator.logTail())")

        let journal = try RawJournal(runDirectory: runDirectory)
        let second = try #require(journal.of("assigned").first { $0["attempt"] as? Int == 2 })
        let lastBefore = try #require(journal.checkpointSteps(before: second).last)
        #expect(second["fromStep"] as? Int == lastBefore, "the second attempt continues from the latest checkpoint")
        #expect(journal.of("finished").count == 1 && journal.of("failed").isEmpty)
        try expectSameResult(journal, asDirectRunIn: directory)
    }

    @Test(
        "SIGTERM to a worker mid-trial: it sends the state and leaves; the trial continues from that state elsewhere, not held against it")
    func preemptedWorkerHandsOverItsState() async throws {
        let directory = try EndToEnd.scratchDirectory("sigterm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "sigterm", seeds: 1, budget: 15000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        // No periodic checkpoints: the only state is the one sent on SIGTERM.
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [sweep, "--run-dir", runDirectory, "--local-workers", "1", "--checkpoint-every", "0"],
            name: "coord", logDirectory: directory)
        defer {
            coordinator.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
        }
        // SIGTERM from a thread of its own, as soon as the trial reported progress.
        let parent = coordinator.pid
        let notice = Trigger(
            timeout: 120,
            when: {
                guard let trial = (try? RawJournal(runDirectory: runDirectory))?.of("assigned").first?["trial"] as? String else {
                    return false
                }
                let partial = (runDirectory as NSString).appendingPathComponent("partial/\(trial).jsonl")
                return (FileManager.default.contents(atPath: partial)?.count ?? 0) > 0
            },
            do: {
                for pid in EndToEnd.localWorkerPids(of: parent) { kill(pid, SIGTERM) }
            })
        #expect(await notice.outcome(), "the trial reported progress\n\(coordinator.logTail())")
        #expect(await coordinator.exitStatus(within: .seconds(120)) == 0, "\(coordinator.logTail())")

        let journal = try RawJournal(runDirectory: runDirectory)
        let failure = try #require(journal.of("attemptFailed").first, "the preempted attempt is journaled")
        #expect(failure["blame"] as? String == "worker", "leaving on notice is not the trial's fault")
        let second = try #require(journal.of("assigned").first { $0["attempt"] as? Int == 2 })
        let handedOver = try #require(journal.checkpointSteps(before: second).last, "the state sent on SIGTERM is stored")
        #expect(handedOver > 0)
        #expect(second["fromStep"] as? Int == handedOver)
        #expect(journal.of("finished").count == 1 && journal.of("failed").isEmpty)
        try expectSameResult(journal, asDirectRunIn: directory)
    }

    @Test("Ctrl-C: the running trial's state is sent before the coordinator stops; the resumed run continues from it")
    func interruptedSweepResumesWhereItStood() async throws {
        let directory = try EndToEnd.scratchDirectory("interrupt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "interrupt", seeds: 1, budget: 15000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        // No periodic checkpoints: the only state is the one handed over on Ctrl-C.
        let arguments = [sweep, "--run-dir", runDirectory, "--local-workers", "1", "--checkpoint-every", "0"]
        let first = try ChildProcess(EndToEnd.binary("grok-coord"), arguments, name: "first", logDirectory: directory)
        defer {
            first.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: first.pid))
        }
        let firstPid = first.pid
        let interrupt = Trigger(
            timeout: 120,
            when: {
                guard let trial = (try? RawJournal(runDirectory: runDirectory))?.of("assigned").first?["trial"] as? String else {
                    return false
                }
                let partial = (runDirectory as NSString).appendingPathComponent("partial/\(trial).jsonl")
                return (FileManager.default.contents(atPath: partial)?.count ?? 0) > 0
            }, do: { kill(firstPid, SIGINT) })
        #expect(await interrupt.outcome(), "the trial reported progress\n\(first.logTail())")
        #expect(await first.exitStatus(within: .seconds(60)) == 130, "\(first.logTail())")
        let handedOver = try #require(
            RawJournal(runDirectory: runDirectory).of("checkpoint").last?["step"] as? Int,
            "the running trial's state was stored on Ctrl-C")
        #expect(handedOver > 0)

        let second = try ChildProcess(EndToEnd.binary("grok-coord"), arguments, name: "second", logDirectory: directory)
        defer {
            second.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: second.pid))
        }
        #expect(await second.exitStatus(within: .seconds(120)) == 0, "\(second.logTail())")
        let journal = try RawJournal(runDirectory: runDirectory)
        let resumed = try #require(journal.of("assigned").first { $0["attempt"] as? Int == 2 })
        #expect(resumed["fromStep"] as? Int == handedOver, "the resumed run continues where the trial stood")
        #expect(journal.of("finished").count == 1 && journal.of("failed").isEmpty)
        try expectSameResult(journal, asDirectRunIn: directory)
    }

    @Test(
        "a worker on a shared filesystem writes its checkpoints into the run's states folder; the trial continues from them on another worker"
    )
    func sharedStatesFolder() async throws {
        let directory = try EndToEnd.scratchDirectory("shared")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "shared", seeds: 1, budget: 15000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        let port = try EndToEnd.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"),
            [sweep, "--run-dir", runDirectory, "--bind", endpoint, "--local-workers", "0"],
            name: "coord", logDirectory: directory)
        let states = (runDirectory as NSString).appendingPathComponent("states")
        let first = try ChildProcess(
            EndToEnd.binary("grok-worker"),
            ["--connect", endpoint, "--id", "shared-1", "--checkpoint-every", "0.5", "--shared-states", states],
            name: "worker-1", logDirectory: directory)
        var second: ChildProcess?
        defer {
            first.reap()
            second?.reap()
            coordinator.reap()
        }
        let firstPid = first.pid
        let killer = Trigger(
            timeout: 120,
            when: {
                (try? RawJournal(runDirectory: runDirectory).of("checkpoint").contains { ($0["step"] as? Int ?? 0) > 1000 }) == true
            }, do: { kill(firstPid, SIGKILL) })
        #expect(await killer.outcome(), "a checkpoint past step 1000 was journaled\n\(coordinator.logTail())")
        #expect(FileManager.default.fileExists(atPath: states), "written into the shared folder")
        // The second worker has no access to the folder: the state comes to it over the network.
        second = try ChildProcess(
            EndToEnd.binary("grok-worker"), ["--connect", endpoint, "--id", "plain-2"],
            name: "worker-2", logDirectory: directory)
        #expect(await coordinator.exitStatus(within: .seconds(120)) == 0, "\(coordinator.logTail())")

        let journal = try RawJournal(runDirectory: runDirectory)
        let resumed = try #require(journal.of("assigned").first { $0["attempt"] as? Int == 2 })
        let lastBefore = try #require(journal.checkpointSteps(before: resumed).last)
        #expect(resumed["worker"] as? String == "plain-2" && resumed["fromStep"] as? Int == lastBefore)
        try expectSameResult(journal, asDirectRunIn: directory)
    }

    @Test(
        "a raised budget continues censored trials from their final state: the curves of a direct run, fewer steps; a lowered one is refused"
    )
    func raisedBudgetContinuesCensoredTrials() async throws {
        let directory = try EndToEnd.scratchDirectory("raise")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        func run(_ budget: Int, in run: String, name: String) async throws -> Int32? {
            let sweep = try EndToEnd.writeSweep(in: directory, name: "raise", seeds: 2, budget: budget)
            let coordinator = try ChildProcess(
                EndToEnd.binary("grok-coord"), [sweep, "--run-dir", run, "--local-workers", "1"],
                name: name, logDirectory: directory)
            defer {
                coordinator.reap()
                EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
            }
            return await coordinator.exitStatus(within: .seconds(120))
        }
        #expect(try await run(2000, in: runDirectory, name: "first") == 0)
        #expect(try await run(6000, in: runDirectory, name: "raised") == 0)
        let linesBefore = try RawJournal(runDirectory: runDirectory).records.count
        #expect(try await run(3000, in: runDirectory, name: "lowered") != 0, "a lowered budget is refused")
        #expect(try RawJournal(runDirectory: runDirectory).records.count == linesBefore, "and changes nothing")
        let directRun = (directory as NSString).appendingPathComponent("direct")
        #expect(try await run(6000, in: directRun, name: "direct") == 0)

        let raised = try RawJournal(runDirectory: runDirectory)
        let direct = try RawJournal(runDirectory: directRun)
        #expect(raised.of("budgetRaised").count == 1)
        let continued = raised.of("assigned").filter { $0["attempt"] as? Int == 2 }
        #expect(
            continued.count == 2 && continued.allSatisfy { $0["fromStep"] as? Int == 2000 },
            "both censored trials continue from step 2000, not 0")
        let raisedResults = raised.results, directResults = direct.results
        #expect(directResults.count == 2)
        for (trial, result) in directResults {
            #expect(raisedResults[trial] == result, "trial \(trial): the continued run equals the direct one")
        }
    }

    /// The result (outcome, t_mem, t_grok, steps, curve) the journal holds equals that of the
    /// same config run uninterrupted by `grok-worker trial`.
    private func expectSameResult(_ journal: RawJournal, asDirectRunIn directory: String) throws {
        let (trial, config) = try #require(journal.trialConfigs.first)
        let configPath = (directory as NSString).appendingPathComponent("direct-config.json")
        let resultPath = (directory as NSString).appendingPathComponent("direct-result.json")
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let direct = try ChildProcess(
            EndToEnd.binary("grok-worker"), ["trial", configPath, "--result", resultPath, "--quiet"],
            name: "direct", logDirectory: directory)
        defer { direct.reap() }
        #expect(direct.waitForExit(timeout: .seconds(120)) == 0, "\(direct.logTail())")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: resultPath)))
        let expected = try #require(RawJournal.essentials(of: object as? [String: Any] ?? [:]))
        #expect(journal.results[trial] == expected, "the continued trial equals an uninterrupted run")
    }
}

/// The journal as raw JSON objects, for the fields `JournalLines` does not read.
struct RawJournal {
    let records: [[String: Any]]

    init(runDirectory: String) throws {
        let data = FileManager.default.contents(atPath: (runDirectory as NSString).appendingPathComponent("journal.jsonl")) ?? Data()
        records = data.split(separator: UInt8(ascii: "\n")).compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any]
        }
    }

    func of(_ type: String) -> [[String: Any]] { records.filter { $0["type"] as? String == type } }

    /// Steps of the checkpoints journaled before `record` (by position in the file), in order.
    func checkpointSteps(before record: [String: Any]) -> [Int] {
        guard let position = records.firstIndex(where: { NSDictionary(dictionary: $0).isEqual(to: record) }) else { return [] }
        return records[..<position].filter { $0["type"] as? String == "checkpoint" }.compactMap { $0["step"] as? Int }
    }

    /// Each trial's config as the sweep record holds it.
    var trialConfigs: [(String, Any)] {
        of("sweep").flatMap { ($0["trials"] as? [[String: Any]]) ?? [] }.compactMap { trial in
            guard let id = trial["id"] as? String, let config = trial["config"] else { return nil }
            return (id, config)
        }
    }

    /// The comparable part of each trial's first result.
    var results: [String: String] {
        var results: [String: String] = [:]
        for record in of("finished") {
            guard let result = record["result"] as? [String: Any], let trial = result["trialId"] as? String,
                results[trial] == nil
            else { continue }
            results[trial] = Self.essentials(of: result)
        }
        return results
    }

    /// Outcome, t_mem, t_grok, steps and curve, as canonical text (timings and hosts left out).
    static func essentials(of result: [String: Any]) -> String? {
        let kept = result.filter { ["outcome", "tMem", "tGrok", "steps", "curve"].contains($0.key) }
        guard let data = try? JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
