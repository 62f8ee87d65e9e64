import Foundation
import Synchronization
import Testing

@testable import Engine

/// The fork–join team behind every split loop and product. A missed wake-up would hang a job,
/// so the suite has a time limit.
@Suite(.timeLimit(.minutes(6)))
struct ComputeTeamTests {
    /// Each part runs exactly once, on every job, however jobs follow each other (helpers both
    /// spinning and asleep between them).
    @Test func everyPartRunsExactlyOncePerJob() {
        let team = ComputeTeam(size: 3)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        for job in 0..<2_000 {
            if job % 500 == 499 { Thread.sleep(forTimeInterval: 0.01) }  // long enough for helpers to sleep
            team.run(parts: job % 2 == 0 ? 3 : 2) { part in counts[part] += 1 }
        }
        #expect(Array(counts) == [2_000, 2_000, 1_000])
    }

    /// A job started inside a part, or while another caller's job runs, runs inline: same parts.
    @Test func nestedAndConcurrentJobsRunInline() async {
        let team = ComputeTeam(size: 2)
        let total = Atomic<Int>(0)
        team.run(parts: 2) { _ in
            team.run(parts: 2) { inner in total.add(inner + 1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 6)
        await withTaskGroup(of: Int.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    var sum = 0
                    for _ in 0..<200 {
                        let partial = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
                        team.run(parts: 2) { part in partial[part] = caller * 10 + part }
                        sum += partial[0] + partial[1]
                        partial.deallocate()
                    }
                    return sum
                }
            }
            var sums: [Int] = []
            for await sum in group { sums.append(sum) }
            #expect(sums.sorted() == (0..<4).map { 200 * (2 * $0 * 10 + 1) })
        }
    }

    /// Resizing while another thread runs jobs never loses or repeats a part.
    @Test func resizingDuringJobsKeepsEveryPartExactlyOnce() async {
        let team = ComputeTeam(size: 3)
        let done = Atomic<Bool>(false)
        let resizer = Task.detached {
            var size = 1
            while !done.load(ordering: .relaxed) {
                team.resize(size)
                size = size % 3 + 1
            }
        }
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        for _ in 0..<5_000 { team.run(parts: 3) { part in counts[part] += 1 } }
        done.store(true, ordering: .relaxed)
        await resizer.value
        #expect(Array(counts) == [5_000, 5_000, 5_000])
    }

    /// Growing starts the missing helpers with the next job; after shrinking, a job with more
    /// parts than threads runs inline, and every part still runs once.
    @Test func resizingKeepsEveryPartExactlyOnce() {
        let team = ComputeTeam(size: 1)
        for size in [1, 3, 2, 4, 1, 3] {
            team.resize(size)
            #expect(team.size == size)
            for parts in 1...5 {
                let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: parts)
                counts.initialize(repeating: 0)
                team.run(parts: parts) { part in counts[part] += 1 }
                #expect(Array(counts) == Array(repeating: 1, count: parts), "size \(size), parts \(parts)")
                counts.deallocate()
            }
        }
    }
}
