/// The MTA-STS TXT record at `_mta-sts.DOMAIN` (RFC 8461 §3.1).
public struct STSRecord: Sendable, Hashable, Codable {
    /// The policy instance id: 1 to 32 letters and digits; a change tells senders to re-fetch.
    public var id: String
    /// Extension fields, in order; RFC 8461 says senders ignore them.
    public var extensions: [Extension]

    public struct Extension: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    public static let versionTag = "v=STSv1"

    /// Why one record's text is not a valid MTA-STS record.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case versionNotFirst
        case emptyField(index: Int)
        case malformedField(String)
        case badFieldName(String)
        case badExtensionValue(name: String, value: String)
        case missingID
        case duplicateID
        case badID(String)

        public var description: String {
            switch self {
            case .versionNotFirst: "the record must begin with \"v=STSv1\" as its first field"
            case .emptyField(let i): "field \(i) is empty (two \";\" in a row)"
            case .malformedField(let f): "field \"\(f)\" has no \"=\""
            case .badFieldName(let n): "\"\(n)\" is not a valid field name"
            case .badExtensionValue(let n, let v): "field \(n) has an invalid value \"\(v)\" (no spaces, \";\" or \"=\" allowed)"
            case .missingID: "the required \"id\" field is missing"
            case .duplicateID: "the \"id\" field appears more than once"
            case .badID(let id):
                "id \"\(id)\" must be 1 to 32 letters and digits (RFC 8461 §3.1)"
                    + (id.utf8.allSatisfy(DomainName.isLetterOrDigit) ? "; it has \(id.utf8.count) characters" : "; it has other characters")
            }
        }
    }

    /// Parses the concatenated text of one TXT record.
    public static func parse(_ text: String) throws(ParseError) -> STSRecord {
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
        var id: String?
        var extensions: [Extension] = []
        for field in record.fields {
            if field.name == "id" {
                guard id == nil else { throw .duplicateID }
                let value = field.value
                guard (1...32).contains(value.utf8.count),
                      value.utf8.allSatisfy(DomainName.isLetterOrDigit) else { throw .badID(value) }
                id = value
            } else {
                guard TagValueRecord.isExtensionValue(field.value) else {
                    throw .badExtensionValue(name: field.name, value: field.value)
                }
                extensions.append(Extension(name: field.name, value: field.value))
            }
        }
        guard let id else { throw .missingID }
        return STSRecord(id: id, extensions: extensions)
    }
}

/// What a sender concludes from the `_mta-sts` TXT RRset.
public typealias STSRecordVerdict = RecordVerdict<STSRecord, STSRecord.ParseError>

extension RecordVerdict where Record == STSRecord, ParseError == STSRecord.ParseError {
    /// Applies RFC 8461 §3.1 to the records of the RRset.
    public static func evaluate(_ records: [TXTRecord]) -> STSRecordVerdict {
        evaluate(records, version: STSRecord.versionTag, parse: STSRecord.parse)
    }
}
