import Foundation
import Protocol
import TrialSchema

/// The curves of running trials so far, one JSON-lines file per trial in `RUN_DIR/partial/`,
/// appended as progress messages arrive (no fsync: losing it loses nothing, the result carries
/// the whole curve). `report` and `export` draw them for trials without a result yet. A trial
/// handed out again keeps the points up to the step it continues from (none when it starts
/// over); a finished one's file is removed.
///
/// Points come at the worker's progress rate (about one a second), so a partial curve is a
/// sample of the evaluations, not all of them.
struct PartialCurves: Sendable {
    static let folder = "partial"

    let directory: String

    init(runDirectory: String) {
        directory = (runDirectory as NSString).appendingPathComponent(Self.folder)
    }

    private func path(_ trial: String) -> String { (directory as NSString).appendingPathComponent("\(trial).jsonl") }

    /// A trial was handed out, from step 0 or continuing from a saved state at `fromStep`: its
    /// curve keeps the points up to that step and drops what the lost attempt ran past it.
    func started(_ trial: String, fromStep: Int? = nil) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let kept = fromStep.map { step in read(trial).filter { $0.step <= step } } ?? []
        let text = kept.map { $0.json.canonicalText + "\n" }.joined()
        _ = FileManager.default.createFile(atPath: path(trial), contents: Data(text.utf8))
    }

    func append(_ trial: String, _ point: CurvePoint) {
        guard let handle = FileHandle(forWritingAtPath: path(trial)) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((point.json.canonicalText + "\n").utf8))
    }

    func finished(_ trial: String) {
        try? FileManager.default.removeItem(atPath: path(trial))
    }

    /// The points recorded for `trial` (an empty array when there are none); a torn last line
    /// is skipped.
    func read(_ trial: String) -> [CurvePoint] {
        guard let data = FileManager.default.contents(atPath: path(trial)) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let json = try? JSONValue.parse(Data(line)) else { return nil }
            return try? CurvePoint(json: json, path: "$")
        }
    }
}
