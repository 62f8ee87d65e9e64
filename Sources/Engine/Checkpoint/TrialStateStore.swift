import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The latest saved state of each trial, `DIR/KEY.state`, and the one before it
/// (`KEY.previous.state`), where KEY is the trial's `stateKey` — its id without the budget, so a
/// censored trial's final state is found again when the sweep file raises the budget. DIR is a
/// run's `states/` folder: the coordinator's, which workers on a shared filesystem may write to
/// directly (`grok-worker --shared-states`) instead of sending their states over the network.
///
/// Owns durability and trust: a state is written to a temporary file, synced and renamed over
/// the latest (which becomes the previous one), so a crash leaves either the old state or the
/// new one, never half of one. States are opaque here except for the engine's envelope: the
/// checksum is checked when a state arrives and again before one is handed out, and a state is
/// handed only to a worker of the build and compute-thread count it was saved with (another
/// one could not continue it bit for bit, and refuses it).
public struct TrialStateStore: Sendable {
    public static let folder = "states"

    public let directory: String

    /// The store of a run directory (its `states/` folder).
    public init(runDirectory: String) {
        directory = (runDirectory as NSString).appendingPathComponent(Self.folder)
    }

    /// The store in `directory` itself.
    public init(directory: String) {
        self.directory = directory
    }

    private func path(_ key: String, previous: Bool = false) -> String {
        (directory as NSString).appendingPathComponent(previous ? "\(key).previous.state" : "\(key).state")
    }

    /// Why a state was not kept or not handed out; logged, never fatal (the trial then starts
    /// from an older state or from step 0).
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// A file operation that failed, with the file and the system's reason.
    public struct IOFailure: Error, CustomStringConvertible {
        public var description: String
    }

    // MARK: Saving

    /// Checks the envelope of `data` (magic, version, checksum) and that it was saved by
    /// `build`, then makes it the latest state of `key`. Throws `Refusal` or an I/O error.
    public func save(_ data: Data, key: String, build: String) throws {
        let header: TrialStateCoder.Header
        do { header = try TrialStateCoder.header(of: data) } catch { throw Refusal(description: "\(error)") }
        guard header.build == build else {
            throw Refusal(description: "saved by build \(header.build) but sent by a worker of build \(build)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Unique per process: a worker and the coordinator may write one trial's states.
        let temporary = path(key) + ".\(getpid()).partial"
        try Self.writeSynced(data, to: temporary)
        if FileManager.default.fileExists(atPath: path(key)) {
            guard rename(path(key), path(key, previous: true)) == 0 else { throw Self.ioError("rename", path(key)) }
        }
        guard rename(temporary, path(key)) == 0 else { throw Self.ioError("rename", temporary) }
        Self.syncDirectory(directory)
    }

    // MARK: Handing out

    /// The newest intact state of `key` that a worker of `build` running `threads` compute
    /// threads can continue, and why any newer one was passed over.
    public func load(key: String, build: String, threads: Int) -> (state: Data?, refusals: [String]) {
        var refusals: [String] = []
        for previous in [false, true] {
            let file = path(key, previous: previous)
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            do {
                let header = try TrialStateCoder.header(of: data)
                guard header.build == build else {
                    refusals.append("\(file): saved by build \(header.build), the worker runs \(build)")
                    continue
                }
                guard header.threads == threads else {
                    refusals.append("\(file): saved with \(header.threads) compute threads, the worker runs \(threads)")
                    continue
                }
                return (data, refusals)
            } catch {
                refusals.append("\(file): \(error)")
            }
        }
        return (nil, refusals)
    }

    // MARK: POSIX

    private static func writeSynced(_ data: Data, to file: String) throws {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ioError("open", file) }
        defer { close(descriptor) }
        var written = 0
        try data.withUnsafeBytes { raw in
            while written < raw.count {
                let count = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw ioError("write", file) }
                written += count
            }
        }
        guard fsync(descriptor) == 0 else { throw ioError("sync", file) }
    }

    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func ioError(_ what: String, _ file: String) -> Error {
        IOFailure(description: "\(file): cannot \(what) (\(String(cString: strerror(errno))))")
    }
}
