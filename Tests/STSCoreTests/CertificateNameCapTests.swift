import Foundation
import STSCore
import Testing

/// Stored certificates keep a bounded list of names, and the name check's answer does not change.
@Suite struct CertificateNameCapTests {
    func certificate(_ names: [String]) -> CertificateInfo {
        CertificateInfo(subject: "CN=x", issuer: "CN=ca", dnsNames: names, notBefore: Date(timeIntervalSince1970: 0),
                        notAfter: Date(timeIntervalSince1970: 2_000_000_000), sha256: String(repeating: "0", count: 64))
    }

    @Test(arguments: ["mx.host4999.example", "mx1.wild.example", "other.example"])
    func theMatchSurvivesTheCap(host: String) {
        let names = (0..<5000).map { "mx.host\($0).example" } + ["*.wild.example"]
        let full = certificate(names)
        let capped = full.keepingNames(atMost: 256, for: host)
        #expect(capped.dnsNames.count == 256)
        #expect(capped.omittedNames == names.count - 256)
        #expect(CertificateName.matches(host: host, dnsNames: capped.dnsNames)
                == CertificateName.matches(host: host, dnsNames: full.dnsNames))
    }

    @Test func aShortListIsUntouched() {
        let c = certificate(["a.example", "b.example"])
        #expect(c.keepingNames(atMost: 256, for: "a.example") == c)
    }
}
