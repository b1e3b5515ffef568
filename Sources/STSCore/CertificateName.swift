/// Matching a host name against a certificate's names (RFC 6125 §6.4, as RFC 8461 §4.2 applies it).
public enum CertificateName {
    /// True when one of the subjectAltName dNSName entries matches `host`.
    ///
    /// RFC 8461 §4.2 uses DNS-IDs only: the subject's common name is not consulted.
    /// A wildcard is allowed only as the entire leftmost label (`*.example.com`),
    /// matches exactly one label, and never a bare public-looking suffix (`*.com`).
    public static func matches(host: String, dnsNames: [String]) -> Bool {
        let target = DomainName.canonical(host)
        return dnsNames.contains { nameMatches(DomainName.canonical($0), target) }
    }

    static func nameMatches(_ presented: String, _ host: String) -> Bool {
        guard presented.hasPrefix("*.") else { return !presented.contains("*") && presented == host }
        let suffix = presented.dropFirst(1)
        guard !suffix.dropFirst().contains("*"), suffix.dropFirst().contains(".") else { return false }
        guard host.hasSuffix(suffix) else { return false }
        let label = host.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }
}
