import ArgumentParser
import Foundation

/// `grok-coord export RUN_DIR`: every evaluation point of every trial as one long table
/// (`curves.csv`), from the journal (and, for trials still running, their curves so far).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every trial's curve as one long table (curves.csv) for pandas.",
        discussion: """
            One row per evaluation: trial, cell, label, each axis, seed, status, outcome, step, \
            losses, accuracies and diagnostics. Works on finished, running and interrupted runs.
            """
    )

    @Argument(help: "The run directory (the one holding journal.jsonl).")
    var runDirectory: String

    @Option(name: .shortAndLong, help: "Where to write the table (default: RUN_DIR/curves.csv; - for stdout).")
    var output: String?

    func run() throws {
        let state = try UserFacingError.reporting { try Journal.read(runDirectory: runDirectory) }
        guard state.sweep != nil else { UserFacingError.fail("\(runDirectory) holds no sweep journal") }
        let table = CurvesCSV.render(state: state, partialCurves: PartialCurves(runDirectory: runDirectory))
        let path = output ?? (runDirectory as NSString).appendingPathComponent(CurvesCSV.fileName)
        if path == "-" {
            print(table, terminator: "")
            return
        }
        do { try table.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            UserFacingError.fail("cannot write \(path): \(error.localizedDescription)")
        }
        let rows = table.split(separator: "\n").count - 1
        print("\(CurvesCSV.fileName.padding(toLength: 15, withPad: " ", startingAt: 0))\(path)  (\(rows) rows)")
    }
}
