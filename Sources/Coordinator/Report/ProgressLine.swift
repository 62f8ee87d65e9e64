import Foundation

/// The live status line: done / running / queued / failed of the expected total, with an ETA.
/// Rewritten in place on a terminal; on a pipe or file, one line every `pipeInterval` seconds.
final class ProgressLine {
    private let isTerminal = isatty(2) == 1
    private var lastPipeLine = Date.distantPast
    private let pipeInterval: TimeInterval = 10
    private var shown = false

    func show(_ snapshot: Dispatcher.Snapshot) {
        let done = snapshot.finished + snapshot.failed
        var line = "[\(done)/\(snapshot.total)] running \(snapshot.running)  queued \(snapshot.queued)  "
            + "failed \(snapshot.failed)  censored \(snapshot.censored)  workers \(snapshot.workers)"
        if snapshot.finishedThisSession > 0, done < snapshot.total {
            let rate = Double(snapshot.finishedThisSession) / max(snapshot.elapsed, 1e-3)
            line += "  ETA \(Self.duration(Double(snapshot.total - done) / rate))"
        }
        line += "  elapsed \(Self.duration(snapshot.elapsed))"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            shown = true
        } else if Date().timeIntervalSince(lastPipeLine) >= pipeInterval {
            FileHandle.standardError.write(Data((line + "\n").utf8))
            lastPipeLine = Date()
        }
    }

    func finish() {
        if isTerminal, shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
    }
}
