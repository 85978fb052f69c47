// swift-tools-version:6.1
// The dependency graph is the architecture: one target per concern (see ../shared/DESIGN.md and README.md).
import PackageDescription

/// Debian's static, non-PIC libpython3.11: the same build as /usr/bin/python3. The shared
/// libpython3.11.so is compiled as PIC and renders the legacy invoices about 15% slower
/// (measured: 1,120 against 1,310 renders/s in a plain C embedder), which would be charged to the
/// bridge. Linking it whole, into a non-PIE executable that exports its symbols, lets the
/// extension modules in lib-dynload (_json, _decimal, ...) bind to it.
let staticPython: [LinkerSetting] = [
    .unsafeFlags([
        "-Xlinker", "--whole-archive", "/usr/lib/x86_64-linux-gnu/libpython3.11.a", "-Xlinker", "--no-whole-archive",
        "-Xlinker", "-export-dynamic", "-Xlinker", "-no-pie", "-lexpat", "-lz", "-lm",
    ])
]

let package = Package(
    name: "invoice-shadow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "invoice-shadow", targets: ["InvoiceShadowCLI"]),
        .executable(name: "invoice-fuzz", targets: ["InvoiceFuzz"]),
        .executable(name: "python-floor", targets: ["PythonFloor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SQLite with migrations, WAL pools and typed rows; builds against Debian's libsqlite3.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The HTTP server of serve (health, flags; the dashboard later). No default traits: they pull
        // swift-configuration in, which nothing here uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // /metrics: the Prometheus text format (histograms, label escaping) from the maintained collector
        // registry, used directly; no global MetricsSystem bootstrap.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Already in the graph through Hummingbird; named for the HTTPField names it does not re-export.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Logging handed down from the command line (text or JSON lines); also the web tests' quiet server logger.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // serve's parts as services in one group: a signal shuts them down gracefully, in order. Also in the
        // graph through Hummingbird.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C edges: system libraries found through pkg-config, nothing vendored.
        // Headers only (libpython3-dev); the library is linked statically by PythonBridge below.
        .systemLibrary(
            name: "CPython",
            providers: [.apt(["libpython3-dev"])]
        ),
        .systemLibrary(
            name: "Crdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // OpenSSL's libcrypto: HMAC-SHA256 for redaction tokens (Debian's, already beside librdkafka;
        // swift-crypto would add BoringSSL's compile to every clean build for one function).
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // Log lines as text or JSON, metadata keys in one place, repeated failures counted not dropped.
        .target(
            name: "ShadowLogging",
            dependencies: ["ShadowCore", .product(name: "Logging", package: "swift-log")]),
        // Shadow core: routing, canonicalization, diff, signatures, statistics, cutover policy. No I/O.
        .target(name: "ShadowCore"),
        // Realistic events for replay and benchmarks, deterministic per seed.
        .target(name: "EventGenerator", dependencies: ["ShadowCore"]),
        // The Swift port of the legacy invoice service: pure functions from event bytes to a rendered invoice.
        .target(name: "InvoiceService", dependencies: ["ShadowCore"]),
        // Embeds Debian's CPython and runs the legacy service on one dedicated thread.
        // sched_setaffinity for the Python thread (glibc declares it only with _GNU_SOURCE).
        .target(name: "CThreadTuning"),
        // The running binary's GNU build id: the port's version in the store.
        .target(name: "CBuildID"),
        .target(
            name: "PythonBridge", dependencies: ["CPython", "CThreadTuning", "ShadowCore"], linkerSettings: staticPython
        ),
        // Kafka consumer, producer and the embedded mock cluster, through librdkafka.
        .target(
            name: "KafkaIO",
            dependencies: [
                "Crdkafka", "CThreadTuning", "ShadowLogging", .product(name: "Logging", package: "swift-log"),
            ]),
        // SQLite store: comparisons, discrepancies, latency, flags, audit.
        .target(
            name: "ShadowStore",
            dependencies: [
                "ShadowCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        // The two implementations behind one protocol (ShadowCore's InvoiceRenderer), for replay, serve,
        // the fuzzer and the benchmarks.
        .target(name: "InvoiceRenderers", dependencies: ["ShadowCore", "PythonBridge", "InvoiceService"]),
        // Personal fields of events, and their traces in invoices, replaced by keyed tokens of the same shape.
        .target(name: "Redaction", dependencies: ["CLibCrypto", "ShadowCore", "ShadowStore"]),
        // Replay: both implementations over recorded events, compared and recorded.
        .target(name: "ShadowHarness", dependencies: ["ShadowCore", "ShadowStore", "Redaction"]),
        // One thread that writes what many tasks submit, in batches (rows, documents).
        .target(name: "BatchWriting", dependencies: ["CThreadTuning"]),
        // Published invoices: HTML in an append-only pack, indexed by number in SQLite.
        .target(
            name: "DocumentStore",
            dependencies: [
                "ShadowCore", "BatchWriting", "CThreadTuning", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // serve: Kafka in, primary out, shadow compared and recorded, offsets committed when durable.
        .target(
            name: "ShadowServe",
            dependencies: [
                "ShadowCore", "ShadowStore", "DocumentStore", "BatchWriting", "KafkaIO", "CThreadTuning",
                "ShadowLogging", "Redaction",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Parity reports as HTML, Markdown, JSON and JUnit XML: pure functions of a ParityReport.
        .target(name: "ShadowReports", dependencies: ["ShadowCore"]),
        // Dashboard pages, JSON API, flags writes with bearer tokens, invoices, /metrics.
        .target(
            name: "ShadowWeb",
            dependencies: [
                "ShadowCore", "ShadowStore", "DocumentStore", "ShadowReports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        // The benchmarks behind `invoice-shadow bench`: render, bridge, serve phases, bench.json and bench.md.
        .target(
            name: "ShadowBenchmarks",
            dependencies: [
                "ShadowCore", "InvoiceService", "PythonBridge", "EventGenerator", "InvoiceRenderers", "ShadowServe",
                "DocumentStore", "KafkaIO", "ShadowStore", "ShadowReports", "ShadowLogging",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // python3 built from the library the bridge links, for `bench` to measure the bridge against.
        .executableTarget(name: "PythonFloor", linkerSettings: staticPython),
        // The `invoice-shadow` command.
        .executableTarget(
            name: "InvoiceShadowCLI",
            dependencies: [
                "ShadowCore", "InvoiceService", "PythonBridge", "EventGenerator", "InvoiceRenderers", "ShadowHarness",
                "ShadowReports", "ShadowBenchmarks", "ShadowLogging", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                "ShadowServe", "DocumentStore", "KafkaIO", "ShadowStore", "ShadowWeb", "Redaction", "CBuildID",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // The fuzz target (scripts/fuzz.sh builds it with -sanitize=fuzzer); built normally, it replays inputs.
        .executableTarget(
            name: "InvoiceFuzz",
            dependencies: ["InvoiceService", "ShadowCore", "PythonBridge", "InvoiceRenderers"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),

        // Test helpers shared by every test target: paths, the one shared interpreter, sample events.
        .target(
            name: "TestSupport", dependencies: ["PythonBridge", "ShadowCore", "KafkaIO"], path: "Tests/TestSupport",
            exclude: ["python"]),
        .testTarget(name: "ShadowCoreTests", dependencies: ["ShadowCore"]),
        .testTarget(
            name: "KafkaIOTests",
            dependencies: ["KafkaIO", "TestSupport", "ShadowLogging", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "ShadowStoreTests",
            dependencies: ["ShadowStore", "ShadowCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "ShadowWebTests",
            dependencies: [
                "ShadowWeb", "ShadowStore", "DocumentStore", "ShadowServe", "ShadowCore", "InvoiceRenderers",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "ShadowServeTests",
            dependencies: [
                "ShadowServe", "DocumentStore", "InvoiceRenderers", "KafkaIO", "ShadowStore", "ShadowCore",
                "EventGenerator", "TestSupport", "ShadowLogging", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "BatchWritingTests", dependencies: ["BatchWriting"]),
        .testTarget(name: "ShadowBenchmarksTests", dependencies: ["ShadowBenchmarks"]),
        .testTarget(
            name: "RedactionTests",
            dependencies: [
                "Redaction", "ShadowCore", "ShadowStore", "EventGenerator", "InvoiceRenderers", "TestSupport",
            ]),
        .testTarget(
            name: "ShadowLoggingTests",
            dependencies: ["ShadowLogging", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "DocumentStoreTests",
            dependencies: ["DocumentStore", "ShadowCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "PythonBridgeTests", dependencies: ["PythonBridge", "ShadowCore", "TestSupport"]),
        .testTarget(
            name: "InvoiceServiceTests",
            dependencies: ["InvoiceService", "ShadowCore", "PythonBridge", "TestSupport"]),
        .testTarget(
            name: "ShadowHarnessTests",
            dependencies: [
                "ShadowHarness", "InvoiceRenderers", "ShadowCore", "ShadowStore", "ShadowReports", "EventGenerator",
                "TestSupport",
            ]),
        // Runs the built binary as a user would; depends on the executable so that it is built.
        .testTarget(
            name: "CLITests",
            dependencies: [
                "InvoiceShadowCLI", "InvoiceFuzz", "ShadowHarness", "TestSupport", "KafkaIO", "EventGenerator",
                "ShadowCore",
            ]),
    ]
)
