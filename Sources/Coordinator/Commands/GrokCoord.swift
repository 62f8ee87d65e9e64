import ArgumentParser
import Engine
import Foundation
import Protocol

/// `grok-coord`: the root command and the executable's entry point. `run` is the default
/// subcommand, so `grok-coord sweeps/x.json` runs a sweep.
@main
struct GrokCoord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grok-coord",
        abstract: "Run GrokSweep hyperparameter sweeps over grokking experiments.",
        subcommands: [
            RunSweepCommand.self, ExpandCommand.self, StatusCommand.self, ReportCommand.self, ExportCommand.self, RepairCommand.self,
            KeysCommand.self,
            DispatchBenchmarkCommand.self, SimulateWorkersCommand.self,
        ],
        defaultSubcommand: RunSweepCommand.self
    )
}

/// `grok-coord expand SWEEP.json`: validates a sweep file and prints its trial table (a dry run).
struct ExpandCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Validate a sweep file and print its trials without running them."
    )

    @Argument(help: "The sweep file, e.g. sweeps/smoke.json.")
    var sweepFile: String

    @Option(help: "Maximum line width of the table.")
    var width = 100

    func validate() throws {
        guard width >= 40 else { throw ValidationError("--width must be at least 40") }
    }

    func run() async throws {
        let plan = try UserFacingError.reporting { try SweepPlan.load(path: sweepFile) }
        let cost = SweepCost(plan: plan)
        print(TrialTable(plan: plan, width: width, cost: cost).render(), terminator: "")
        if let refusal = cost.refusal(plan: plan, memoryLimit: TrialCost.physicalMemory, where: "this machine") {
            UserFacingError.fail(refusal)
        }
    }
}

// MARK: - Errors for people

/// Turns the errors a user can cause (a bad sweep file, a journal that does not match) into one
/// line on stderr and exit status 1: no stack trace, no usage text.
enum UserFacingError {
    static func reporting<Value>(_ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as ConfigError {
            fail(error.description)
        } catch let error as JournalError {
            fail(error.description)
        } catch let error as IllegalTransition {
            fail(error.description)
        } catch let error as CurveKeyError {
            fail(error.description)
        } catch let error as StatusFileError {
            fail(error.description)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("grok-coord: error: \(message)\n".utf8))
        GrokCoord.exit(withError: ExitCode.failure)
    }
}
