import Foundation
import Protocol

// libFuzzer's entry points: this target exists only when the package is built for fuzzing
// (`scripts/fuzz.sh`, which sets GROKSWEEP_FUZZ and links libFuzzer, whose `main` drives these).
// GROKSWEEP_FUZZ_TARGET picks what is fuzzed: `frame` (the message decoder, the default) or
// `sweep` (the sweep-file parser and grid expansion).

private enum FuzzTarget: String {
    case frame, sweep
}

private let target = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["GROKSWEEP_FUZZ_TARGET"] ?? "frame") ?? .frame

/// Writes a seed corpus of real frames into GROKSWEEP_FUZZ_SEEDS, when set.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    guard target == .frame, let directory = ProcessInfo.processInfo.environment["GROKSWEEP_FUZZ_SEEDS"] else { return 0 }
    let config = try? JSONValue.parse(
        #"{"task":{"kind":"modular","operation":"add","modulus":7},"target":{"embeddingDim":4,"width":8},"budget":20,"seed":1}"#)
    var messages: [Message] = [
        .ready, .heartbeat, .cancel(trialId: "0123456789abcdef", sendState: true),
        .stopped(trialId: "0123456789abcdef", step: 40), .leaving(reason: "SIGTERM"), .shutdown(reason: "done"),
        .failure(trialId: "0123456789abcdef", message: "out of memory"),
        .stateStored(trialId: "0123456789abcdef", step: 100, bytes: 4096), .reject(reason: "no"),
        .progress(
            trialId: "0123456789abcdef", step: 10, trainAccuracy: 0.5, testAccuracy: 0.25, trainLoss: 1.5,
            testLoss: 2.5, stage: .target),
    ]
    if let config { messages.append(.assign(trialId: "0123456789abcdef", attempt: 1, config: config)) }
    for (index, message) in messages.enumerated() {
        guard let frame = try? MessageCodec.encode(message) else { continue }
        try? frame.write(to: URL(fileURLWithPath: directory).appendingPathComponent("seed-\(index)"))
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    switch target {
    case .frame:
        guard let message = try? MessageCodec.decode(input) else { return 0 }
        // What the decoder accepts must re-encode, and decode again to the same message.
        guard let again = try? MessageCodec.encode(message), let decoded = try? MessageCodec.decode(again),
            let twice = try? MessageCodec.encode(decoded), twice == again
        else { fatalError("accepted a frame that does not survive a round trip: \(String(decoding: input, as: UTF8.self))") }
    case .sweep:
        guard let file = try? SweepFile.parse(data: input, file: "fuzz.json") else { return 0 }
        _ = try? SweepExpansion.expand(file)
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The executable's entry (SwiftPM links an executable target's `main` under this name): hands
/// the command line to libFuzzer's driver.
@_cdecl("GrokFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { bytes, size in fuzzOneInput(bytes, size) }
}
