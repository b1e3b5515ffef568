import Foundation
import STSCore
import STSGzip

/// A report found in some bytes: the decoded model and the JSON it came from.
public struct FoundReport: Sendable {
    public var decoded: ReportDecodeResult
    /// The JSON document after any gzip and base64 layers were removed.
    public var json: Data
}

/// Turns the bytes of a report file or attachment into a report, whatever wrapping real senders used.
///
/// Labels are not trusted: gzip is recognised by its magic number, JSON by its first
/// character, and a base64 layer (a part whose transfer encoding was not declared)
/// by its alphabet. Each layer is removed at most once, so nothing loops.
public enum ReportPayload {
    public static func decode(_ bytes: Data, limits: ReportLimits) -> Result<FoundReport, PayloadError> {
        decode(bytes, limits: limits, allowBase64: true)
    }

    private static func decode(_ bytes: Data, limits: ReportLimits, allowBase64: Bool) -> Result<FoundReport, PayloadError> {
        if bytes.isEmpty { return .failure(.empty) }
        var json = bytes
        if Gzip.isGzip(bytes) {
            do {
                json = try Gzip.decompress(bytes, limit: limits.maxBytes)
            } catch {
                return .failure(.gzip(error))
            }
        } else if !startsLikeJSON(bytes) {
            if allowBase64, let inner = base64Layer(bytes) {
                return decode(inner, limits: limits, allowBase64: false).mapError { .insideBase64($0) }
            }
            if Gzip.isZlib(bytes) {
                do {
                    json = try Gzip.decompress(bytes, limit: limits.maxBytes)
                } catch {
                    return .failure(.gzip(error))
                }
            } else {
                return .failure(.unrecognised(prefix: describePrefix(bytes)))
            }
        }
        do {
            let decoded = try TLSReport.decode(json, limits: limits)
            return .success(FoundReport(decoded: decoded, json: json))
        } catch {
            return .failure(.report(error))
        }
    }

    /// True when the first character other than a BOM or white space opens a JSON object or array.
    static func startsLikeJSON(_ bytes: Data) -> Bool {
        var rest = bytes[...]
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        guard let first = rest.first(where: { !isJSONSpace($0) }) else { return false }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// The bytes under a base64 layer, when `bytes` are nothing but base64 text and decode cleanly.
    static func base64Layer(_ bytes: Data) -> Data? {
        var significant = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                significant += 1
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            default:
                return nil
            }
        }
        guard significant >= 8, significant % 4 == 0 else { return nil }
        return Data(base64Encoded: bytes, options: .ignoreUnknownCharacters)
    }

    static func describePrefix(_ bytes: Data) -> String {
        let head = bytes.prefix(8)
        if head.allSatisfy({ (0x20...0x7E).contains($0) }) {
            return "\"" + String(decoding: head, as: UTF8.self) + "\""
        }
        return head.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

/// Why some bytes did not yield a report.
public enum PayloadError: Error, Sendable, CustomStringConvertible {
    case empty
    case gzip(GzipError)
    case report(ReportError)
    /// Neither gzip, JSON nor base64; `prefix` shows the first bytes.
    case unrecognised(prefix: String)
    indirect case insideBase64(PayloadError)

    public var description: String {
        switch self {
        case .empty: "empty"
        case .gzip(let error): error.description
        case .report(let error): error.description
        case .unrecognised(let prefix): "not gzip, JSON or base64 (starts with \(prefix))"
        case .insideBase64(let inner): "inside a base64 layer: \(inner)"
        }
    }
}
