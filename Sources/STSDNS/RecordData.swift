import CUnbound
import STSCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A record type the resolver can ask for, with the parser for its rdata.
///
/// Generic over the record value so `resolve(_:_:)` returns typed answers; adding
/// a type (TLSA for DANE, say) is one more static member, not a new code path.
public struct DNSRecordType<Record: Sendable & Hashable & Codable>: Sendable {
    /// The RR type number on the wire.
    public let code: Int32
    /// The type's mnemonic, for messages ("TXT", "MX").
    public let mnemonic: String
    /// Turns one record's rdata, as libunbound hands it over, into a value.
    public let parse: @Sendable ([UInt8]) throws(RDataError) -> Record

    public init(code: Int32, mnemonic: String, parse: @escaping @Sendable ([UInt8]) throws(RDataError) -> Record) {
        self.code = code
        self.mnemonic = mnemonic
        self.parse = parse
    }
}

extension DNSRecordType where Record == TXTRecord {
    public static var txt: Self { Self(code: Int32(ns_t_txt.rawValue), mnemonic: "TXT", parse: RData.txt) }
}

extension DNSRecordType where Record == MXRecord {
    public static var mx: Self { Self(code: Int32(ns_t_mx.rawValue), mnemonic: "MX", parse: RData.mx) }
}

extension DNSRecordType where Record == String {
    /// IPv4 addresses in dotted-quad text.
    public static var a: Self { Self(code: Int32(ns_t_a.rawValue), mnemonic: "A", parse: RData.ipv4) }
    /// IPv6 addresses in RFC 5952 text.
    public static var aaaa: Self { Self(code: Int32(ns_t_aaaa.rawValue), mnemonic: "AAAA", parse: RData.ipv6) }
}

/// Why one record's rdata could not be read; the data came from the network, so this is expected.
public enum RDataError: Error, Sendable, Hashable, CustomStringConvertible {
    case truncated(type: String, length: Int)
    case wrongLength(type: String, expected: Int, actual: Int)
    case trailingBytes(type: String, count: Int)
    case badName(String)

    public var description: String {
        switch self {
        case .truncated(let type, let length): "\(type) rdata truncated (\(length) bytes)"
        case .wrongLength(let type, let expected, let actual): "\(type) rdata is \(actual) bytes, expected \(expected)"
        case .trailingBytes(let type, let count): "\(type) rdata has \(count) bytes after its last field"
        case .badName(let why): "bad domain name in rdata: \(why)"
        }
    }
}

/// Parsers for rdata in the uncompressed wire form libunbound returns in `ub_result.data`.
///
/// Pure functions over bytes, so they can be tested without a server. libunbound
/// stores rdata with domain names already decompressed (its message parser expands
/// them when it copies an RRset out of the packet); a compression pointer here would
/// point into a packet we do not have, so it is reported as an error, never followed.
public enum RData {
    /// The longest name on the wire (RFC 1035 §3.1).
    static let maxNameLength = 255

    /// TXT: one or more length-prefixed character-strings (RFC 1035 §3.3.14).
    ///
    /// Each string is kept separately, because RFC 8461 and RFC 8460 say to join them
    /// without separators and a display may want to show the split. Bytes that are not
    /// UTF-8 become U+FFFD rather than failing the record: the record still exists and
    /// must still count (two STS records is an error even if one is garbage), and the
    /// replacement character can never satisfy the ASCII grammar of either record.
    @Sendable public static func txt(_ bytes: [UInt8]) throws(RDataError) -> TXTRecord {
        var strings: [String] = []
        var index = 0
        while index < bytes.count {
            let length = Int(bytes[index])
            let start = index + 1
            guard start + length <= bytes.count else { throw .truncated(type: "TXT", length: bytes.count) }
            strings.append(String(decoding: bytes[start..<start + length], as: UTF8.self))
            index = start + length
        }
        // An empty rdata is not a valid TXT record: it must hold at least one string.
        guard !strings.isEmpty else { throw .truncated(type: "TXT", length: 0) }
        return TXTRecord(strings: strings)
    }

    /// MX: a 16-bit preference, then the exchange's name (RFC 1035 §3.3.9).
    @Sendable public static func mx(_ bytes: [UInt8]) throws(RDataError) -> MXRecord {
        guard bytes.count >= 3 else { throw .truncated(type: "MX", length: bytes.count) }
        let preference = Int(bytes[0]) << 8 | Int(bytes[1])
        let (exchange, end) = try name(in: bytes, at: 2)
        guard end == bytes.count else { throw .trailingBytes(type: "MX", count: bytes.count - end) }
        return MXRecord(preference: preference, exchange: exchange)
    }

    @Sendable public static func ipv4(_ bytes: [UInt8]) throws(RDataError) -> String {
        guard bytes.count == 4 else { throw .wrongLength(type: "A", expected: 4, actual: bytes.count) }
        return bytes.map(String.init).joined(separator: ".")
    }

    @Sendable public static func ipv6(_ bytes: [UInt8]) throws(RDataError) -> String {
        guard bytes.count == 16 else { throw .wrongLength(type: "AAAA", expected: 16, actual: bytes.count) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(AF_INET6, raw.baseAddress, &text, socklen_t(text.count)) != nil
        }
        // inet_ntop only fails for a bad family or a short buffer, neither possible here.
        guard ok else { throw .wrongLength(type: "AAAA", expected: 16, actual: bytes.count) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads an uncompressed wire-format name starting at `start`; returns it in
    /// presentation form with a trailing dot ("mx1.example.com.", or "." for the root)
    /// and the index just past it.
    ///
    /// Label bytes outside letters, digits, hyphen and underscore are written as
    /// `\DDD` escapes (RFC 1035 §5.1), so a hostile label cannot smuggle a dot or
    /// control characters into a host name.
    public static func name(in bytes: [UInt8], at start: Int) throws(RDataError) -> (String, Int) {
        var labels: [String] = []
        var index = start
        while true {
            guard index < bytes.count else { throw .badName("ends before its root label") }
            let length = Int(bytes[index])
            if length == 0 { index += 1; break }
            guard length < 64 else {
                throw .badName(length >= 0xC0 ? "compression pointer in uncompressed rdata"
                                              : "label length byte \(length) is not a length")
            }
            let labelStart = index + 1
            guard labelStart + length <= bytes.count else { throw .badName("label runs past the rdata") }
            labels.append(presentation(bytes[labelStart..<labelStart + length]))
            index = labelStart + length
            guard index - start <= maxNameLength else { throw .badName("longer than \(maxNameLength) bytes") }
        }
        return (labels.isEmpty ? "." : labels.joined(separator: ".") + ".", index)
    }

    private static func presentation(_ label: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in label {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = String(byte)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text
    }
}
