import ArgumentParser

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

GrokWorker.main()
