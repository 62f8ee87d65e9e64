/// Why a saved trial state was refused. Each message says what was wrong in one line, so a
/// worker can log it and a user can act on it.
public enum TrialStateError: Error, Equatable, CustomStringConvertible {
    /// The bytes do not start with the format's magic: not a trial state at all.
    case badMagic
    /// Written by a format version this build does not read.
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// Cut short, or a field holds an impossible value.
    case malformed(String)
    /// The stored checksum does not match the bytes: corrupted in storage or transit.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// Saved by another build: continuing would not be bit-identical.
    case otherBuild(state: String, running: String)
    /// Saved with another compute-thread count: products may round differently.
    case otherThreadCount(state: Int, running: Int)
    /// A state of another kind (e.g. a whole trial's where one runner's was expected).
    case wrongContent(expected: String, found: String)
    /// Saved under another training plan (model, optimiser, amplifier, schedule, seed, …;
    /// the budget excepted) or another data split.
    case otherPlan(String)
    /// A parameter, buffer or component whose shape or kind differs from the runner's.
    case shapeMismatch(what: String, expected: String, found: String)
    /// The state stands past the budget of the plan asked to continue it.
    case pastBudget(step: Int, budget: Int)

    public var description: String {
        switch self {
        case .badMagic:
            "not a GrokSweep trial state (bad magic bytes)"
        case .unsupportedVersion(let found, let supported):
            "trial state format version \(found) is not supported (this build reads version \(supported))"
        case .malformed(let detail):
            "malformed trial state: \(detail)"
        case .checksumMismatch(let stored, let computed):
            "trial state checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the state is corrupted"
        case .otherBuild(let state, let running):
            "trial state was saved by another build (\(state)); this is \(running)"
        case .otherThreadCount(let state, let running):
            "trial state was saved with \(state) compute thread(s); this run uses \(running) (bit-identical continuation needs the same count)"
        case .wrongContent(let expected, let found):
            "trial state holds a \(found) state where a \(expected) state was expected"
        case .otherPlan(let detail):
            "trial state belongs to another training plan: \(detail)"
        case .shapeMismatch(let what, let expected, let found):
            "trial state does not fit: \(what) should be \(expected), the state has \(found)"
        case .pastBudget(let step, let budget):
            "trial state is at step \(step), past this run's budget of \(budget) steps"
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
