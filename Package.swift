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
        // ncurses (wide), imported by STSTerminal only.
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        // The dashboard's views, key tables, themes and reducer: pure Swift, rendered into a grid of cells.
        .target(name: "STSDashboard", dependencies: ["STSCore"]),
        // Draws the grid with ncurses and runs the dashboard's loop.
        .target(name: "STSTerminal", dependencies: ["CNcurses", "STSDashboard"]),
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
        .testTarget(name: "STSDashboardTests", dependencies: ["STSDashboard", "STSCore"], exclude: ["Snapshots"]),
    ],
    swiftLanguageModes: [.v6]
)
