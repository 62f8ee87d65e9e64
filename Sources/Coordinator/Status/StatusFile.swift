import Foundation

/// `RUN_DIR/status.json`: the latest `SweepStatus`, replaced atomically (write, then rename)
/// at most once per `interval`, so a reader never sees half a file and a large sweep never
/// spends its time rewriting it. Not the journal: losing it loses nothing.
final class StatusFile {
    static let name = "status.json"

    let path: String
    private let interval: Duration
    private var lastWrite: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    init(runDirectory: String, interval: Duration = .seconds(2)) {
        path = (runDirectory as NSString).appendingPathComponent(Self.name)
        self.interval = interval
    }

    /// Writes `status` unless the last write was within the interval; `force` writes anyway
    /// (the final status of a sweep).
    func update(_ status: SweepStatus, force: Bool = false) {
        let now = clock.now
        if !force, let lastWrite, now - lastWrite < interval { return }
        lastWrite = now
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(status).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            printErr("grok-coord: cannot write \(path): \(Self.cause(of: error))")
        }
    }

    /// The system's reason (e.g. "No space left on device") rather than Foundation's wrapper.
    private static func cause(of error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }

    static func read(runDirectory: String) throws -> SweepStatus {
        let path = (runDirectory as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StatusFileError.missing(path)
        }
        do { return try JSONDecoder().decode(SweepStatus.self, from: data) } catch {
            throw StatusFileError.unreadable(path, "\(error)")
        }
    }
}

enum StatusFileError: Error, CustomStringConvertible {
    case missing(String)
    case unreadable(String, String)

    var description: String {
        switch self {
        case .missing(let path): "no status file at \(path): is this a run directory of a sweep started by this version?"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        }
    }
}
