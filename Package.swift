// swift-tools-version:6.0
import PackageDescription

/// Numeric code needs libm calls that do not set errno (so sqrt/exp vectorise) and a modern
/// x86-64 target (AVX2/FMA); both only matter for optimised builds.
let numericFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-fno-math-errno", "-target-cpu", "haswell"], .when(configuration: .release)),
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
        .target(
            name: "Engine",
            dependencies: ["COpenBLAS"],
            swiftSettings: numericFlags
        ),
        .target(
            name: "Protocol",
            dependencies: [
                "CZeroMQ",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Executables
        // The coordinator starts `grok-worker` processes from its own folder: depending on the
        // Worker executable makes `swift run grok-coord` build both.
        .executableTarget(
            name: "Coordinator",
            dependencies: [
                "Protocol",
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
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: numericFlags
        ),

        // MARK: Tests
        .testTarget(name: "EngineTests", dependencies: ["Engine"], swiftSettings: numericFlags),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Protocol"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Engine", "Protocol"], swiftSettings: numericFlags),
    ],
    swiftLanguageModes: [.v5]
)
