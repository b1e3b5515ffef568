import Foundation
import STSTestSupport
import Testing


struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
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
