import Foundation
import STSCore

/// A domain's observation built by hand: healthy by default, with one knob per problem.
///
/// The store's tests, its SIGKILL torture helper and its benchmark need many realistic
/// observations without DNS or SMTP servers; the judgement then runs on them for real.
public struct ObservationFixture: Sendable {
    public var domain: String
    public var observedAt: Date
    /// The instant certificate lifetimes count from: fixed, so a later check of the same
    /// fixture sees the same certificates (a check moves the clock, not the certificates).
    public var epoch: Date
    public var stsID = "20240101"
    public var stsTXT: DNSOutcome<TXTRecord>?
    public var tlsrptTXT: DNSOutcome<TXTRecord>?
    /// Nil: a policy in enforce mode naming `mx1.DOMAIN` and `*.mail.DOMAIN`.
    public var policyBody: String?
    public var fetchFailure: PolicyFetchFailure?
    /// Days from ``epoch`` to the policy host certificate's expiry.
    public var policyCertDays = 60.0
    /// Host and preference.
    public var mx: [(String, Int)]
    public var mxLookup: DNSOutcome<MXRecord>?
    public var outcomes: [String: SMTPProbeOutcome] = [:]
    /// Days from ``epoch`` to each MX certificate's expiry (default 90).
    public var certDays: [String: Double] = [:]
    public var certNames: [String: [String]] = [:]
    /// Changes a certificate's fingerprint without changing its dates (a re-issue).
    public var certSerial: [String: Int] = [:]
    public var untrusted: Set<String> = []

    /// The epoch the tests use.
    public static let defaultEpoch = Date(timeIntervalSince1970: 1_790_000_000)

    public init(domain: String, observedAt: Date, epoch: Date = ObservationFixture.defaultEpoch) {
        self.domain = domain
        self.observedAt = observedAt
        self.epoch = epoch
        mx = [("mx1.\(domain)", 10), ("a.mail.\(domain)", 20)]
    }

    public var defaultPolicy: String {
        "version: STSv1\nmode: enforce\nmx: mx1.\(domain)\nmx: *.mail.\(domain)\nmax_age: 604800\n"
    }

    func cert(_ names: [String], days: Double, serial: Int, trusted: Bool) -> (CertificateInfo, ChainVerdict) {
        let notBefore = epoch.addingTimeInterval(-86_400 * 30)
        let notAfter = epoch.addingTimeInterval((86_400 * days).rounded())
        // A fingerprint that changes when the certificate would: names, validity, serial.
        let fingerprint = "\(names.joined(separator: ","))|\(Int(notAfter.timeIntervalSince1970))|\(serial)"
        return (CertificateInfo(subject: "CN=\(names.first ?? "")", issuer: "CN=Fixture CA", dnsNames: names,
                                commonName: names.first, notBefore: notBefore, notAfter: notAfter, sha256: fingerprint),
                ChainVerdict(trusted: trusted, code: trusted ? 0 : 20, reason: trusted ? "ok" : "unable to get local issuer certificate"))
    }

    public func build() -> DomainObservation {
        let (pcert, pverdict) = cert(["mta-sts.\(domain)"], days: policyCertDays, serial: 0, trusted: true)
        let fetch = PolicyFetch(url: "https://mta-sts.\(domain)/.well-known/mta-sts.txt",
                                httpStatus: fetchFailure == nil ? 200 : nil, contentType: "text/plain",
                                body: fetchFailure == nil ? (policyBody ?? defaultPolicy) : nil, failure: fetchFailure,
                                tls: TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", chain: [pcert], verdict: pverdict))
        let hosts = mx.enumerated().map { index, entry -> MXObservation in
            let (host, preference) = entry
            let v4 = "192.0.2.\(index + 1)", v6 = "2001:db8::\(index + 1)"
            let (leaf, verdict) = cert(certNames[host] ?? [host], days: certDays[host] ?? 90, serial: certSerial[host] ?? 0,
                                       trusted: !untrusted.contains(host))
            let outcome = outcomes[host] ?? .tls(TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256",
                                                                chain: [leaf], verdict: verdict))
            let probes = [v4, v6].map {
                SMTPProbe(host: host, address: $0, greeting: ["220 \(host) ESMTP"],
                          ehlo: ["250-\(host)", "250-PIPELINING", "250-SIZE 52428800", "250-STARTTLS", "250 8BITMIME"], outcome: outcome)
            }
            return MXObservation(record: MXRecord(preference: preference, exchange: host + "."),
                                 ipv4: .records([v4]), ipv6: .records([v6]), probes: probes)
        }
        return DomainObservation(
            domain: domain, observedAt: observedAt,
            stsTXT: stsTXT ?? .records([TXTRecord("v=STSv1; id=\(stsID)")]),
            tlsrptTXT: tlsrptTXT ?? .records([TXTRecord("v=TLSRPTv1; rua=mailto:tlsrpt@\(domain)")]),
            mx: mxLookup ?? .records(mx.map { MXRecord(preference: $0.1, exchange: $0.0 + ".") }),
            policyFetch: fetch, mxHosts: hosts)
    }

    /// The observation judged, as the poller would record it.
    public func assess(previous: Assessment? = nil) -> (DomainObservation, Assessment) {
        let observation = build()
        return (observation, Judge.assess(observation, previous: previous.map(PreviousState.init)))
    }

    /// The `index`-th of a varied population: 2 or 3 MX hosts, and every so often a
    /// testing-mode policy, an expiring certificate, a missing TLS-RPT record or no STARTTLS,
    /// so statuses and finding counts spread as across a real customer base. Later rounds
    /// renew or re-issue a few certificates, so they produce some events, as real checks do.
    public static func population(index: Int, round: Int, at date: Date, epoch: Date) -> ObservationFixture {
        var f = ObservationFixture(domain: "d\(index).example\(index % 7).test", observedAt: date, epoch: epoch)
        if index % 3 == 0 { f.mx.append(("b.mail.\(f.domain)", 30)) }
        if index % 11 == 0 {
            f.policyBody = "version: STSv1\nmode: testing\nmx: mx1.\(f.domain)\nmx: *.mail.\(f.domain)\nmax_age: 86400\n"
        }
        if index % 13 == 0 { f.tlsrptTXT = .noRecords }
        let first = f.mx[0].0
        f.certDays[first] = Double(5 + (index * 7) % 85)
        // Every tenth domain renews its first MX certificate each round.
        if round > 0, index % 10 == round % 10 { f.certDays[first] = 90 + Double(round) }
        if index % 17 == 0 { f.outcomes[first] = .starttlsNotOffered }
        if index % 19 == 0 { f.certNames[first] = ["mail.elsewhere.test"] }
        if round > 0, index % 20 == (round + 5) % 20 { f.certSerial[first] = round }
        return f
    }
}
