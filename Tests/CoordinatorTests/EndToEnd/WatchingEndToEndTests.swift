import Foundation
import Protocol
import Synchronization
import Testing

@testable import Coordinator

/// Watching a real sweep from outside: `status.json` and `grok-coord status` show running trials
/// with their progress, `report` during the run draws their curves so far, and `export` writes
/// every evaluation point once the run is done.
@Suite("End to end: watching a running sweep", .serialized, .timeLimit(.minutes(6)))
struct WatchingEndToEndTests {
    private func run(_ arguments: [String], in directory: String, name: String) async throws -> (status: Int32?, output: String) {
        let child = try ChildProcess(EndToEnd.binary("grok-coord"), arguments, name: name, logDirectory: directory)
        defer { child.reap() }
        let status = await child.exitStatus(within: .seconds(30))
        return (status, child.log)
    }

    @Test("status, report and export during and after a sweep on local workers")
    func statusReportAndExport() async throws {
        let directory = try EndToEnd.scratchDirectory("watch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweep = try EndToEnd.writeSweep(in: directory, name: "watch", seeds: 4, budget: 9000)
        let runDirectory = (directory as NSString).appendingPathComponent("run")
        let coordinator = try ChildProcess(
            EndToEnd.binary("grok-coord"), [sweep, "--run-dir", runDirectory, "--local-workers", "2"],
            name: "coord", logDirectory: directory)
        defer {
            coordinator.reap()
            EndToEnd.killLeftovers(EndToEnd.localWorkerPids(of: coordinator.pid))
        }

        // Mid-run: a status with a running trial that has progressed and has a rate, watched from
        // a thread of its own (the test itself may resume late on a busy test pool).
        let midRun = Mutex<SweepStatus?>(nil)
        let watcher = BackgroundLoop(every: 0.05) {
            guard let status = try? StatusFile.read(runDirectory: runDirectory), status.phase == .running,
                status.running.contains(where: { ($0.step ?? 0) > 0 && ($0.stepsPerSecond ?? 0) > 0 })
            else { return }
            midRun.withLock { if $0 == nil { $0 = status } }
        }
        defer { watcher.stop() }
        try await EndToEnd.waitUntil(
            "a running trial with a rate in status.json", timeout: .seconds(120),
            context: { coordinator.logTail() }
        ) {
            midRun.withLock { $0 != nil } || !coordinator.isRunning
        }
        watcher.stop()
        let status = try #require(midRun.withLock { $0 }, "a mid-run status was seen")
        #expect(status.total == 4 && status.done < 4)
        #expect(status.running.allSatisfy { $0.budget == 9000 && $0.worker.hasPrefix("local-") })
        #expect(status.etaSeconds != nil)

        let partialCurves = PartialCurves(runDirectory: runDirectory)
        let running = status.running.map(\.trial)
        // `status`, partial curves and a mid-run report, while the sweep still runs.
        if coordinator.isRunning {
            let shown = try await run(["status", runDirectory], in: directory, name: "status")
            #expect(shown.status == 0, "\(shown.output)")
            #expect(
                shown.output.split(separator: "\n").filter { $0.hasPrefix("  ") }.count >= 1, "one line per running trial\n\(shown.output)")

            try await EndToEnd.waitUntil("a partial curve point", timeout: .seconds(60)) {
                running.contains { !partialCurves.read($0).isEmpty } || !coordinator.isRunning
            }
            let report = try await run(["report", runDirectory, "--quiet"], in: directory, name: "report")
            #expect(report.status == 0, "\(report.output)")
            let html = try String(contentsOfFile: (runDirectory as NSString).appendingPathComponent("report.html"), encoding: .utf8)
            let midState = try Journal.read(runDirectory: runDirectory)
            let stillRunning = running.contains { trial in
                if case .running? = midState.state(of: trial) { return partialCurves.read(trial).count > 0 } else { return false }
            }
            if stillRunning { #expect(html.contains("Running trials: curves so far")) }
        }

        // After the run: the final status, no partial curves left, and the exported table.
        #expect(await coordinator.exitStatus(within: .seconds(180)) == 0, "\(coordinator.logTail())")
        let final = try StatusFile.read(runDirectory: runDirectory)
        #expect(final.phase == .complete && final.finished == 4 && final.running.isEmpty)
        #expect(running.allSatisfy { partialCurves.read($0).isEmpty })

        let export = try await run(["export", runDirectory], in: directory, name: "export")
        #expect(export.status == 0, "\(export.output)")
        let table = try String(contentsOfFile: (runDirectory as NSString).appendingPathComponent("curves.csv"), encoding: .utf8)
        let rows = table.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let state = try Journal.read(runDirectory: runDirectory)
        #expect(rows.count == state.results.values.map(\.curve.count).reduce(0, +))
        // trial, cell, label, (no axes), seed, status, outcome, step, 4 metrics, 3 diagnostics.
        #expect(rows.allSatisfy { $0.count == 14 && $0[4] == "finished" })
    }
}
