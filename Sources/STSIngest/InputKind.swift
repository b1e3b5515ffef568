import Foundation
import STSGzip

/// What a file holds, told from its first bytes (and its name only when they say nothing).
public enum InputKind: Sendable, Hashable {
    /// A report: JSON, or gzip/zlib-compressed JSON.
    case report
    /// One RFC 5322 message.
    case mail
    /// Messages separated by `From ` lines.
    case mbox
    case unknown

    /// Bytes enough for ``detect(prefix:name:)``.
    public static let prefixLength = 1024

    public static func detect(prefix: Data, name: String) -> InputKind {
        if Gzip.isGzip(prefix) || ReportPayload.startsLikeJSON(prefix) { return .report }
        if prefix.starts(with: Array("From ".utf8)) { return .mbox }
        if startsWithHeaderField(prefix) { return .mail }
        let lower = name.lowercased()
        if lower.hasSuffix(".json") || lower.hasSuffix(".gz") { return .report }
        if lower.hasSuffix(".eml") { return .mail }
        if lower.hasSuffix(".mbox") { return .mbox }
        return .unknown
    }

    /// True when the first line is `Name: value` with an RFC 5322 field name (printable ASCII, no colon).
    static func startsWithHeaderField(_ bytes: Data) -> Bool {
        var length = 0
        for byte in bytes {
            if byte == UInt8(ascii: ":") { return length > 0 }
            guard (0x21...0x7E).contains(byte), length < 76 else { return false }
            length += 1
        }
        return false
    }
}
