import ArgumentParser
import Foundation
import Protocol

/// `grok-coord report RUN_DIR`: rebuilds every report file of a run from its journal alone.
///
/// Reads the journal without its lock, so it works beside a running sweep and after a killed
/// one (the report then says it is partial); a torn last line, as a crash mid-append leaves it,
/// is ignored.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild report.md, report.html, cells.csv and trials.csv from a run's journal.",
        discussion: """
            Works on finished, running and interrupted runs alike; a run with trials still queued or \
            running is reported as partial. Nothing is written to the journal.
            """
    )

    @Argument(help: "The run directory (the one holding journal.jsonl).")
    var runDirectory: String

    @Option(help: "Maximum line width of the printed table.")
    var width = 100

    @Flag(help: "Write the files but print only their paths.")
    var quiet = false

    func validate() throws {
        guard width >= 60 else { throw ValidationError("--width must be at least 60") }
    }

    func run() throws {
        let output = try UserFacingError.reporting {
            let state = try Journal.read(runDirectory: runDirectory)
            guard state.sweep != nil else {
                throw JournalError.badLine(
                    file: (runDirectory as NSString).appendingPathComponent(Journal.fileName),
                    line: 1, reason: "no sweep record: the journal is empty")
            }
            return try ReportWriter(width: width).write(state: state, runDirectory: runDirectory)
        }
        if !quiet { print(output.table, terminator: "") }
        print(ReportWriter.fileListing(output.files))
    }
}
