import Foundation
import STSTestSupport
import Testing


struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `/bin/sh -c script` with `stdin` as its input and returns its standard output,
/// killing it after `timeout` seconds so a test can never hang on a child process.
func runShell(_ script: String, stdin: Data = Data(), timeout: TimeInterval = 60) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    try process.run()
    // Write and read on separate threads so a large input or output cannot deadlock the pipes.
    DispatchQueue.global().async {
        input.fileHandleForWriting.write(stdin)
        try? input.fileHandleForWriting.close()
    }
    let collected = OutputBox()
    let reader = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        collected.set(output.fileHandleForReading.readDataToEndOfFile())
        reader.signal()
    }
    if finished.wait(timeout: .now() + timeout) == .timedOut {
        process.terminate()
        throw TestFailure("`\(script)` did not finish within \(timeout) s")
    }
    _ = reader.wait(timeout: .now() + 10)
    guard process.terminationStatus == 0 else {
        throw TestFailure("`\(script)` exited with status \(process.terminationStatus)")
    }
    return collected.get()
}

/// Output handed from the reader thread to the test.
///
/// @unchecked Sendable: `data` is only touched under `lock`.
private final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// The base64 body of every `application/tlsrpt+gzip` part of an e-mail, decoded.
///
/// Deliberately simple (the real MIME parser lives elsewhere): headers end at the first
/// blank line after the part's Content-Type; the body ends at the next blank or boundary line.
func gzipAttachments(inEmail text: String) -> [Data] {
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    var result: [Data] = []
    var index = 0
    while index < lines.count {
        guard lines[index].lowercased().hasPrefix("content-type: application/tlsrpt+gzip") else {
            index += 1
            continue
        }
        while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).isEmpty { index += 1 }
        index += 1
        var body = ""
        while index < lines.count, !lines[index].isEmpty, !lines[index].hasPrefix("--") {
            body += lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
        }
        if let data = Data(base64Encoded: body) { result.append(data) }
    }
    return result
}

/// The peak resident set size of this process so far (VmHWM), in bytes.
func peakResidentBytes() throws -> Int {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else {
        throw TestFailure("no VmHWM line in /proc/self/status")
    }
    return kilobytes * 1024
}
