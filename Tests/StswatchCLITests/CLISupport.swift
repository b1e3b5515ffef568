import Foundation
import STSTestSupport

/// Runs the real `stswatch` binary built beside the test bundle.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
        var dir = testBinary.deletingLastPathComponent()
        // The test runner is NAME.xctest (a file on Linux, a bundle elsewhere) inside the build folder.
        while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents" || dir.lastPathComponent == "MacOS" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("stswatch")
    }

    /// Runs `stswatch ARGS`, feeding `stdin`, and waits for it (bounded by `timeout` seconds).
    /// `executable` runs a copy of the binary elsewhere; `directory` is the working directory.
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                    timeout: TimeInterval = 60, executable: URL? = nil, directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable ?? binary
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let outData = LockedData(), errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw CLIError.timedOut(arguments)
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData.get(), as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    enum CLIError: Error { case timedOut([String]) }
}

/// Bytes handed from a reader thread to the test.
final class LockedData: @unchecked Sendable {
    // Safe: every access to `data` holds `lock`.
    private var data = Data()
    private let lock = NSLock()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// The shared corpus of real TLS-RPT reports, beside the checkout (`../shared/corpus`).
enum Corpus {
    static var root: URL {
        // A missing corpus fails the tests that list it, with the path in the error.
        (try? corpusDirectory()) ?? URL(fileURLWithPath: "/nonexistent/shared/corpus")
    }

    static func files(_ folder: String) -> [URL] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent($0) }
    }
}

func temporaryFile(_ name: String, _ contents: Data) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try contents.write(to: url)
    return url
}
