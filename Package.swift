// swift-tools-version:6.1
// The dependency graph is the architecture: one target per concern (see ../shared/DESIGN.md and README.md).
import PackageDescription

let package = Package(
    name: "invoice-shadow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "invoice-shadow", targets: ["InvoiceShadowCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // C edges: system libraries found through pkg-config, nothing vendored.
        .systemLibrary(
            name: "CPython",
            pkgConfig: "python3-embed",
            providers: [.apt(["libpython3-dev"])]
        ),
        .systemLibrary(
            name: "Crdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),

        // Shadow core: routing, canonicalization, diff, signatures, statistics, cutover policy. No I/O.
        .target(name: "ShadowCore"),
        // The Swift port of the legacy invoice service: pure functions from event bytes to a rendered invoice.
        .target(name: "InvoiceService", dependencies: ["ShadowCore"]),
        // Embeds Debian's CPython and runs the legacy service on one dedicated thread.
        .target(name: "PythonBridge", dependencies: ["CPython", "ShadowCore"]),
        // Kafka consumer, producer and the embedded mock cluster, through librdkafka.
        .target(name: "KafkaIO", dependencies: ["Crdkafka"]),
        // SQLite store: comparisons, discrepancies, latency, flags, audit.
        .target(name: "ShadowStore", dependencies: ["ShadowCore"]),
        // Dashboard, JSON API and /metrics.
        .target(name: "ShadowWeb", dependencies: ["ShadowCore", "ShadowStore"]),
        // The `invoice-shadow` command.
        .executableTarget(
            name: "InvoiceShadowCLI",
            dependencies: [
                "ShadowCore", "InvoiceService", "PythonBridge", "KafkaIO", "ShadowStore", "ShadowWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test helpers shared by every test target: paths, the one shared interpreter, sample events.
        .target(name: "TestSupport", dependencies: ["PythonBridge", "ShadowCore"], path: "Tests/TestSupport", exclude: ["python"]),
        .testTarget(name: "ShadowCoreTests", dependencies: ["ShadowCore"]),
        .testTarget(name: "PythonBridgeTests", dependencies: ["PythonBridge", "ShadowCore", "TestSupport"]),
    ]
)
