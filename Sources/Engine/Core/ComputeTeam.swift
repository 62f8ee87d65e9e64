import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The engine's fork–join team: the calling thread plus `size − 1` helper threads, which run
/// every parallel part of a training step — matrix products and elementwise loops alike.
///
/// One team instead of OpenBLAS's threads plus a second pool: with both, a BLAS thread spinning
/// between products holds a core while a pool thread waits for it. OpenBLAS is kept
/// single-threaded and each part calls it on its own block.
///
/// Part `p` of a job always runs `body(p)` on helper `p` (the caller takes part 0), so which
/// thread computes which block never varies. Helpers spin briefly after a job (the next one is
/// usually microseconds away within a step) and then sleep until woken. A job started while
/// another is running (a second trial in the same process, or a nested split) runs its parts
/// inline on the caller — the same blocks, so the same numbers. Teams live as long as the
/// process: helpers never exit.
// @unchecked Sendable: `job`, `parts` and `helpers` change only with `busy` held, published to helpers by `generation`.
final class ComputeTeam: @unchecked Sendable {
    /// The process's team, sized by `BLAS.threads`.
    static let shared = ComputeTeam(size: BLAS.initialThreads)

    /// The team the engine's products and loops use: `shared`, unless a task binds another
    /// (tests compare thread counts side by side without resizing the shared team).
    @TaskLocal static var current: ComputeTeam = .shared

    /// Helper polls of `generation` before going to sleep: a few hundred microseconds.
    private static let spinLimit = 200_000

    private let generation = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let wakeUp = NSCondition()
    private var job: ((Int) -> Void)?
    private var parts = 0
    private var helpers = 0
    private let threadCount = Atomic<Int>(1)

    /// Threads including the caller.
    var size: Int { threadCount.load(ordering: .relaxed) }

    /// A team of its own (the engine uses `shared`; tests build others).
    init(size: Int) {
        resize(size)
    }

    /// Threads including the caller. Helpers start with the first job that needs them and are
    /// kept; when the team shrinks the surplus ones only acknowledge jobs.
    func resize(_ newSize: Int) {
        precondition(newSize >= 1, "a team needs at least one thread")
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {}
        defer { busy.store(false, ordering: .releasing) }
        threadCount.store(newSize, ordering: .relaxed)
    }

    /// Starts helpers up to `size − 1`; called with the team held, between jobs.
    private func startHelpers() {
        while helpers < size - 1 {
            helpers += 1
            let index = helpers, seen = generation.load(ordering: .acquiring)
            // A split nested in a part then sees this team (busy, so it runs inline) as a caller would.
            let thread = Thread { Self.$current.withValue(self) { self.helperLoop(index: index, seen: seen) } }
            thread.name = "engine-\(index)"
            thread.start()
        }
    }

    /// Runs `body(0) … body(parts − 1)`, concurrently when the team is free and has the threads.
    func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        // Checked with the team held: `resize` cannot change the size until this job ends.
        guard parts <= size else {
            for part in 0..<parts { body(part) }
            return
        }
        startHelpers()
        withoutActuallyEscaping(body) { body in
            job = body
            self.parts = parts
            unfinished.store(helpers, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wakeUp.lock()
                wakeUp.broadcast()
                wakeUp.unlock()
            }
            body(0)
            // Every helper acknowledges every job, so none can still be reading `job` below.
            // Past a short spin, yield: on a busy machine the helper may be waiting for this core.
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 4_096 { sched_yield() }
            }
            job = nil
        }
    }

    private func helperLoop(index: Int, seen start: Int) {
        var seen = start
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                guard spins > Self.spinLimit else { continue }
                // Sleep. The flag is raised before the last look at `generation`, and the
                // publisher looks at the flag after advancing it: one of them sees the other.
                wakeUp.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { wakeUp.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                wakeUp.unlock()
            }
            // A job advances the generation by one and is not followed by another before
            // this helper acknowledges it.
            seen += 1
            if index < parts, let job { job(index) }
            unfinished.subtract(1, ordering: .releasing)
        }
    }
}
