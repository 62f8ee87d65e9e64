import Foundation
import Protocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes a journal with corrupt lines in its middle replayable again, losing only those lines.
///
/// Every line that does not parse, or cannot follow the lines kept before it (a record of a
/// trial whose earlier record was set aside), is set aside; the rest is written to a new
/// journal that replaces the old one atomically, and the old one is kept beside it untouched.
/// A trial whose records were set aside is simply in an earlier state — queued, or running —
/// and runs again. The sweep record on the first line cannot be set aside: without it the run
/// has no trials.
enum JournalRepair {
    struct SetAside: Equatable, Sendable {
        /// The 1-based line number in the original journal.
        var line: Int
        var reason: String
    }

    struct Outcome: Sendable {
        var setAside: [SetAside]
        var kept: Int
        /// Where the original journal was kept (nil when there was nothing to repair).
        var original: String?
    }

    /// Repairs `RUN_DIR/journal.jsonl` in place, holding the run's lock while it does.
    static func repair(runDirectory: String, now: Date = Date()) throws -> Outcome {
        let path = (runDirectory as NSString).appendingPathComponent(Journal.fileName)
        guard FileManager.default.fileExists(atPath: path) else { throw JournalError.missing(file: path) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw JournalError.io(file: path, reason: "cannot open (\(errnoText()))") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { throw JournalError.locked(file: path) }
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw JournalError.io(file: path, reason: "cannot read (\(error.localizedDescription))")
        }
        let (kept, setAside) = try sift(bytes, file: path)
        guard !setAside.isEmpty else { return Outcome(setAside: [], kept: kept.count, original: nil) }

        let stamp = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let original = (runDirectory as NSString).appendingPathComponent("journal.before-repair-\(stamp).jsonl")
        let replacement = path + ".repairing"
        var text = Data()
        for range in kept {
            text.append(contentsOf: bytes[range])
            text.append(UInt8(ascii: "\n"))
        }
        try writeDurably(text, to: replacement)
        // The original first gets a second name, so at every instant one complete journal exists.
        guard link(path, original) == 0 else {
            throw JournalError.io(file: original, reason: "cannot keep the original journal (\(errnoText()))")
        }
        guard rename(replacement, path) == 0 else {
            throw JournalError.io(file: path, reason: "cannot replace the journal (\(errnoText()))")
        }
        Journal.syncDirectory(runDirectory)
        return Outcome(setAside: setAside, kept: kept.count, original: original)
    }

    /// Splits the journal's lines into those that replay and those set aside, in order.
    static func sift(_ bytes: [UInt8], file: String) throws -> (kept: [Range<Int>], setAside: [SetAside]) {
        let lines = JournalReplay.lineRanges(of: bytes)
        var state = JournalState()
        var kept: [Range<Int>] = []
        var setAside: [SetAside] = []
        for (index, range) in lines.enumerated() where !JournalReplay.isBlankLine(bytes[range]) {
            let record: JournalRecord
            do { record = try JournalRecord(json: JSONValue.parse(Data(bytes[range]))) } catch {
                setAside.append(SetAside(line: index + 1, reason: "not a journal record: \(error)"))
                continue
            }
            if state.sweep == nil {
                guard case .sweep = record else {
                    throw JournalError.badLine(
                        file: file, line: index + 1,
                        reason: "the journal must start with a sweep record, found \(record.typeName); it cannot be repaired")
                }
            }
            do {
                try state.apply(record)
                kept.append(range)
            } catch {
                setAside.append(SetAside(line: index + 1, reason: "\(error)"))
            }
        }
        guard state.sweep != nil else {
            throw JournalError.badLine(file: file, line: 1, reason: "no readable sweep record; the journal cannot be repaired")
        }
        return (kept, setAside)
    }

    private static func writeDurably(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw JournalError.io(file: path, reason: "cannot write (\(errnoText()))")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        defer { if descriptor >= 0 { close(descriptor) } }
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            throw JournalError.io(file: path, reason: "cannot sync (\(errnoText()))")
        }
    }

    private static func errnoText() -> String { Journal.errnoText() }
}
