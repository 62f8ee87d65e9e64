import Foundation
import Protocol

/// Writes every report file of a run from a journal state and returns what to print.
///
/// Owns the list of report files (`report.md`, `report.html`, `cells.csv`, `trials.csv`) and
/// that each is replaced atomically (written aside, then renamed), so a reader never sees half
/// a file — also when `grok-coord report` runs beside a live sweep.
struct ReportWriter {
    struct Output: Sendable {
        var report: SweepReport
        /// The cell table for the terminal.
        var table: String
        /// Written files, in the order they are listed to the user.
        var files: [String]
    }

    var width = 100

    func write(state: JournalState, runDirectory: String) throws -> Output {
        let report = SweepReport(state: state)
        var files: [String] = []
        do {
            files.append(try ReportMarkdown.write(report: report, runDirectory: runDirectory))
            files.append(try ReportHTML.write(report: report, runDirectory: runDirectory))
            files.append(try CellsCSV.write(report: report, runDirectory: runDirectory))
            files.append(try TrialsCSV.write(state: state, runDirectory: runDirectory))
        } catch {
            throw JournalError.io(file: runDirectory, reason: "cannot write the report (\(error.localizedDescription))")
        }
        return Output(report: report, table: CellTable(report: report, width: width).render(), files: files)
    }

    /// One line per file, `report.html    runs/x/report.html`, for the terminal.
    static func fileListing(_ files: [String]) -> String {
        files.map { path in
            (path as NSString).lastPathComponent.padding(toLength: 15, withPad: " ", startingAt: 0) + path
        }.joined(separator: "\n")
    }
}
