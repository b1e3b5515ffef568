import Foundation

/// Bounds on a report before it is parsed: reports arrive from anyone who can send mail.
public struct ReportLimits: Sendable, Hashable {
    /// Largest JSON document accepted, in bytes (after decompression).
    public var maxBytes: Int
    /// Deepest nesting of arrays and objects accepted; a real report nests 5 deep.
    public var maxDepth: Int

    public init(maxBytes: Int, maxDepth: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    /// 16 MiB and depth 64: far above the largest reports big senders produce, far below harm.
    public static let `default` = ReportLimits(maxBytes: 16 << 20, maxDepth: 64)
}

/// Why some bytes are not a TLS-RPT report at all.
///
/// Only whole-report problems are errors: a report with odd fields decodes, and the
/// oddities are listed in ``ReportDecodeResult``. A document is rejected when it is
/// over the limits, is not JSON, is not an object, has no `policies` array, or has
/// neither `report-id` nor `organization-name` (then nothing says whose report it is,
/// and it cannot be told apart from another).
public enum ReportError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooLarge(size: Int, limit: Int)
    /// Arrays and objects nest deeper than `limit`; `offset` is the byte where the limit was passed.
    case tooDeep(limit: Int, offset: Int)
    case notJSON(String)
    /// The JSON is not a report: `path` names the field (`$` is the document), `rule` what was expected.
    case notAReport(path: String, rule: String)

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit): "report is \(size) bytes, over the limit of \(limit)"
        case .tooDeep(let limit, let offset): "report nests deeper than \(limit) levels (at byte \(offset))"
        case .notJSON(let detail): "report is not JSON: \(detail)"
        case .notAReport(let path, let rule): "not a TLS-RPT report: \(path): \(rule)"
        }
    }
}

/// A decoded report and what was odd about it.
public struct ReportDecodeResult: Sendable, Hashable {
    public var report: TLSReport
    /// Human-readable notes on deviations from RFC 8460 that were tolerated, in document order.
    public var oddities: [String]

    public init(report: TLSReport, oddities: [String]) {
        self.report = report
        self.oddities = oddities
    }
}

extension TLSReport {
    /// Decodes a report from untrusted JSON, keeping what was sent and noting what was odd.
    public static func decode(_ data: Data, limits: ReportLimits = .default) throws(ReportError) -> ReportDecodeResult {
        guard data.count <= limits.maxBytes else { throw .tooLarge(size: data.count, limit: limits.maxBytes) }
        try checkDepth(data, limit: limits.maxDepth)
        // JSONSerialization rather than JSONDecoder: about five times faster on a 16 MB
        // report, and the tree is walked by hand anyway.
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw .notJSON(Self.describe(error))
        }
        guard let value = JSONValue(foundation: parsed) else { throw .notJSON("unexpected value \(type(of: parsed))") }
        return try ReportReader.read(value)
    }

    /// Decodes a report from untrusted JSON bytes.
    public static func decode(_ bytes: some Collection<UInt8>, limits: ReportLimits = .default) throws(ReportError) -> ReportDecodeResult {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(size: bytes.count, limit: limits.maxBytes) }
        return try decode(Data(bytes), limits: limits)
    }

    /// Fails when arrays and objects nest deeper than `limit`, before a recursive parser sees them.
    static func checkDepth(_ data: Data, limit: Int) throws(ReportError) {
        let result: ReportError? = data.withUnsafeBytes { raw in checkDepth(raw, limit: limit) }
        if let result { throw result }
    }

    private static func checkDepth(_ bytes: UnsafeRawBufferPointer, limit: Int) -> ReportError? {
        var depth = 0
        var inString = false
        var escaped = false
        for (offset, byte) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return .tooDeep(limit: limit, offset: offset) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
    }

    private static func describe(_ error: any Error) -> String {
        if let debug = (error as NSError).userInfo["NSDebugDescription"] as? String { return debug }
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        switch decoding {
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError {
                let text = String(describing: underlying)
                if !text.isEmpty { return "\(context.debugDescription) (\(text))" }
            }
            return context.debugDescription
        default:
            return String(describing: decoding)
        }
    }
}

/// A parsed JSON document, before it is read as a report.
///
/// The report is read from this tree rather than straight through `Decodable` so
/// each field can be checked leniently and each oddity described with its place.
enum JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Converts what JSONSerialization returns; nil for anything it should not have returned.
    ///
    /// Recursion is bounded: ``TLSReport/checkDepth(_:limit:)`` ran first.
    init?(foundation value: Any) {
        // Most common first: on Linux every failed `as?` to a collection type is a slow bridging attempt.
        if let text = value as? String {
            self = .string(text)
        } else if let object = value as? [String: Any] {
            var values: [String: JSONValue] = [:]
            values.reserveCapacity(object.count)
            for (key, element) in object {
                guard let converted = JSONValue(foundation: element) else { return nil }
                values[key] = converted
            }
            self = .object(values)
        } else if let number = value as? NSNumber {
            // JSONSerialization boxes booleans as NSNumber too; only they carry the `char`
            // type code ('c'). Numbers written with a fraction or exponent are doubles ('d').
            switch String(cString: number.objCType) {
            case "c": self = .bool(number.boolValue)
            case "d", "f": self = .number(number.doubleValue)
            case "Q" where number.uint64Value > UInt64(Int.max): self = .number(number.doubleValue)
            default: self = .integer(number.intValue)
            }
        } else if let array = value as? [Any] {
            var values: [JSONValue] = []
            values.reserveCapacity(array.count)
            for element in array {
                guard let converted = JSONValue(foundation: element) else { return nil }
                values.append(converted)
            }
            self = .array(values)
        } else if value is NSNull {
            self = .null
        } else {
            return nil
        }
    }

    /// "a string", "an array": for messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
