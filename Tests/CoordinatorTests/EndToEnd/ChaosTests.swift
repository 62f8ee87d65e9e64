import Foundation
import Testing

/// The chaos test (scripts/chaos.sh) in a reduced form, checkpoints on: 16 trials of ~1 s, 2 workers, at least
/// one worker kill -9, one SIGSTOP beyond the liveness timeout and one coordinator kill -9 with
/// restart. The script itself checks every trial finished exactly once with the clean run's
/// numbers and prints its summary; this test runs it on the binaries under test.
@Suite("End to end: chaos (reduced)", .serialized, .timeLimit(.minutes(6)))
struct ChaosTests {
    static let hasPython: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import csv, json"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    @Test(
        "kills, a stop beyond the liveness timeout and a coordinator restart: no trial lost or doubled, same numbers",
        .enabled(if: hasPython, "python3 is needed by the chaos script's checker"))
    func reducedChaos() async throws {
        let directory = try EndToEnd.scratchDirectory("chaos")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (status, output) = try await EndToEnd.runScript(
            "chaos.sh",
            [
                "--trials", "16", "--budget", "4000", "--workers", "2", "--coordinator-kills", "1", "--seed", "3",
                "--checkpoint-every", "0.3",
            ], in: directory)
        print(output.split(separator: "\n").filter { $0.hasPrefix("chaos") || $0.hasPrefix("  ") }.joined(separator: "\n"))
        #expect(status == 0, "\(output)")
        #expect(output.contains("trials lost: 0, duplicates: 0, results different from the clean run: 0 of 16"), "\(output)")
        // The killer forces one fault of each kind, then chance may add more (up to 2 SIGSTOPs): at
        // least one of each must have happened.
        #expect(Self.count(before: " coordinator kill -9s", in: output) == 1, "\(output)")
        #expect((Self.count(before: " SIGSTOPs", in: output) ?? 0) >= 1, "\(output)")
        #expect((Self.count(before: " worker kill -9s", in: output) ?? 0) >= 1, "\(output)")
        #expect(output.contains("chaos: PASS"))
    }

    /// The number written just before `suffix` in the chaos summary ("survived 3 worker kill -9s").
    static func count(before suffix: String, in output: String) -> Int? {
        guard let range = output.range(of: suffix) else { return nil }
        let digits = output[..<range.lowerBound].reversed().prefix { $0.isNumber }
        return Int(String(digits.reversed()))
    }
}
