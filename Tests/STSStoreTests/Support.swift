import Foundation
import STSLab
import STSTestSupport
import STSCore
@testable import STSStore
import STSStoreFixtures

/// A fresh folder for one test's database, removed when the test's scope ends.
final class TempFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    var databasePath: String { url.appendingPathComponent("db/stswatch.sqlite").path }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A fixed clock: every test runs at the same instants.
let t0 = Date(timeIntervalSince1970: 1_790_000_000)

func fixture(_ domain: String = "example.com", at date: Date = t0, _ change: (inout ObservationFixture) -> Void = { _ in }) -> ObservationFixture {
    var f = ObservationFixture(domain: domain, observedAt: date)
    change(&f)
    return f
}

/// Judges `fixture` against the stored previous state and records it, as the poller does.
@discardableResult
func check(_ store: Store, _ fixture: ObservationFixture, failed: Bool = false) throws -> (Assessment, RecordOutcome) {
    let previous = try store.previousAssessment(domain: fixture.domain)
    let (observation, assessment) = fixture.assess(previous: previous)
    let outcome = try store.record(observation: observation, assessment: assessment,
                                   nextDue: observation.observedAt.addingTimeInterval(3600), failed: failed)
    return (assessment, outcome)
}


/// Every report in the corpus: file name and bytes.
func corpusReports() throws -> [(name: String, data: Data)] {
    let dir = try corpusDirectory().appendingPathComponent("reports")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
    guard !names.isEmpty else { throw SupportError("no reports in \(dir.path)") }
    return try names.map { ($0, try Data(contentsOf: dir.appendingPathComponent($0))) }
}

struct SupportError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A built executable of this package, beside the test bundle.
func productPath(_ name: String) -> String {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents" || dir.lastPathComponent == "MacOS" {
        dir.deleteLastPathComponent()
    }
    return dir.appendingPathComponent(name).path
}

/// A child process whose output goes to a file, so the test can poll it without pipes filling up.
///
/// A `ChildProcess` (STSLab): it inherits no other test's pipe, starts with no signal blocked,
/// and is reaped by its pid, so every wait here is bounded.
final class Child {
    let process: ChildProcess
    let outputPath: String

    init(_ executable: String, _ arguments: [String], output: String) throws {
        outputPath = output
        process = try ChildProcess([executable] + arguments, stdout: .file(output), stderr: .inherit)
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Polls until `ready` holds for the output, or fails after `timeout` seconds.
    func waitFor(timeout: TimeInterval, _ ready: (String) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !ready(output) {
            let status = process.exitStatus
            guard Date() < deadline, status == nil else {
                throw SupportError("child \(process.command): \(status.map { "\($0)" } ?? "timed out"); output: \(output.suffix(500))")
            }
            usleep(20_000)
        }
    }

    /// SIGKILL, then waits (bounded: a killed process cannot refuse).
    @discardableResult
    func kill9() -> ExitStatus { process.kill() }

    /// Waits for exit, killing the child after `timeout` seconds.
    func wait(timeout: TimeInterval) -> Int32 {
        (process.wait(timeout: timeout) ?? process.kill()).code
    }

    deinit { process.kill() }
}

/// Runs a command to completion (bounded) and returns its exit status.
func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 20) throws -> Int32 {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-run-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let child = try Child(executable, arguments, output: folder)
    return child.wait(timeout: timeout)
}
