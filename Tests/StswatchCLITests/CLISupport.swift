import Foundation
import STSLab
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
    ///
    /// Through `ChildProcess.run`: done when the binary exits, never waiting for end of file on a
    /// pipe some other child may have inherited; killed, with what it printed, at the deadline.
    /// `executable` runs a copy of the binary elsewhere; `directory` is the working directory.
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                    timeout: TimeInterval = 60, executable: URL? = nil, directory: URL? = nil) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        let output = try ChildProcess.run([(executable ?? binary).path] + arguments, input: stdin ?? Data(), environment: env,
                                          directory: directory?.path, timeout: timeout)
        return Result(status: output.status.code,
                      stdout: String(decoding: output.stdout, as: UTF8.self),
                      stderr: String(decoding: output.stderr, as: UTF8.self))
    }
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
