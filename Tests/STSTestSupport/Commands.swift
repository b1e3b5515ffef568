import Foundation
import STSLab

/// Runs a command to completion and returns its standard output; fails unless it exits 0.
///
/// Bounded: after `timeout` seconds the command (and what it started) is killed and the error
/// names it. Every tool a test runs goes through here or through `ChildProcess.run`, never
/// through Foundation's `Process` reading a pipe to end of file (see `ChildProcess` in STSLab).
@discardableResult
public func runCommand(_ argv: [String], stdin: Data? = nil, environment: [String: String]? = nil,
                       timeout: TimeInterval = 60) throws -> Data {
    let output = try ChildProcess.run(argv, input: stdin, environment: environment, timeout: timeout)
    guard output.status == .exited(0) else {
        throw SupportError(description: "`\(argv.joined(separator: " "))` ended with \(output.status): "
                           + String(decoding: output.stderr.suffix(2000), as: UTF8.self))
    }
    return output.stdout
}

/// Runs `/bin/sh -c script`, as ``runCommand(_:stdin:environment:timeout:)`` does.
@discardableResult
public func runShell(_ script: String, stdin: Data? = nil, timeout: TimeInterval = 60) throws -> Data {
    try runCommand(["/bin/sh", "-c", script], stdin: stdin, timeout: timeout)
}

/// gzip of `data` made by the system's gzip tool, so no test compresses with the code under test.
///
/// The one gzip helper of every test target. `-n` leaves out the name and time, so the same
/// input gives the same bytes; `options` adds to it (`["-9"]`).
public func gzipped(_ data: Data, options: [String] = [], timeout: TimeInterval = 60) throws -> Data {
    try runCommand(["/bin/gzip", "-c", "-n"] + options, stdin: data, timeout: timeout)
}
