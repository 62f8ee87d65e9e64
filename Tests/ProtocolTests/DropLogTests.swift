import Foundation
import Logging
import Synchronization
import Testing

@testable import Protocol

/// Collects what a logger writes, for counting warnings.
final class CapturedLog: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    var all: [Line] { lines.withLock { $0 } }

    func logger(label: String = "captured") -> Logger {
        Logger(label: label) { _ in Handler(sink: self) }
    }

    fileprivate func append(_ line: Line) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let sink: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append(Line(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

@Suite("Dropped input is logged at most once per peer and reason per interval")
struct DropLogTests {
    @Test("403 garbage frames from one peer: every one counted and dropped, one warning per reason")
    func garbageBurstLogsOnce() throws {
        let log = CapturedLog()
        let network = InMemoryNetwork(logger: log.logger())
        for index in 0..<403 {
            network.injectFrame(
                Data(index.isMultiple(of: 2) ? "not json".utf8 : #"{"v":1,"type":"teleport","body":{}}"#.utf8),
                from: PeerID("noisy"))
        }
        network.injectFrame(Data("junk".utf8), from: PeerID("other"))
        #expect(network.coordinator.counters.droppedInbound == 404)
        let warnings = log.all.filter { $0.level == .warning }
        let byPeerAndReason = Dictionary(grouping: warnings) { "\($0.metadata["peer"] ?? "")/\($0.metadata["reason"] ?? "")" }
        #expect(byPeerAndReason.keys.sorted() == ["noisy/malformedJSON", "noisy/unknownType", "other/malformedJSON"])
        #expect(byPeerAndReason.values.allSatisfy { $0.count == 1 }, "\(warnings.map(\.message))")
        #expect(network.coordinator.receive(timeout: .zero) == nil)
    }

    @Test("after the interval the next drop is logged with the count suppressed before it")
    func summaryAfterInterval() throws {
        let log = CapturedLog()
        let drops = DropLog(logger: log.logger(), interval: .milliseconds(50))
        for _ in 0..<10 { drops.record("dropped", peer: "p", reason: "r", detail: [:]) }
        Thread.sleep(forTimeInterval: 0.08)
        drops.record("dropped", peer: "p", reason: "r", detail: [:])
        let lines = log.all
        #expect(lines.count == 2)
        #expect(lines.last?.metadata["suppressed"]?.hasPrefix("9 ") == true, "\(lines.map(\.metadata))")
    }
}
