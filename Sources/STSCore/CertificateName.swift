/// Matching a host name against a certificate's names (RFC 6125 §6.4, as RFC 8461 §4.2 applies it).
public enum CertificateName {
    /// True when one of the subjectAltName dNSName entries matches `host`.
    ///
    /// RFC 8461 §4.2 uses DNS-IDs only: the subject's common name is not consulted.
    /// A wildcard is allowed only as the entire leftmost label (`*.example.com`),
    /// matches exactly one label, and never a bare public-looking suffix (`*.com`).
    public static func matches(host: String, dnsNames: [String]) -> Bool {
        let target = DomainName.canonical(host)
        return dnsNames.contains { nameMatches(comparable($0), target) }
    }

    /// A presented name in canonical form. Certificates of shared hosting list hundreds of names
    /// and every domain on them is matched against all: plain ASCII names (nearly all) are only
    /// lower-cased, without the full normalisation that U-labels need.
    static func comparable(_ name: String) -> String {
        var bytes = Array(name.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return DomainName.canonical(name) }
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] |= 0x20 }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Both names canonical. Works on UTF-8 bytes: it runs once per presented name per domain.
    static func nameMatches(_ presented: String, _ host: String) -> Bool {
        let star = UInt8(ascii: "*"), dot = UInt8(ascii: ".")
        let p = presented.utf8, h = host.utf8
        guard p.first == star else { return p.count == h.count && !p.contains(star) && p.elementsEqual(h) }
        let suffix = p.dropFirst()  // ".example.com"
        guard suffix.first == dot, !suffix.contains(star), suffix.dropFirst().contains(dot), h.count > suffix.count,
              h.suffix(suffix.count).elementsEqual(suffix) else { return false }
        let label = h.prefix(h.count - suffix.count)
        return !label.isEmpty && !label.contains(dot)
    }
}
