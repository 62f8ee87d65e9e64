import ArgumentParser
import Foundation

/// `grok-coord repair RUN_DIR`: sets a journal's corrupt lines aside so the run can go on.
struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Set a run journal's unreadable lines aside so the run can go on.",
        discussion: """
            For a journal that a run refuses with "line N: …" (a corrupt line in its middle). Every \
            line that does not parse, or cannot follow the lines kept before it, is set aside; the \
            original journal is kept beside the new one as journal.before-repair-TIME.jsonl. Trials \
            whose records were set aside fall back to an earlier state and run again when the sweep \
            is rerun. Refuses while a coordinator uses the run directory.
            """
    )

    @Argument(help: "The run directory (the one holding journal.jsonl).")
    var runDirectory: String

    func run() throws {
        let outcome = try UserFacingError.reporting { try JournalRepair.repair(runDirectory: runDirectory) }
        guard let original = outcome.original else {
            print("\(runDirectory)/\(Journal.fileName): every line replays (\(outcome.kept) records); nothing to repair")
            return
        }
        for line in outcome.setAside { print("set aside line \(line.line): \(line.reason)") }
        print(
            "\(runDirectory)/\(Journal.fileName): kept \(outcome.kept) records, set aside \(outcome.setAside.count); "
                + "the original is \(original)")
    }
}
