import Foundation
import Logging
import STSCheck
import STSCore
import STSLab
import STSPoller
import STSStore

/// Runs blocking work (starting the lab, waiting for a process) on a thread of its own, so the
/// cooperative pool the probes' tasks need is never held up.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The process's shared lab, started off the cooperative pool.
func sharedLab() async throws -> Lab {
    try await offPool { try Lab.shared.get() }
}

/// The real probes aimed at the lab, with short timeouts so slow scenarios end quickly.
func labEnvironment(_ lab: Lab) throws -> CheckEnvironment {
    var settings = ProbeSettings(resolver: lab.manifest.resolver, caFile: lab.manifest.caFile)
    settings.timeout = .seconds(4)
    settings.connectTimeout = .seconds(3)
    settings.dnsTimeout = .seconds(3)
    return try CheckEnvironment.live(settings)
}

/// A fresh folder for one test's database, removed when the test ends.
final class TempFolder: Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-poller-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    var databasePath: String { url.appendingPathComponent("stswatch.sqlite").path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A logger that writes into a file in the test's folder (read back by some tests).
func testLogger(_ folder: TempFolder) throws -> (Logger, String) {
    let path = folder.url.appendingPathComponent("poll.log").path
    let sink = try LineLogHandler.Sink(path: path)
    return (Logger(label: "test.poller") { LineLogHandler(label: $0, sink: sink, level: .debug) }, path)
}

func pollSettings(concurrency: Int = 16) -> PollSettings {
    var s = PollSettings()
    s.check = CheckSettings(concurrency: concurrency, domainDeadline: .seconds(30))
    // The lab lives on loopback, which the probes refuse unless allowed.
    s.check.destinations.allowed = ["127.0.0.0/8", "::1/128"].compactMap(AddressRange.init)
    return s
}

/// Polls `condition` every 100 ms until it holds or `seconds` pass; true when it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}
