import Foundation
import STSCore
import Testing
@testable import STSCurl

/// PolicyFetcher against real HTTPS servers on loopback (see ``TestLab``).
@Suite(.timeLimit(.minutes(1)))
struct PolicyFetcherTests {
    static let policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.clean.test\r\nmx: *.backup.test\r\nmax_age: 86400\r\n"

    func fetcher(_ lab: TestLab, _ listener: String, total: Duration = .seconds(5)) -> PolicyFetcher {
        PolicyFetcher(configuration: .init(connectTimeout: .seconds(2), totalTimeout: total,
                                           caFile: lab.pki.caFile, port: lab.port(listener)))
    }

    @Test func cleanFetchReturnsBodyAndVerifiedSession() async throws {
        let lab = try TestLab.get()
        let fetch = await fetcher(lab, "https-good").fetch(domain: "clean.test", addresses: [TestLab.address])
        #expect(fetch.failure == nil)
        #expect(fetch.url == "https://mta-sts.clean.test/.well-known/mta-sts.txt")
        #expect(fetch.httpStatus == 200)
        #expect(fetch.contentType == "text/plain")
        #expect(fetch.body == Self.policy)
        let tls = try #require(fetch.tls)
        #expect(tls.verdict == ChainVerdict(trusted: true, code: 0, reason: "ok"))
        #expect(tls.version.hasPrefix("TLSv1."))
        #expect(!tls.cipher.isEmpty)
        #expect(tls.chain.count == 2)
        let leaf = try #require(tls.leaf)
        #expect(leaf.sha256 == lab.good.leafDER.sha256Hex)
        #expect(leaf.dnsNames.contains("mta-sts.clean.test"))
        #expect(leaf.commonName == "mta-sts.clean.test")
        #expect(leaf.issuer.contains("stswatch test CA"))
        #expect(abs(leaf.notAfter.timeIntervalSince(lab.good.leaf.notValidAfter)) < 1)
        #expect(tls.chain[1].subject.contains("stswatch test CA"))
    }

    @Test(arguments: ["charset", "uppercase"])
    func textPlainWithParametersIsAccepted(label: String) async throws {
        let lab = try TestLab.get()
        let fetch = await fetcher(lab, "https-good").fetch(domain: "\(label).test", addresses: [TestLab.address])
        #expect(fetch.failure == nil)
        #expect(fetch.body == Self.policy)
    }

    @Test(arguments: [
        ("notfound", PolicyFetchFailure.httpStatus(404)),
        ("moved", .redirect(status: 301, location: "https://www.moved.test/policy.txt")),
        ("html", .mediaType("text/html")),
        ("notype", .mediaType(nil)),
        ("big", .bodyTooLarge(limit: 65536)),
        ("bigchunked", .bodyTooLarge(limit: 65536)),
    ])
    func responsesRFC8461Rejects(label: String, expected: PolicyFetchFailure) async throws {
        let lab = try TestLab.get()
        let fetch = await fetcher(lab, "https-good").fetch(domain: "\(label).test", addresses: [TestLab.address])
        #expect(fetch.failure == expected)
        #expect(fetch.body == nil)
        // The session is still reported, verified, for every HTTP-level failure.
        #expect(fetch.tls?.verdict.trusted == true)
    }

    @Test func smallerBodyLimitIsHonoured() async throws {
        let lab = try TestLab.get()
        var configuration = fetcher(lab, "https-good").configuration
        configuration.maxBodySize = 16
        let fetch = await PolicyFetcher(configuration: configuration)
            .fetch(domain: "clean.test", addresses: [TestLab.address])
        #expect(fetch.failure == .bodyTooLarge(limit: 16))
    }

    @Test func untrustedIssuerFailsWithChainAttached() async throws {
        let lab = try TestLab.get()
        let fetch = await fetcher(lab, "https-untrusted").fetch(domain: "clean.test", addresses: [TestLab.address])
        guard case .tls(let reason) = fetch.failure else {
            Issue.record("expected a TLS failure, got \(String(describing: fetch.failure))")
            return
        }
        #expect(reason.contains("mta-sts.clean.test"))
        #expect(reason.contains("unable to get local issuer certificate"))
        let tls = try #require(fetch.tls)
        #expect(tls.verdict.trusted == false)
        #expect(tls.verdict.reason == "unable to get local issuer certificate")
        #expect(tls.verdict.code == OpenSSLVerifyCode.unknownIssuer)
        #expect(tls.leaf?.issuer.contains("untrusted test CA") == true)
        #expect(fetch.httpStatus == nil)
        #expect(fetch.body == nil)
    }

