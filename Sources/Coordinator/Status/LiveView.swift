import Foundation

/// Draws a `SweepStatus` as text: a summary line, then one line per running trial (cell, seed,
/// worker, step / budget, train and test accuracy, steps/s, its ETA). On a terminal the block
/// is redrawn in place once a second; into a pipe or a log it is printed as plain lines every
/// `pipeInterval`. `grok-coord status` uses the same lines.
final class LiveView {
    private let isTerminal: Bool
    private let pipeInterval: TimeInterval
    private var lastPipeBlock = Date.distantPast
    /// Lines of the block drawn last, to move back over them.
    private var drawnLines = 0

    init(isTerminal: Bool = isatty(2) == 1, pipeInterval: TimeInterval = 10) {
        self.isTerminal = isTerminal
        self.pipeInterval = pipeInterval
    }

    func show(_ status: SweepStatus) {
        if isTerminal {
            let size = Terminal.size()
            let lines = Self.lines(status, width: size.columns, maximumTrials: max(size.rows - 4, 3))
            var text = drawnLines > 1 ? "\u{1B}[\(drawnLines - 1)A" : ""
            text += "\r" + lines.map { "\u{1B}[K" + $0 }.joined(separator: "\n") + "\u{1B}[J"
            FileHandle.standardError.write(Data(text.utf8))
            drawnLines = lines.count
        } else if Date().timeIntervalSince(lastPipeBlock) >= pipeInterval || status.phase != .running {
            let lines = Self.lines(status, width: .max, maximumTrials: .max)
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            lastPipeBlock = Date()
        }
    }

    /// Ends the block on a terminal so later output starts on a fresh line.
    func finish() {
        if isTerminal, drawnLines > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        drawnLines = 0
    }

    // MARK: Text

    static func lines(_ status: SweepStatus, width: Int, maximumTrials: Int) -> [String] {
        // The ETA comes first: on a narrow terminal the end of the line is what gets cut.
        var summary = "[\(status.done)/\(status.total)]"
        if let eta = status.etaSeconds, status.phase == .running, status.done < status.total {
            summary += " ETA \(duration(eta))"
        }
        summary +=
            "  running \(status.runningCount)  queued \(status.queued)  failed \(status.failed)  "
            + "censored \(status.censored)  workers \(status.workers)  elapsed \(duration(status.elapsed))"
        var lines = [summary]
        let shown = status.running.sorted { ($0.label, $0.seed, $0.trial) < ($1.label, $1.seed, $1.trial) }
        for trial in shown.prefix(maximumTrials) { lines.append("  " + line(trial)) }
        if shown.count > maximumTrials { lines.append("  … and \(shown.count - maximumTrials) more running") }
        return lines.map { clip($0, to: width) }
    }

    static func line(_ trial: SweepStatus.RunningTrial) -> String {
        var parts = ["\(trial.label) s\(trial.seed)", trial.worker]
        guard let step = trial.step else {
            parts.append(trial.attempt > 1 ? "starting (attempt \(trial.attempt))" : "starting")
            return parts.joined(separator: "  ")
        }
        parts.append("step \(step)/\(trial.budget)")
        if let train = trial.trainAccuracy, let test = trial.testAccuracy {
            parts.append("train \(accuracy(train))  test \(accuracy(test))")
        }
        if let rate = trial.stepsPerSecond {
            parts.append(rate >= 100 ? String(format: "%.0f steps/s", rate) : String(format: "%.1f steps/s", rate))
        }
        if let left = trial.secondsLeft { parts.append("ETA \(duration(left))") }
        return parts.joined(separator: "  ")
    }

    static func accuracy(_ value: Double) -> String { value.isFinite ? String(format: "%.3f", value) : "—" }

    static func clip(_ line: String, to width: Int) -> String {
        line.count <= width ? line : String(line.prefix(max(width - 1, 1))) + "…"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
    }
}

/// The size of the terminal on stderr (or stdout), falling back to `COLUMNS` and 100 × 24.
enum Terminal {
    static func size() -> (columns: Int, rows: Int) {
        var size = winsize()
        for descriptor in [STDERR_FILENO, STDOUT_FILENO] where ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 {
            return (Int(size.ws_col), max(Int(size.ws_row), 8))
        }
        let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 100
        return (max(columns, 40), 24)
    }
}
