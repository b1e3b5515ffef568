import Foundation

/// The TLS-RPT TXT record at `_smtp._tls.DOMAIN` (RFC 8460 §3).
public struct TLSRPTRecord: Sendable, Hashable, Codable {
    /// Where reports go, in order: `mailto:` and `https:` URIs.
    public var rua: [ReportURI]
    public var extensions: [STSRecord.Extension]

    public static let versionTag = "v=TLSRPTv1"

    /// One aggregate-report destination.
    public enum ReportURI: Sendable, Hashable, Codable, CustomStringConvertible {
        case mailto(address: String)
        case https(url: String)

        public var description: String {
            switch self {
            case .mailto(let a): "mailto:\(a)"
            case .https(let u): u
            }
        }
    }

    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case versionNotFirst
        case emptyField(index: Int)
        case malformedField(String)
        case badFieldName(String)
        case badExtensionValue(name: String, value: String)
        case missingRUA
        case duplicateRUA
        case emptyURI
        case unsupportedScheme(String)
        case badMailto(String)
        /// A `mailto:` URI whose address, percent-decoded, holds a control or invisible character.
        case mailtoControlCharacter(uri: String, scalar: UInt32)
        case badHTTPS(String)

        public var description: String {
            switch self {
            case .versionNotFirst: "the record must begin with \"v=TLSRPTv1\" as its first field"
            case .emptyField(let i): "field \(i) is empty (two \";\" in a row)"
            case .malformedField(let f): "field \"\(f)\" has no \"=\""
            case .badFieldName(let n): "\"\(n)\" is not a valid field name"
            case .badExtensionValue(let n, let v): "field \(n) has an invalid value \"\(v)\""
            case .missingRUA: "the required \"rua\" field is missing: no one will receive reports"
            case .duplicateRUA: "the \"rua\" field appears more than once; list all URIs in one, separated by commas"
            case .emptyURI: "rua has an empty URI (a stray comma)"
            case .unsupportedScheme(let u): "rua URI \"\(u)\" is neither mailto: nor https: (RFC 8460 §3)"
            case .badMailto(let u): "rua URI \"\(u)\" is not a valid mailto: address"
            case .mailtoControlCharacter(let u, let scalar):
                "rua URI \"\(u)\" decodes to an address with the control or invisible character U+\(String(format: "%04X", scalar))"
            case .badHTTPS(let u): "rua URI \"\(u)\" is not a valid https: URL"
            }
        }
    }

    /// Parses the concatenated text of one TXT record.
    public static func parse(_ text: String) throws(ParseError) -> TLSRPTRecord {
        let record: TagValueRecord
        do {
            record = try TagValueRecord.parse(text, version: versionTag)
        } catch {
            switch error {
            case .versionNotFirst: throw .versionNotFirst
            case .emptyField(let i): throw .emptyField(index: i)
            case .missingEquals(let f): throw .malformedField(f)
            case .badName(let n): throw .badFieldName(n)
            }
        }
        var rua: [ReportURI]?
        var extensions: [STSRecord.Extension] = []
        for field in record.fields {
            if field.name == "rua" {
                guard rua == nil else { throw .duplicateRUA }
                rua = try parseURIs(field.value)
            } else {
                guard TagValueRecord.isExtensionValue(field.value) else {
                    throw .badExtensionValue(name: field.name, value: field.value)
                }
                extensions.append(.init(name: field.name, value: field.value))
            }
        }
        guard let rua else { throw .missingRUA }
        return TLSRPTRecord(rua: rua, extensions: extensions)
    }

    /// `tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)`; commas inside a URI must be percent-encoded.
    static func parseURIs(_ value: String) throws(ParseError) -> [ReportURI] {
        var uris: [ReportURI] = []
        for piece in value.split(separator: ",", omittingEmptySubsequences: false) {
            let uri = TagValueRecord.trimWSP(piece)
            guard !uri.isEmpty else { throw .emptyURI }
            uris.append(try parseURI(uri))
        }
        return uris
    }

    static func parseURI(_ uri: String) throws(ParseError) -> ReportURI {
        guard let colon = uri.firstIndex(of: ":") else { throw .unsupportedScheme(uri) }
        let scheme = uri[..<colon].lowercased()
        let rest = String(uri[uri.index(after: colon)...])
        guard uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw scheme == "mailto" ? .badMailto(uri) : .badHTTPS(uri)
        }
        switch scheme {
        case "mailto":
            // mailto:addr-spec, optionally ?headers (RFC 6068); one address per URI.
            let address = String(rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
            let decoded = address.removingPercentEncoding ?? address
            // %1B, %0D%0A and the like would reach log lines and mail headers as the real thing.
            if let bad = decoded.unicodeScalars.first(where: \.isControlOrInvisible) {
                throw .mailtoControlCharacter(uri: uri, scalar: bad.value)
            }
            guard let at = decoded.lastIndex(of: "@"),
                  !decoded[..<at].isEmpty,
                  DomainName.isHostName(String(decoded[decoded.index(after: at)...])),
                  decoded.filter({ $0 == "@" }).count == 1
            else { throw .badMailto(uri) }
            return .mailto(address: decoded)
        case "https":
            guard rest.hasPrefix("//") else { throw .badHTTPS(uri) }
            let authority = rest.dropFirst(2).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            var host = Substring(authority)
            if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
            if host.hasPrefix("[") {
                guard host.contains("]") else { throw .badHTTPS(uri) }
            } else {
                if let colon = host.lastIndex(of: ":") {
                    let port = host[host.index(after: colon)...]
                    guard !port.isEmpty, port.allSatisfy(\.isNumber) else { throw .badHTTPS(uri) }
                    host = host[..<colon]
                }
                guard DomainName.isHostName(String(host)) || isIPv4(String(host)) else { throw .badHTTPS(uri) }
            }
            return .https(url: uri)
        default:
            throw .unsupportedScheme(uri)
        }
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p)! <= 255
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// What a sender concludes from the `_smtp._tls` TXT RRset.
public typealias TLSRPTRecordVerdict = RecordVerdict<TLSRPTRecord, TLSRPTRecord.ParseError>

extension RecordVerdict where Record == TLSRPTRecord, ParseError == TLSRPTRecord.ParseError {
    /// Applies RFC 8460 §3: discard records without the version tag; exactly one must remain.
    public static func evaluate(_ records: [TXTRecord]) -> TLSRPTRecordVerdict {
        evaluate(records, version: TLSRPTRecord.versionTag, parse: TLSRPTRecord.parse)
    }
}
