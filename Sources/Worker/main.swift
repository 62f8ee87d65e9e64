import ArgumentParser
import Foundation

/// `grok-worker`: runs GrokSweep trials on the engine — one from a file (`trial`), or as a
/// service that takes trials from a coordinator (`run`).
struct GrokWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grok-worker",
        abstract: "Run GrokSweep trials on the CPU training engine.",
        subcommands: [RunCommand.self, TrialCommand.self, BenchCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// A mistake in what the user gave (a bad config file): one line on stderr and exit status 1,
/// without the usage text that ArgumentParser prints for a `ValidationError`.
enum UserMistake {
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("grok-worker: error: \(message)\n".utf8))
        GrokWorker.exit(withError: ExitCode.failure)
    }
}

GrokWorker.main()
