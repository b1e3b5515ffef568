// swift-tools-version: 6.1
import PackageDescription

// Targets by concern: a pure core, one thin adapter per C library, then the
// parts that wire them together. See docs/ARCHITECTURE.md.
let package = Package(
    name: "stswatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stswatch", targets: ["stswatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Pure RFC 8461 / RFC 8460 logic: parsers, report model, matching, judgement.
        .target(name: "STSCore"),
        // Starts the loopback lab (lab/stswatch-lab) for tests, benchmarks and the demo.
        .target(name: "STSLab"),
        // Runs the probes for many domains (shared, polite MX probing) and feeds the judgement.
        .target(name: "STSCheck", dependencies: ["STSCore"]),
        // zlib, for gzip-compressed TLS-RPT report attachments (RFC 8460 §5.2).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "STSGzip", dependencies: ["CZlib"]),
        // The SQLite cache: schema, migrations and named queries. The only target that imports GRDB.
        .target(name: "STSStore", dependencies: ["STSCore", .product(name: "GRDB", package: "GRDB.swift")]),
        // Realistic synthetic observations for the store's tests, torture helper and benchmark.
        .target(name: "STSStoreFixtures", dependencies: ["STSCore"]),
        // Writes records in a loop until killed: the store's SIGKILL-consistency test runs it.
        .executableTarget(name: "stswatch-store-torture", dependencies: ["STSStore", "STSStoreFixtures"]),
        // Prints write rate, size, read time and peak memory for 10,000 domains.
        .executableTarget(name: "stswatch-store-bench", dependencies: ["STSStore", "STSStoreFixtures", "STSCore"]),
        .executableTarget(
            name: "stswatch",
            dependencies: [
                "STSCore",
                "STSGzip",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "STSCoreTests", dependencies: ["STSCore"]),
        // Runs the real binary: depends on it so `swift build --build-tests` builds it.
        .testTarget(name: "StswatchCLITests", dependencies: ["stswatch"]),
        .testTarget(name: "STSGzipTests", dependencies: ["STSGzip", "STSCore"]),
        // Depends on the torture helper so `swift build --build-tests` builds it beside the tests.
        .testTarget(name: "STSStoreTests", dependencies: ["STSStore", "STSStoreFixtures", "STSCore", "stswatch-store-torture"]),
    ],
    swiftLanguageModes: [.v6]
)
