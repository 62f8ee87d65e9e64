import ArgumentParser
import Foundation

/// `grok-coord status RUN_DIR`: the running sweep as its coordinator's live view shows it, read
/// from `RUN_DIR/status.json` — from another shell, or another machine that sees the run
/// directory — plus the failed trials with their errors.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a sweep's progress from its run directory (running trials, counts, ETA, failures).",
        discussion: """
            Reads the status file the coordinator keeps current in the run directory (rewritten \
            every 2 seconds while the sweep runs). With --watch, redraws until the sweep ends.
            """
    )

    @Argument(help: "The run directory, e.g. runs/weakdim.")
    var runDirectory: String

    @Flag(help: "Redraw every --interval seconds until the sweep ends (Ctrl-C to stop watching).")
    var watch = false

    @Option(help: "Seconds between redraws with --watch.")
    var interval: Double = 2

    /// A status older than this while the sweep says it runs means the coordinator stopped.
    static let staleAfter: Double = 30

    func validate() throws {
        guard interval >= 0.2 else { throw ValidationError("--interval must be at least 0.2 seconds") }
    }

    func run() throws {
        let terminal = isatty(1) == 1
        while true {
            let status = try UserFacingError.reporting { try StatusFile.read(runDirectory: runDirectory) }
            let width = terminal ? Terminal.size().columns : .max
            let text = Self.render(status, width: width, now: Date().timeIntervalSince1970).joined(separator: "\n")
            print((watch && terminal ? "\u{1B}[H\u{1B}[2J" : "") + text)
            guard watch, status.phase == .running else { return }
            fflush(nil)  // all output streams: `stdout` itself is not concurrency-safe in Swift 6
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// The live view's lines, then what only a reader from outside needs: the state of the
    /// sweep, how old the status is, and every failed trial with its error.
    static func render(_ status: SweepStatus, width: Int, now: Double) -> [String] {
        let age = max(now - status.updatedAt, 0)
        var head = "sweep \(status.sweep): \(status.phase.rawValue)"
        switch status.phase {
        case .running where age > staleAfter:
            head +=
                " — but not updated for \(LiveView.duration(age)): the coordinator (pid \(status.coordinatorPid)) "
                + "seems stopped; run the sweep again to resume"
        case .running:
            head += " (updated \(LiveView.duration(age)) ago)"
        case .complete, .interrupted:
            head += " (\(status.finished) finished, \(status.failed) failed of \(status.total))"
        }
        var lines = [LiveView.clip(head, to: width)]
        lines += LiveView.lines(status, width: width, maximumTrials: .max)
        if !status.failures.isEmpty {
            lines.append("failed trials:")
            for failure in status.failures {
                lines.append(LiveView.clip("  \(failure.label) s\(failure.seed)  \(failure.trial.prefix(12))  \(failure.error)", to: width))
            }
        }
        return lines
    }
}
