// swift-tools-version: 6.1
import PackageDescription

// Targets by layer: a pure core, one thin adapter per C library, the probes, the store, the
// poller and ingest, the UI, the lab, the executable; then developer tooling (Benchmarks/) and
// the tests. docs/ARCHITECTURE.md's target tables list the same targets (a test checks).
let package = Package(
    name: "stswatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stswatch", targets: ["stswatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // MARK: Core

        // Pure RFC 8461 / RFC 8460 logic: parsers, report model, matching, judgement.
        .target(name: "STSCore"),

        // MARK: C adapters (each C module is imported by its adapter alone)

        // zlib, for gzip-compressed TLS-RPT report attachments (RFC 8460 §5.2).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "STSGzip", dependencies: ["CZlib"]),
        // libunbound, imported only by STSDNS.
        .systemLibrary(name: "CUnbound", path: "Sources/CUnbound"),
        // The DNS adapter: TXT, MX, A and AAAA lookups on libunbound, answered as DNSOutcome.
        .target(name: "STSDNS", dependencies: ["STSCore", "CUnbound"]),
        // libcurl (and the OpenSSL hooks it needs), seen only by STSCurl.
        .systemLibrary(name: "CCurl"),
        // Policy fetch over HTTPS and the SMTP STARTTLS probe.
        .target(
            name: "STSCurl",
            dependencies: [
                "STSCore", "CCurl",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // GMime 3 (with GLib), seen only by STSMIME. pkgConfig supplies GLib's include paths.
        .systemLibrary(name: "CGMime", pkgConfig: "gmime-3.0"),
        // E-mail as plain values: decoded headers and leaf parts.
        .target(name: "STSMIME", dependencies: ["CGMime"]),

        // MARK: Probes

        // Runs the probes for many domains (shared, polite MX probing) and feeds the judgement.
        .target(name: "STSCheck", dependencies: ["STSCore", "STSDNS", "STSCurl"]),
        // DNS, HTTPS and SMTP answers from a table on a manual clock: the checker and poller without the network.
        .target(name: "STSCheckScripted", dependencies: ["STSCheck", "STSCore"]),

        // MARK: Store

        // The SQLite cache: schema, migrations and named queries. The only target that imports GRDB.
        .target(name: "STSStore", dependencies: ["STSCore", .product(name: "GRDB", package: "GRDB.swift")]),

        // MARK: Poller and ingest

        // Reads TLS-RPT reports from files, mail folders and IMAP into a ReportSink.
        .target(name: "STSIngest", dependencies: ["STSCore", "STSGzip", "STSMIME", "STSCurl"]),
        // Rounds of checks into the store: scheduling, back-off, re-check requests, retention, logging.
        .target(name: "STSPoller", dependencies: ["STSCheck", "STSStore", "STSCore", "STSIngest", .product(name: "Logging", package: "swift-log")]),

        // MARK: UI

        // The dashboard's views, key tables, themes and reducer: pure Swift, rendered into a grid of cells.
        .target(name: "STSDashboard", dependencies: ["STSCore"]),
        // ncurses (wide), imported by STSTerminal only.
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        // Draws the grid with ncurses and runs the dashboard's loop.
        .target(name: "STSTerminal", dependencies: ["CNcurses", "STSDashboard"]),
        // The dashboard's data source over the SQLite store: summaries for the list, one assessment for the detail.
        .target(name: "STSDashboardSource", dependencies: ["STSDashboard", "STSStore", "STSCore"]),
        // The demo's generated TLS-RPT reports, matching the lab's scenarios.
        .target(name: "STSDemo", dependencies: ["STSCore"]),

        // MARK: Lab

        // Starts the loopback lab (lab/stswatch-lab) for tests, benchmarks and the demo, and child
        // processes that inherit no descriptors (ChildProcess) for it and for the tests.
        .target(name: "STSLab", dependencies: ["CSpawn"]),
        // posix_spawn's closefrom file action and a SIGPIPE-free write, which Swift's Glibc cannot reach.
        .target(name: "CSpawn"),

        // MARK: Executable

        .executableTarget(
            name: "stswatch",
            dependencies: [
                "STSCore",
                "STSGzip",
                "STSCheck",
                "STSStore",
                "STSPoller",
                "STSIngest",
                "STSDashboard",
                "STSTerminal",
                "STSDashboardSource",
                "STSDemo",
                "STSLab",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Developer tooling (Benchmarks/; fuzz targets will live in Fuzz/)

        // Realistic synthetic observations for the store's tests, torture helper and benchmark.
        .target(name: "STSStoreFixtures", dependencies: ["STSCore"], path: "Benchmarks/STSStoreFixtures"),
        // Writes records in a loop until killed: the store's SIGKILL-consistency test runs it.
        .executableTarget(name: "stswatch-store-torture", dependencies: ["STSStore", "STSStoreFixtures"],
                          path: "Benchmarks/stswatch-store-torture"),
        // Prints write rate, size, read time and peak memory for 10,000 domains.
        .executableTarget(name: "stswatch-store-bench", dependencies: ["STSStore", "STSStoreFixtures", "STSCore"],
                          path: "Benchmarks/stswatch-store-bench"),
        // Prints latency and throughput of the DNS adapter against the lab's bench domains.
        .executableTarget(name: "stsdns-bench", dependencies: ["STSDNS", "STSCore", "STSLab"], path: "Benchmarks/stsdns-bench"),
        // Times DomainName.normalize on hostile names of 1k to 256k characters (linear, checked before encoding).
        .executableTarget(name: "stswatch-domainname-bench", dependencies: ["STSCore"], path: "Benchmarks/domainname-bench"),
        // Prints latency and throughput of the libcurl adapters against the lab's bench domains.
        .executableTarget(name: "stscurl-bench", dependencies: ["STSCurl", "STSCore", "STSLab"], path: "Benchmarks/stscurl-bench"),
        // Checks N lab domains sharing M MX hosts and prints rate, memory and connections per MX address.
        .executableTarget(name: "stswatch-check-bench", dependencies: ["STSCheck", "STSCore", "STSLab"],
                          path: "Benchmarks/stswatch-check-bench"),
        // One poll round over the lab's bench domains: wall time, store share, connections, RSS.
        .executableTarget(name: "stswatch-poll-bench", dependencies: ["STSPoller", "STSStore", "STSCheck", "STSCore", "STSLab"],
                          path: "Benchmarks/stswatch-poll-bench"),
        // Prints ingest rate, bytes per report and peak memory for generated reports (files and a Maildir).
        .executableTarget(name: "stswatch-ingest-bench", dependencies: ["STSIngest", "STSCore", "STSStore"],
                          path: "Benchmarks/stswatch-ingest-bench"),
        // First frame, key-to-frame, memory and idle output of the dashboard over 10,000 domains.
        .executableTarget(name: "stswatch-dashboard-bench",
                          dependencies: ["STSDashboardSource", "STSDashboard", "STSTerminal", "STSStore", "STSStoreFixtures", "STSDemo", "STSCore"],
                          path: "Benchmarks/stswatch-dashboard-bench"),

        // MARK: Tests

        // What several test targets share: real servers (Dovecot over IMAPS), the corpus, bounded commands and gzip.
        .target(name: "STSTestSupport", dependencies: ["STSLab"], path: "Tests/STSTestSupport"),
        .testTarget(name: "STSCoreTests", dependencies: ["STSCore", "STSTestSupport"]),
        .testTarget(name: "STSGzipTests", dependencies: ["STSGzip", "STSCore", "STSTestSupport"]),
        .testTarget(name: "STSDNSTests", dependencies: ["STSDNS", "STSCore", "STSLab"]),
        .testTarget(
            name: "STSCurlTests",
            dependencies: [
                "STSCurl", "STSCore", "STSLab",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Scripted loopback servers the tests start; run with python3, not built.
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "STSMIMETests", dependencies: ["STSMIME", "STSTestSupport"]),
        .testTarget(name: "STSCheckTests", dependencies: ["STSCheck", "STSCheckScripted", "STSCore", "STSLab"]),
        // Depends on the torture helper so `swift build --build-tests` builds it beside the tests.
        .testTarget(name: "STSStoreTests", dependencies: ["STSStore", "STSStoreFixtures", "STSCore", "stswatch-store-torture", "STSTestSupport", "STSLab"]),
        .testTarget(name: "STSIngestTests", dependencies: ["STSIngest", "STSCore", "STSGzip", "STSMIME", "STSCurl", "STSTestSupport"]),
        .testTarget(name: "STSPollerTests", dependencies: ["STSPoller", "STSStore", "STSStoreFixtures", "STSCheck", "STSCheckScripted", "STSCore", "STSLab"]),
        .testTarget(name: "STSDashboardTests", dependencies: ["STSDashboard", "STSCore", "STSTestSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "STSDashboardSourceTests", dependencies: ["STSDashboardSource", "STSDashboard", "STSDemo", "STSStore", "STSStoreFixtures", "STSCore"]),
        .testTarget(name: "STSLabTests", dependencies: ["STSLab"]),
        // Runs the real binary: depends on it so `swift build --build-tests` builds it.
        .testTarget(name: "StswatchCLITests", dependencies: ["stswatch", "STSLab", "STSStore", "STSTestSupport", "STSDemo", "STSCore"]),
    ],
    swiftLanguageModes: [.v6]
)
