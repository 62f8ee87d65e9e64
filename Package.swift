// swift-tools-version:6.0
import PackageDescription

/// Numeric code needs libm calls that do not set errno (so sqrt/exp vectorise) and a modern
/// x86-64 target (AVX2/FMA); both only matter for optimised builds.
let numericFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-fno-math-errno", "-target-cpu", "haswell"], .when(configuration: .release))
]

let package = Package(
    name: "GrokSweep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "grok-coord", targets: ["Coordinator"]),
        .executable(name: "grok-worker", targets: ["Worker"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Protocol", targets: ["Protocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),

        // MARK: Libraries
        // The trial's value types (config, curve points), shared by Engine and Protocol; no JSON.
        .target(name: "TrialSchema"),
        .target(
            name: "Engine",
            dependencies: ["COpenBLAS", "TrialSchema"],
            swiftSettings: numericFlags
        ),
        .target(
            name: "Protocol",
            dependencies: [
                "CZeroMQ",
                "TrialSchema",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Executables
        // The coordinator starts `grok-worker` processes from its own folder: depending on the
        // Worker executable makes `swift run grok-coord` build both.
        .executableTarget(
            name: "Coordinator",
            dependencies: [
                "Engine",
                "Protocol",
                "TrialSchema",
                "Worker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "Engine",
                "Protocol",
                "TrialSchema",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: numericFlags
        ),

        // MARK: Tests
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TrialSchema"], swiftSettings: numericFlags),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol", "TrialSchema"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Protocol", "TrialSchema"]),
        .testTarget(
            name: "WorkerTests", dependencies: ["Worker", "Engine", "Protocol", "TrialSchema"],
            swiftSettings: numericFlags),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzzing (`scripts/fuzz.sh` only): libFuzzer's entry points over the frame decoder and the
// sweep-file parser, whose sources the target shares with the coordinator through a link.
if Context.environment["GROKSWEEP_FUZZ"] != nil {
    package.products.append(.executable(name: "grok-fuzz", targets: ["GrokFuzz"]))
    package.targets.append(
        .executableTarget(
            name: "GrokFuzz",
            dependencies: ["Engine", "Protocol", "TrialSchema"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]
        ))
}
