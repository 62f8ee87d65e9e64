import Testing

@testable import Coordinator

/// The transition table of `TrialState.next(on:attempts:trial:)`, row by row.
@Suite struct TrialStateTests {
    enum Expected: Equatable, Sendable {
        case moved(TrialState)
        case ignored
        case illegal
    }

    struct Row: CustomStringConvertible, Sendable {
        var state: TrialState
        var event: TrialEvent
        var attempts: Int
        var expected: Expected
        var description: String { "\(state) + \(event)" }
    }

    static let running = TrialState.running(worker: "w1", attempt: 1)

    static let rows: [Row] = [
        Row(state: .queued, event: .assign(worker: "w1", attempt: 1), attempts: 0, expected: .moved(running)),
        Row(state: .queued, event: .assign(worker: "w1", attempt: 3), attempts: 1, expected: .illegal),
        Row(state: running, event: .assign(worker: "w2", attempt: 2), attempts: 1, expected: .illegal),
        Row(state: .finished, event: .assign(worker: "w1", attempt: 2), attempts: 1, expected: .illegal),
        Row(state: .failed, event: .assign(worker: "w1", attempt: 4), attempts: 3, expected: .illegal),
        Row(state: running, event: .finish, attempts: 1, expected: .moved(.finished)),
        Row(state: .queued, event: .finish, attempts: 1, expected: .moved(.finished)),
        Row(state: .failed, event: .finish, attempts: 3, expected: .moved(.finished)),
        Row(state: .finished, event: .finish, attempts: 1, expected: .ignored),
        Row(state: running, event: .attemptFail(worker: "w1", attempt: 1), attempts: 1, expected: .moved(.queued)),
        Row(state: running, event: .attemptFail(worker: "w2", attempt: 1), attempts: 1, expected: .illegal),
        Row(state: running, event: .attemptFail(worker: "w1", attempt: 2), attempts: 1, expected: .illegal),
        Row(state: .queued, event: .attemptFail(worker: "w1", attempt: 1), attempts: 1, expected: .illegal),
        Row(state: .finished, event: .attemptFail(worker: "w1", attempt: 1), attempts: 1, expected: .illegal),
        Row(state: .queued, event: .giveUp, attempts: 3, expected: .moved(.failed)),
        Row(state: running, event: .giveUp, attempts: 1, expected: .moved(.failed)),
        Row(state: .finished, event: .giveUp, attempts: 1, expected: .illegal),
        Row(state: .failed, event: .giveUp, attempts: 3, expected: .illegal),
        Row(state: running, event: .interrupt, attempts: 1, expected: .moved(.queued)),
        Row(state: .queued, event: .interrupt, attempts: 0, expected: .ignored),
        Row(state: .finished, event: .interrupt, attempts: 1, expected: .ignored),
    ]

    @Test(arguments: rows)
    func transition(_ row: Row) {
        let actual: Expected
        do {
            switch try row.state.next(on: row.event, attempts: row.attempts, trial: "t1") {
            case .moved(let state): actual = .moved(state)
            case .ignored: actual = .ignored
            }
        } catch let error as IllegalTransition {
            #expect(error.description.hasPrefix("trial t1: cannot "))
            actual = .illegal
        } catch {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(actual == row.expected)
    }

    @Test func progressCountsAttemptsAndKeepsStateOnIllegalEvents() throws {
        var progress = TrialProgress()
        #expect(try progress.apply(.assign(worker: "w1", attempt: 1), trial: "t"))
        #expect(try progress.apply(.attemptFail(worker: "w1", attempt: 1), trial: "t"))
        #expect(throws: IllegalTransition.self) { try progress.apply(.assign(worker: "w1", attempt: 1), trial: "t") }
        #expect(progress.state == .queued && progress.attempts == 1)
        #expect(try progress.apply(.assign(worker: "w2", attempt: 2), trial: "t"))
        #expect(progress.attempts == 2)
    }
}
