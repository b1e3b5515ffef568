import Foundation
import STSCore
import STSLab
import Testing
@testable import STSCurl

/// The adapters against the shared lab's real servers: nginx for policies,
/// Postfix and the lab's scripted SMTP peers (lab/README.md).
///
/// Names are resolved with `dig` against the lab's resolver: the DNS adapter is
/// not part of this target, and the prober must be handed addresses anyway.
@Suite(.timeLimit(.minutes(2)))
struct LabIntegrationTests {
    static var lab: Result<Lab, LabError> { Lab.shared }

    func addresses(_ name: String, _ lab: Lab) throws -> [String] {
        let parts = lab.manifest.resolver.split(separator: ":")
        let data = try ChildProcess.run(["dig", "+short", "+time=1", "+tries=2", "-p", String(parts[1]), "@\(parts[0])", name, "A"],
                                        timeout: 20).stdout
        let found = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
            .filter { $0.split(separator: ".").count == 4 && $0.allSatisfy { $0.isNumber || $0 == "." } }
        try #require(!found.isEmpty, "lab DNS has no A record for \(name)")
        return found
    }

    func fetch(_ domain: String) async throws -> PolicyFetch {
        let lab = try Self.lab.get()
        let fetcher = PolicyFetcher(configuration: .init(connectTimeout: .seconds(2), totalTimeout: .seconds(4),
                                                         caFile: lab.manifest.caFile))
        return await fetcher.fetch(domain: domain, addresses: try addresses("mta-sts.\(domain)", lab))
    }

    func probe(_ mx: String) async throws -> SMTPProbe {
        let lab = try Self.lab.get()
        let prober = SMTPProber(configuration: .init(connectTimeout: .seconds(2), replyTimeout: .seconds(2),
                                                     totalTimeout: .seconds(6), caFile: lab.manifest.caFile))
        return await prober.probe(host: mx, address: try addresses(mx, lab)[0])
    }

    @Test func goodPolicyFromNginx() async throws {
        let fetch = try await fetch("good.test")
        #expect(fetch.failure == nil)
        let policy = try #require(fetch.body)
        #expect(policy.hasPrefix("version: STSv1"))
        #expect(fetch.tls?.verdict.trusted == true)
        #expect(fetch.tls?.leaf?.dnsNames.contains("mta-sts.good.test") == true)
    }

    @Test func policyFailuresFromNginx() async throws {
        #expect(try await fetch("policy-404.test").failure == .httpStatus(404))
        #expect(try await fetch("policy-redirect.test").failure
                == .redirect(status: 301, location: "https://www.policy-redirect.test/.well-known/mta-sts.txt"))
        #expect(try await fetch("policy-mediatype.test").failure == .mediaType("text/html"))
        #expect(try await fetch("policy-oversize.test").failure == .bodyTooLarge(limit: 65536))
        guard case .timeout = try await fetch("policy-timeout.test").failure else {
            Issue.record("policy-timeout.test did not time out")
            return
        }
    }

    @Test(arguments: [
        ("webpki-untrusted.test", false, "mta-sts.webpki-untrusted.test"),
        ("webpki-wrongname.test", true, "www.webpki-wrongname.test"),
        ("webpki-expired.test", false, "mta-sts.webpki-expired.test"),
    ])
    func badPolicyCertificatesFailWithTheChain(domain: String, chainTrusted: Bool, certName: String) async throws {
        let fetch = try await fetch(domain)
        guard case .tls = fetch.failure else {
            Issue.record("\(domain): expected a TLS failure, got \(String(describing: fetch.failure))")
            return
        }
        let tls = try #require(fetch.tls)
        #expect(tls.verdict.trusted == chainTrusted)
        #expect(tls.leaf?.dnsNames == [certName])
    }

    @Test func postfixOffersStarttlsWithTrustedChain() async throws {
        let probe = try await probe("mx1.good.test")
        guard case .tls(let session) = probe.outcome else {
            Issue.record("expected TLS, got \(probe.outcome)")
            return
        }
        #expect(session.verdict.trusted)
        #expect(session.leaf?.dnsNames.contains("mx1.good.test") == true)
        #expect(probe.ehlo.contains { $0.uppercased().hasSuffix("STARTTLS") })
        #expect(probe.greeting.first?.hasPrefix("220") == true)
    }

    @Test func downgradedPostfixLooksLikeNoStarttls() async throws {
        let probe = try await probe("mx1.downgrade.test")
        #expect(probe.outcome == .starttlsNotOffered)
        #expect(!probe.ehlo.isEmpty)
    }

    @Test func labSMTPScenarios() async throws {
        guard case .refused(stage: "greeting", let reply) = try await probe("mx1.greeting-421.test").outcome else {
            Issue.record("greeting-421 was not a refused greeting")
            return
        }
        #expect(reply.hasPrefix("421"))
        #expect(try await probe("mx1.never-greets.test").outcome == .timeout(stage: "greeting"))
        guard case .tlsFailed = try await probe("mx1.starttls-454.test").outcome else {
            Issue.record("starttls-454 was not a TLS failure")
            return
        }
        guard case .tls(let expired) = try await probe("mx1.cert-expired.test").outcome else {
            Issue.record("cert-expired did not complete TLS")
            return
        }
        #expect(expired.verdict.reason == "certificate has expired")
        guard case .connectFailed = try await probe("mx1.mx-unreachable.test").outcome else {
            Issue.record("mx-unreachable did not fail to connect")
            return
        }
    }
}
