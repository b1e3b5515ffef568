import Foundation
import STSCore

/// Turns the store's assessment JSON into the bytes `check --json` prints for the same
/// assessment, without decoding it.
///
/// `status --json` over 10,000 domains spent seconds decoding each stored assessment and
/// encoding it again. The two texts come from the same type through `JSONEncoder` with the
/// same options (sorted keys, slashes unescaped); they differ only in how dates are written:
/// seconds since 1970 in the store, ISO 8601 on the command line. So the stored text is
/// copied byte for byte except the values of the assessment's date keys, each rewritten by
/// the command line's own encoder. The encoder escapes every quote inside a string, so the
/// bytes `"checked_at":` can only be that key; `AssessmentJSONTests` holds the key list to
/// the type (a date under any other key fails them).
struct AssessmentJSON {
    /// The JSON keys of every `Date` in an ``Assessment``.
    static let dateKeys = ["checked_at", "not_before", "not_after", "probed_at", "stale_since"]
    private static let patterns: [[UInt8]] = dateKeys.map { Array("\"\($0)\":".utf8) }

    /// ISO 8601 texts already made, by seconds: certificate dates repeat across domains.
    private var formatted: [Double: [UInt8]] = [:]

    /// The `check --json` line (without its newline) for a stored assessment of `domain`.
    mutating func outputLine(stored json: String, domain: String) throws -> [UInt8] {
        var text = json
        return try text.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 256)
            var copied = 0, i = 0
            while i < bytes.count {
                guard bytes[i] == UInt8(ascii: "\""), let pattern = Self.patterns.first(where: { Self.matches($0, bytes, at: i) }) else {
                    i += 1
                    continue
                }
                let start = i + pattern.count
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ","), bytes[end] != UInt8(ascii: "}") { end += 1 }
                guard let seconds = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)) else {
                    throw StoredJSONError(domain: domain,
                                          detail: "the value of \(String(decoding: pattern, as: UTF8.self)) is not a number of seconds")
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<start]))
                out.append(contentsOf: try iso8601(seconds))
                copied = end
                i = end
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
            return out
        }
    }

    private static func matches(_ pattern: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + pattern.count <= bytes.count else { return false }
        for k in 1..<pattern.count where bytes[i + k] != pattern[k] { return false }
        return true
    }

    /// The date as the command line's encoder writes it, quotes included.
    private mutating func iso8601(_ seconds: Double) throws -> [UInt8] {
        if let known = formatted[seconds] { return known }
        let text = Array(try Output.jsonEncoder.encode(Date(timeIntervalSince1970: seconds)))
        formatted[seconds] = text
        return text
    }
}

/// A stored assessment that cannot be printed.
struct StoredJSONError: Error, CustomStringConvertible {
    var domain: String
    var detail: String
    var description: String { "the cached assessment of \(domain) cannot be read: \(detail)" }
}
