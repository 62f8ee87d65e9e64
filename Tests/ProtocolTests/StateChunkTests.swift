import Foundation
import Protocol
import Testing

@Suite struct StateChunkTests {
    static let state = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })

    @Test func splitAndAssembleRoundTrip() {
        let chunks = StateChunk.split(Self.state, trialId: "t", step: 40, chunkBytes: 3_000)
        #expect(chunks.map(\.part) == [0, 1, 2, 3])
        #expect(chunks.allSatisfy { $0.parts == 4 && $0.data.count <= 3_000 })
        var assembler = StateAssembler()
        let outcomes = chunks.map { assembler.add($0) }
        #expect(outcomes.dropLast().allSatisfy { $0 == .incomplete })
        #expect(outcomes.last == .complete(Self.state, step: 40))
    }

    @Test func everyChunkFitsOneFrame() throws {
        let big = Data(repeating: 0xAB, count: StateChunk.maximumBytes + 1)
        let chunks = StateChunk.split(big, trialId: "t", step: 1)
        #expect(chunks.count == 2)
        for chunk in chunks {
            let frame = try MessageCodec.encode(.state(chunk))
            #expect(frame.count <= MessageCodec.maximumFrameBytes)
            #expect(try MessageCodec.decode(frame) == .state(chunk))
        }
    }

    @Test func repeatsAreHarmlessAndGapsRestart() {
        let chunks = StateChunk.split(Self.state, trialId: "t", step: 40, chunkBytes: 4_000)
        var assembler = StateAssembler()
        #expect(assembler.add(chunks[0]) == .incomplete)
        #expect(assembler.add(chunks[0]) == .incomplete)
        guard case .dropped = assembler.add(chunks[2]) else {
            Issue.record("a gap must drop the chunk")
            return
        }
        // The assembly restarts at the next part 0.
        guard case .dropped = assembler.add(chunks[1]) else {
            Issue.record("no part 0 since the gap")
            return
        }
        #expect(chunks.map { assembler.add($0) }.last == .complete(Self.state, step: 40))
    }

    @Test func aNewerStateReplacesOneHalfAssembled() {
        let old = StateChunk.split(Self.state, trialId: "t", step: 40, chunkBytes: 4_000)
        let newer = StateChunk.split(Self.state.prefix(500), trialId: "t", step: 90, chunkBytes: 4_000)
        var assembler = StateAssembler()
        #expect(assembler.add(old[0]) == .incomplete)
        #expect(assembler.add(newer[0]) == .complete(Self.state.prefix(500), step: 90))
        guard case .dropped = assembler.add(old[1]) else {
            Issue.record("a stale chunk must be dropped")
            return
        }
    }

    @Test func anOversizedStateIsRefused() {
        var assembler = StateAssembler(maximumStateBytes: 8 * 1024 * 1024)
        guard case .dropped = assembler.add(StateChunk(trialId: "t", step: 1, part: 0, parts: 1_000, data: Data())) else {
            Issue.record("a state announced larger than the limit must be refused")
            return
        }
    }
}