    @Test func wrongNameFailsEvenWithTrustedChain() async throws {
        let lab = try TestLab.get()
        let fetch = await fetcher(lab, "https-wrongname").fetch(domain: "clean.test", addresses: [TestLab.address])
        guard case .tls(let reason) = fetch.failure else {
            Issue.record("expected a TLS failure, got \(String(describing: fetch.failure))")
            return
        }
        #expect(reason.contains("mta-sts.clean.test"))
        let tls = try #require(fetch.tls)
        #expect(tls.verdict.trusted)
        #expect(tls.leaf?.dnsNames == ["www.other.test"])
        #expect(fetch.httpStatus == nil)
    }

    @Test func expiredCertificateFailsWithReason() async throws {
        let lab = try TestLab.get()
        let fetch = await fetcher(lab, "https-expired").fetch(domain: "clean.test", addresses: [TestLab.address])
        guard case .tls(let reason) = fetch.failure else {
            Issue.record("expected a TLS failure, got \(String(describing: fetch.failure))")
            return
        }
        #expect(reason.contains("certificate has expired"))
        let tls = try #require(fetch.tls)
        #expect(tls.verdict.reason == "certificate has expired")
        #expect(tls.verdict.code == OpenSSLVerifyCode.certificateExpired)
        #expect(tls.verdict.trusted == false)
        #expect(try #require(tls.leaf).notAfter < Date())
    }

    @Test func systemTrustStoreRejectsTheTestCA() async throws {
        let lab = try TestLab.get()
        var configuration = fetcher(lab, "https-good").configuration
        configuration.caFile = nil
        let fetch = await PolicyFetcher(configuration: configuration)
            .fetch(domain: "clean.test", addresses: [TestLab.address])
        guard case .tls = fetch.failure else {
            Issue.record("expected a TLS failure, got \(String(describing: fetch.failure))")
            return
        }
        #expect(fetch.tls?.verdict.trusted == false)
    }

    @Test func refusedConnectionIsAConnectFailure() async throws {
        let lab = try TestLab.get()
        let fetch = await fetcher(lab, "closed").fetch(domain: "clean.test", addresses: [TestLab.address])
        guard case .connect(let reason) = fetch.failure else {
            Issue.record("expected a connect failure, got \(String(describing: fetch.failure))")
            return
        }
        #expect(reason.contains("mta-sts.clean.test"))
        #expect(fetch.tls == nil)
    }

    @Test func nextAddressIsTriedWhenTheFirstRefuses() async throws {
        let lab = try TestLab.get()
        // 127.66.0.2 has no listener on this port: refused, then 127.66.0.1 answers.
        let fetch = await fetcher(lab, "https-good").fetch(domain: "clean.test", addresses: ["127.66.0.2", TestLab.address])
        #expect(fetch.failure == nil)
        #expect(fetch.body == Self.policy)
    }

    @Test func silentServerTimesOutWithinTheBound() async throws {
        let lab = try TestLab.get()
        let started = ContinuousClock.now
        let fetch = await fetcher(lab, "silent", total: .milliseconds(800))
            .fetch(domain: "clean.test", addresses: [TestLab.address])
        let elapsed = ContinuousClock.now - started
        guard case .timeout(let reason) = fetch.failure else {
            Issue.record("expected a timeout, got \(String(describing: fetch.failure))")
            return
        }
        #expect(reason.contains("mta-sts.clean.test"))
        // A hang guard, not a performance assertion: the 800 ms bound must have acted.
        #expect(elapsed < .seconds(30))
    }

    @Test(arguments: [
        ("exa mple.test", ["127.0.0.1"]),
        ("example.test:443", ["127.0.0.1"]),
        ("example.test", ["not-an-address"]),
        ("example.test", ["127.0.0.1,127.0.0.2"]),
    ])
    func hostileInputsAreRejectedBeforeCurl(domain: String, addresses: [String]) async {
        let fetch = await PolicyFetcher().fetch(domain: domain, addresses: addresses)
        guard case .other(let reason) = fetch.failure else {
            Issue.record("expected a rejection, got \(String(describing: fetch.failure))")
            return
        }
        #expect(reason.contains(domain) || addresses.contains { reason.contains($0) })
    }

    @Test func noAddressesIsAResolveFailure() async {
        let fetch = await PolicyFetcher().fetch(domain: "example.test", addresses: [])
        #expect(fetch.failure == .resolve("mta-sts.example.test: no addresses to connect to"))
    }

    @Test(arguments: [
        ("text/plain", true), ("text/plain; charset=utf-8", true), ("Text/Plain", true),
        (" text/plain ;charset=us-ascii", true), ("text/html", false), ("text/plainx", false),
        ("application/octet-stream", false), ("", false),
    ])
    func mediaTypeCheck(contentType: String, accepted: Bool) {
        #expect(PolicyFetcher.isPlainText(contentType) == accepted)
    }
}
