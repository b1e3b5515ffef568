/// The tag-value syntax shared by the MTA-STS and TLS-RPT TXT records.
///
/// Both RFC 8461 §3.1 and RFC 8460 §3 define: a version field first, then
/// fields separated by `*WSP ";" *WSP`, an optional trailing delimiter, and
/// extension fields named `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`
/// whose values are `1*(%x21-3A / %x3C / %x3E-7E)`.
struct TagValueRecord {
    struct Field {
        var name: String
        var value: String
    }

    enum Problem: Error, Equatable {
        case versionNotFirst(expected: String)
        case emptyField(index: Int)
        case missingEquals(field: String)
        case badName(String)
    }

    var fields: [Field]

    /// Parses `text` whose first field must be exactly `version` (e.g. `v=STSv1`).
    static func parse(_ text: String, version: String) throws(Problem) -> TagValueRecord {
        var parts = text.split(separator: ";", omittingEmptySubsequences: false).map { String($0) }
        // An optional trailing delimiter leaves one empty, whitespace-only part.
        if parts.count > 1, let last = parts.last, last.allSatisfy(isWSP) { parts.removeLast() }
        // The version field: no leading whitespace, nothing but WSP between it and the first ";".
        guard let first = parts.first, trimWSP(first) == version, !first.hasPrefix(" "), !first.hasPrefix("\t")
        else { throw .versionNotFirst(expected: version) }
        var fields: [Field] = []
        for (index, part) in parts.enumerated().dropFirst() {
            let trimmed = trimWSP(part)
            guard !trimmed.isEmpty else { throw .emptyField(index: index + 1) }
            guard let eq = trimmed.firstIndex(of: "=") else { throw .missingEquals(field: trimmed) }
            let name = String(trimmed[..<eq])
            let value = String(trimmed[trimmed.index(after: eq)...])
            guard isExtensionName(name) else { throw .badName(name) }
            fields.append(Field(name: name, value: value))
        }
        return TagValueRecord(fields: fields)
    }

    /// RFC 8461/8460 ext-value: printable ASCII except `=`, `;` and space.
    static func isExtensionValue(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { (0x21...0x3A).contains($0) || $0 == 0x3C || (0x3E...0x7E).contains($0) }
    }

    static func isExtensionName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 32, DomainName.isLetterOrDigit(first) else { return false }
        return bytes.dropFirst().allSatisfy {
            DomainName.isLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    static func isWSP(_ c: Character) -> Bool { c == " " || c == "\t" }

    static func trimWSP(_ s: some StringProtocol) -> String {
        var sub = Substring(s)
        while let f = sub.first, isWSP(f) { sub.removeFirst() }
        while let l = sub.last, isWSP(l) { sub.removeLast() }
        return String(sub)
    }

    /// Whether a record's text is a candidate for this record type.
    ///
    /// RFC 8461 says records not beginning with `v=STSv1;` are discarded, but its own
    /// ABNF allows whitespace before the `;` (erratum 6285): we accept the version
    /// followed by optional WSP and then `;` or the end, so `v=STSv1 ; id=1` is
    /// judged rather than silently ignored, while `v=STSv10` is not ours.
    static func isCandidate(_ text: String, version: String) -> Bool {
        guard text.hasPrefix(version) else { return false }
        let rest = text.dropFirst(version.count).drop(while: isWSP)
        return rest.isEmpty || rest.first == ";"
    }
}

/// What a TXT RRset at `_mta-sts` or `_smtp._tls` amounts to, before field semantics.
public enum RecordSetSelection: Equatable, Sendable {
    /// No record begins with the version tag.
    case none
    /// Exactly one candidate record, as the RFCs require.
    case one(String)
    /// More than one candidate: senders act as though there were none.
    case multiple([String])

    static func select(_ records: [TXTRecord], version: String) -> RecordSetSelection {
        let candidates = records.map(\.text).filter { TagValueRecord.isCandidate($0, version: version) }
        switch candidates.count {
        case 0: return .none
        case 1: return .one(candidates[0])
        default: return .multiple(candidates)
        }
    }
}

/// What a sender concludes from a TXT RRset of one record type (RFC 8461 §3.1, RFC 8460 §3).
public enum RecordVerdict<Record: Hashable & Sendable, ParseError: Error & Hashable & Sendable>: Hashable, Sendable {
    /// No record begins with the version tag: the domain does not publish one.
    case absent
    /// Several candidate records: senders act as though there were none.
    case multiple([String])
    /// The one candidate is not valid: senders ignore it.
    case invalid(text: String, error: ParseError)
    case valid(Record)

    /// Discards records without the version tag; exactly one must remain, and it must parse.
    static func evaluate(_ records: [TXTRecord], version: String,
                         parse: (String) throws(ParseError) -> Record) -> RecordVerdict {
        switch RecordSetSelection.select(records, version: version) {
        case .none: return .absent
        case .multiple(let texts): return .multiple(texts)
        case .one(let text):
            do { return .valid(try parse(text)) } catch { return .invalid(text: text, error: error) }
        }
    }

    public var record: Record? {
        if case .valid(let r) = self { r } else { nil }
    }

    /// `absent`, `multiple`, `invalid` or `valid`, as the JSON output names them.
    public var name: String {
        switch self {
        case .absent: "absent"
        case .multiple: "multiple"
        case .invalid: "invalid"
        case .valid: "valid"
        }
    }
}
