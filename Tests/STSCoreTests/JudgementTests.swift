import Foundation
import Testing
@testable import STSCore

/// Builds observations for the judgement: a healthy domain by default, altered per case.
struct ObservationBuilder {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)
    var domain = "example.com"
    var stsTXT: DNSOutcome<TXTRecord> = .records([TXTRecord("v=STSv1; id=20240101")])
    var tlsrptTXT: DNSOutcome<TXTRecord> = .records([TXTRecord("v=TLSRPTv1; rua=mailto:tls@example.com")])
    var policyBody: String? = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.mail.example.com\nmax_age: 604800\n"
    var fetchFailure: PolicyFetchFailure?
    var policyCertDays = 60.0
    var mx: [(String, Int)] = [("mx1.example.com", 10), ("a.mail.example.com", 20)]
    var mxLookup: DNSOutcome<MXRecord>?
    var outcomes: [String: SMTPProbeOutcome] = [:]
    var ehlo: [String: [String]] = [:]
    var certDays: [String: Double] = [:]
    var certNames: [String: [String]] = [:]
    var untrusted: Set<String> = []
    var unresolved: Set<String> = []

    static func cert(_ names: [String], days: Double, trusted: Bool = true) -> (CertificateInfo, ChainVerdict) {
        (CertificateInfo(subject: "CN=\(names.first ?? "")", issuer: "CN=Lab CA", dnsNames: names,
                         notBefore: now.addingTimeInterval(-86_400 * 30), notAfter: now.addingTimeInterval(86_400 * days),
                         sha256: names.joined() + "\(days)"),
         ChainVerdict(trusted: trusted, code: trusted ? 0 : 20, reason: trusted ? "ok" : "unable to get local issuer certificate"))
    }

    func build() -> DomainObservation {
        let (pcert, pverdict) = Self.cert(["mta-sts.\(domain)"], days: policyCertDays)
        let fetch = PolicyFetch(url: "https://mta-sts.\(domain)/.well-known/mta-sts.txt",
                                httpStatus: fetchFailure == nil ? 200 : nil, contentType: "text/plain",
                                body: fetchFailure == nil ? policyBody : nil, failure: fetchFailure,
                                tls: TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", chain: [pcert], verdict: pverdict))
        let hosts = mx.map { host, pref -> MXObservation in
            let address = "192.0.2.\(pref)"
            let (cert, verdict) = Self.cert(certNames[host] ?? [host], days: certDays[host] ?? 90, trusted: !untrusted.contains(host))
            let outcome = outcomes[host] ?? .tls(TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", chain: [cert], verdict: verdict))
            let probes = unresolved.contains(host) ? [] : [SMTPProbe(host: host, address: address, ehlo: ehlo[host] ?? ["250-mx", "250 STARTTLS"], outcome: outcome)]
            return MXObservation(record: MXRecord(preference: pref, exchange: host),
                                 ipv4: unresolved.contains(host) ? .noRecords : .records([address]), ipv6: .noRecords,
                                 probes: probes)
        }
        return DomainObservation(domain: domain, observedAt: Self.now, stsTXT: stsTXT, tlsrptTXT: tlsrptTXT,
                                 mx: mxLookup ?? .records(mx.map { MXRecord(preference: $0.1, exchange: $0.0) }),
                                 policyFetch: fetch, mxHosts: hosts)
    }
}

@Suite struct JudgementTests {
    func assess(_ change: (inout ObservationBuilder) -> Void, previous: PreviousState? = nil) -> Assessment {
        var b = ObservationBuilder()
        change(&b)
        return Judge.assess(b.build(), previous: previous)
    }

    func codes(_ a: Assessment) -> [String: Severity] {
        Dictionary(a.findings.map { ($0.code.rawValue, $0.severity) }, uniquingKeysWith: max)
    }

    @Test func healthyDomainIsOK() {
        let a = assess { _ in }
        #expect(a.status == .ok, "\(a.findings)")
        #expect(a.findings.isEmpty)
        #expect(a.mtaSts.mode == .enforce)
        #expect(a.mtaSts.txtID == "20240101")
        #expect(a.tlsRpt.rua == ["mailto:tls@example.com"])
        #expect(a.mx.map(\.coveredByPolicy) == [true, true])
        #expect(a.mx.first?.cert?.daysLeft == 90)
        #expect(a.mx.first?.cert?.nameMatch == true)
    }

    /// One change from the healthy domain, the code it must raise, its severity and the status.
    @Test(arguments: [
        ("no STS record", { @Sendable (b: inout ObservationBuilder) in b.stsTXT = .nameDoesNotExist }, "sts-txt-missing", Severity.warn, DomainStatus.warn),
        ("invalid STS record", { @Sendable (b: inout ObservationBuilder) in b.stsTXT = .records([TXTRecord("v=STSv1; id=no-dashes")]) }, "sts-txt-invalid", .crit, .crit),
        ("two STS records", { @Sendable (b: inout ObservationBuilder) in b.stsTXT = .records([TXTRecord("v=STSv1; id=1"), TXTRecord("v=STSv1; id=2")]) }, "sts-txt-multiple", .crit, .crit),
        ("STS lookup SERVFAIL", { @Sendable (b: inout ObservationBuilder) in b.stsTXT = .failed(reason: "SERVFAIL") }, "dns-error", .warn, .unknown),
        ("policy 404", { @Sendable (b: inout ObservationBuilder) in b.fetchFailure = .httpStatus(404) }, "sts-policy-fetch-error", .crit, .crit),
        ("policy redirect", { @Sendable (b: inout ObservationBuilder) in b.fetchFailure = .redirect(status: 301, location: "https://www.example.com/") }, "sts-policy-fetch-error", .crit, .crit),
        ("policy host cert", { @Sendable (b: inout ObservationBuilder) in b.fetchFailure = .tls("certificate has expired") }, "sts-webpki-invalid", .crit, .crit),
        ("policy invalid", { @Sendable (b: inout ObservationBuilder) in b.policyBody = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n" }, "sts-policy-invalid", .crit, .crit),
        ("policy lenient", { @Sendable (b: inout ObservationBuilder) in b.policyBody = "version: STSv1\n\nmode: enforce\nmx: *.example.com\nmx: *.mail.example.com\nmax_age: 604800\n" }, "sts-policy-lenient", .info, .ok),
        ("testing mode", { @Sendable (b: inout ObservationBuilder) in b.policyBody = "version: STSv1\nmode: testing\nmx: *.example.com\nmx: *.mail.example.com\nmax_age: 604800\n" }, "sts-mode-testing", .warn, .warn),
        ("none mode", { @Sendable (b: inout ObservationBuilder) in b.policyBody = "version: STSv1\nmode: none\nmax_age: 604800\n" }, "sts-mode-none", .warn, .warn),
        ("short max_age", { @Sendable (b: inout ObservationBuilder) in b.policyBody = "version: STSv1\nmode: enforce\nmx: *.example.com\nmx: *.mail.example.com\nmax_age: 300\n" }, "sts-max-age-short", .warn, .warn),
        ("uncovered MX", { @Sendable (b: inout ObservationBuilder) in b.mx.append(("backup.other.net", 30)) }, "sts-mx-not-covered", .crit, .crit),
        ("unused pattern", { @Sendable (b: inout ObservationBuilder) in b.mx = [("mx1.example.com", 10)] }, "sts-mx-pattern-unused", .info, .ok),
        ("no TLS-RPT", { @Sendable (b: inout ObservationBuilder) in b.tlsrptTXT = .noRecords }, "tlsrpt-txt-missing", .warn, .warn),
        ("bad TLS-RPT", { @Sendable (b: inout ObservationBuilder) in b.tlsrptTXT = .records([TXTRecord("v=TLSRPTv1; rua=ftp://x.example")]) }, "tlsrpt-txt-invalid", .warn, .warn),
        ("two TLS-RPT", { @Sendable (b: inout ObservationBuilder) in b.tlsrptTXT = .records([TXTRecord("v=TLSRPTv1; rua=mailto:a@x.example"), TXTRecord("v=TLSRPTv1; rua=mailto:b@x.example")]) }, "tlsrpt-txt-multiple", .warn, .warn),
        ("no MX", { @Sendable (b: inout ObservationBuilder) in b.mx = []; b.mxLookup = .noRecords }, "mx-missing", .crit, .crit),
        ("domain gone", { @Sendable (b: inout ObservationBuilder) in b.mx = []; b.mxLookup = .nameDoesNotExist }, "mx-missing", .crit, .crit),
        ("MX lookup failed", { @Sendable (b: inout ObservationBuilder) in b.mx = []; b.mxLookup = .failed(reason: "timed out") }, "dns-error", .warn, .unknown),
        ("one MX without address", { @Sendable (b: inout ObservationBuilder) in b.unresolved = ["a.mail.example.com"] }, "mx-resolve-error", .warn, .warn),
        ("every MX without address", { @Sendable (b: inout ObservationBuilder) in b.unresolved = ["a.mail.example.com", "mx1.example.com"] }, "mx-resolve-error", .crit, .crit),
        ("one MX down", { @Sendable (b: inout ObservationBuilder) in b.outcomes["mx1.example.com"] = .connectFailed("Connection refused") }, "mx-unreachable", .warn, .warn),
        ("greeting 554", { @Sendable (b: inout ObservationBuilder) in b.outcomes["mx1.example.com"] = .refused(stage: "greeting", reply: "554 go away") }, "mx-unreachable", .warn, .warn),
        ("no STARTTLS", { @Sendable (b: inout ObservationBuilder) in b.outcomes["mx1.example.com"] = .starttlsNotOffered }, "starttls-not-supported", .crit, .crit),
        ("stripped STARTTLS", { @Sendable (b: inout ObservationBuilder) in b.outcomes["mx1.example.com"] = .starttlsNotOffered; b.ehlo["mx1.example.com"] = ["250-mx1", "250-XSTART", "250 8BITMIME"] }, "starttls-downgrade", .crit, .crit),
        ("handshake failure", { @Sendable (b: inout ObservationBuilder) in b.outcomes["mx1.example.com"] = .tlsFailed("wrong version number") }, "tls-handshake-failed", .crit, .crit),
        ("expired cert", { @Sendable (b: inout ObservationBuilder) in b.certDays["mx1.example.com"] = -3 }, "certificate-expired", .crit, .crit),
        ("cert expiring in 5 days", { @Sendable (b: inout ObservationBuilder) in b.certDays["mx1.example.com"] = 5.5 }, "certificate-expiring", .crit, .crit),
        ("cert expiring in 15 days", { @Sendable (b: inout ObservationBuilder) in b.certDays["mx1.example.com"] = 15.5 }, "certificate-expiring", .warn, .warn),
        ("cert for another name", { @Sendable (b: inout ObservationBuilder) in b.certNames["mx1.example.com"] = ["mail.other.net"] }, "certificate-host-mismatch", .crit, .crit),
        ("untrusted cert", { @Sendable (b: inout ObservationBuilder) in b.untrusted = ["mx1.example.com"] }, "certificate-not-trusted", .crit, .crit),
        ("policy host cert expiring", { @Sendable (b: inout ObservationBuilder) in b.policyCertDays = 3.5 }, "sts-policy-certificate-expiring", .crit, .crit),
    ] as [(String, @Sendable (inout ObservationBuilder) -> Void, String, Severity, DomainStatus)])
    func oneProblem(name: String, change: @Sendable (inout ObservationBuilder) -> Void, code: String, severity: Severity, status: DomainStatus) {
        let a = assess(change)
        #expect(codes(a)[code] == severity, "\(name): \(a.findings)")
        #expect(a.status == status, "\(name): \(a.findings)")
        for finding in a.findings {
            #expect(!finding.message.isEmpty && !finding.subject.isEmpty)
        }
    }

    @Test func testingModeSoftensMXProblems() {
        let a = assess {
            $0.policyBody = "version: STSv1\nmode: testing\nmx: mx1.example.com\nmx: *.mail.example.com\nmax_age: 604800\n"
            $0.certDays["mx1.example.com"] = -1
            $0.mx.append(("backup.other.net", 30))
        }
        #expect(codes(a)["certificate-expired"] == .warn)
        #expect(codes(a)["sts-mx-not-covered"] == .warn)
        #expect(a.status == .warn)
    }

    @Test func withoutMTASTSCertificateProblemsAreInformational() {
        let a = assess {
            $0.stsTXT = .noRecords
            $0.policyBody = nil
            $0.certDays["mx1.example.com"] = -1
        }
        #expect(codes(a)["certificate-expired"] == .info)
        #expect(a.status == .warn) // from sts-txt-missing
    }

    @Test func lostSTARTTLSOfferIsADowngrade() {
        let previous = PreviousState(stsID: "20240101", policy: nil, starttlsOffered: ["mx1.example.com"])
        let a = assess({ $0.outcomes["mx1.example.com"] = .starttlsNotOffered }, previous: previous)
        #expect(codes(a)["starttls-downgrade"] == .crit)
        let fresh = assess { $0.outcomes["mx1.example.com"] = .starttlsNotOffered }
        #expect(codes(fresh)["starttls-downgrade"] == nil)
    }

    @Test func policyChangedWithoutNewID() throws {
        let old = try Policy.parse("version: STSv1\nmode: testing\nmx: mx1.example.com\nmx: *.mail.example.com\nmax_age: 604800\n").policy
        let changed = assess({ _ in }, previous: PreviousState(stsID: "20240101", policy: old, starttlsOffered: []))
        #expect(codes(changed)["sts-policy-id-unchanged"] == .warn)
        let newID = assess({ $0.stsTXT = .records([TXTRecord("v=STSv1; id=20250101")]) },
                           previous: PreviousState(stsID: "20240101", policy: old, starttlsOffered: []))
        #expect(codes(newID)["sts-policy-id-unchanged"] == nil)
    }

    @Test func findingsAreOrderedWorstFirst() {
        let a = assess {
            $0.tlsrptTXT = .noRecords
            $0.certDays["mx1.example.com"] = -1
            $0.mx = [("mx1.example.com", 10)]
        }
        #expect(a.findings.map(\.severity) == a.findings.map(\.severity).sorted(by: >))
    }

    @Test func everyMXDownIsCritical() {
        let a = assess {
            $0.outcomes["mx1.example.com"] = .connectFailed("refused")
            $0.outcomes["a.mail.example.com"] = .timeout(stage: "greeting")
        }
        #expect(codes(a)["mx-unreachable"] == .crit)
    }

    @Test func jsonUsesTheDocumentedNames() throws {
        let a = assess { _ in }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let object = try JSONSerialization.jsonObject(with: encoder.encode(a)) as! [String: Any]
        #expect(Set(object.keys).isSuperset(of: ["domain", "status", "findings", "mta_sts", "tls_rpt", "mx"]))
        let sts = object["mta_sts"] as! [String: Any]
        #expect(Set(sts.keys).isSuperset(of: ["txt_id", "mode", "max_age", "mx", "fetch"]))
        let mx = (object["mx"] as! [[String: Any]])[0]
        #expect(Set(mx.keys).isSuperset(of: ["host", "preference", "addresses", "starttls", "tls_version", "cert", "covered_by_policy"]))
        let cert = mx["cert"] as! [String: Any]
        #expect(Set(cert.keys).isSuperset(of: ["not_after", "days_left", "names", "issuer", "trusted", "name_match"]))
    }
}

@Suite struct JudgementWithoutTXTTests {
    @Test func missingPolicyHostIsNotAFindingWithoutTXT() {
        var b = ObservationBuilder()
        b.stsTXT = .nameDoesNotExist
        b.fetchFailure = .resolve("NXDOMAIN")
        let a = Judge.assess(b.build())
        #expect(a.findings.map(\.code) == [.stsTxtMissing])
    }

    @Test func publishedPolicyWithoutTXTIsMentioned() {
        var b = ObservationBuilder()
        b.stsTXT = .noRecords
        let a = Judge.assess(b.build())
        #expect(a.findings.first { $0.code == .stsTxtMissing }?.message.contains("though a policy is published") == true)
    }
}

@Suite struct ImplicitAndNullMXTests {
    @Test func implicitMXNotCoveredUnderEnforceIsCritical() {
        var b = ObservationBuilder()
        b.mx = []
        b.mxLookup = .noRecords
        let a = Judge.assess(b.build())
        #expect(a.findings.first { $0.code == .mxMissing }?.severity == .crit)
    }

    @Test func implicitMXCoveredIsOnlyAWarning() {
        var b = ObservationBuilder()
        b.mx = []
        b.mxLookup = .noRecords
        b.policyBody = "version: STSv1\nmode: enforce\nmx: example.com\nmax_age: 604800\n"
        let a = Judge.assess(b.build())
        #expect(a.findings.first { $0.code == .mxMissing }?.severity == .warn)
    }

    @Test func nullMXNeedsNoProtection() {
        var b = ObservationBuilder()
        b.mx = []
        b.mxLookup = .records([MXRecord(preference: 0, exchange: ".")])
        b.stsTXT = .nameDoesNotExist
        b.tlsrptTXT = .nameDoesNotExist
        let a = Judge.assess(b.build())
        #expect(a.findings.map(\.code) == [.mxNullMX])
        #expect(a.status == .ok)
    }
}
