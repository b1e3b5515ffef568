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
        // libunbound, imported only by STSDNS.
        .systemLibrary(name: "CUnbound", path: "Sources/CUnbound"),
        // The DNS adapter: TXT, MX, A and AAAA lookups on libunbound, answered as DNSOutcome.
        .target(name: "STSDNS", dependencies: ["STSCore", "CUnbound"]),
        .executableTarget(
            name: "stswatch",
            dependencies: [
                "STSCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "STSCoreTests", dependencies: ["STSCore"]),
        .testTarget(name: "STSDNSTests", dependencies: ["STSDNS", "STSCore"]),
    ],
    swiftLanguageModes: [.v6]
)
