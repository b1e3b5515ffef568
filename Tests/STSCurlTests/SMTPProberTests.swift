import Foundation
import STSCore
import Testing
@testable import STSCurl

/// SMTPProber against scripted SMTP servers on loopback (see ``TestLab``).
@Suite(.timeLimit(.minutes(1)))
struct SMTPProberTests {
    static let cleanEHLO = ["250-mx.clean.test", "250-PIPELINING", "250-SIZE 10240000", "250 STARTTLS"]

    func prober(_ lab: TestLab, _ listener: String, caFile: String?? = .none) -> SMTPProber {
        SMTPProber(configuration: .init(port: lab.port(listener), connectTimeout: .seconds(2),
                                        replyTimeout: .seconds(1), totalTimeout: .seconds(5),
                                        ehloName: "probe.stswatch.test",
                                        caFile: caFile ?? lab.pki.caFile))
    }

    func session(_ probe: SMTPProbe) -> TLSSessionInfo? {
        if case .tls(let session) = probe.outcome { return session }
        Issue.record("expected a TLS session, got \(probe.outcome)")
        return nil
    }

    @Test func cleanStarttlsRecordsChainVerdictAndQuits() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-quit").probe(host: "mx.clean.test.", address: TestLab.address)
        #expect(probe.host == "mx.clean.test.")
        #expect(probe.address == TestLab.address)
        #expect(probe.port == lab.port("smtp-quit"))
        #expect(probe.greeting == ["220 mx.clean.test ESMTP stswatch-test"])
        #expect(probe.ehlo == Self.cleanEHLO)
        let tls = try #require(session(probe))
        #expect(tls.verdict == ChainVerdict(trusted: true, code: 0, reason: "ok"))
        #expect(tls.version.hasPrefix("TLSv1."))
        #expect(!tls.cipher.isEmpty)
        #expect(tls.chain.count == 2)
        let leaf = try #require(tls.leaf)
        #expect(leaf.sha256 == lab.good.leafDER.sha256Hex)
        #expect(leaf.dnsNames.contains("mx.clean.test"))
        #expect(leaf.issuer.contains("stswatch test CA"))
        #expect(abs(leaf.notBefore.timeIntervalSince(lab.good.leaf.notValidBefore)) < 1)
        #expect(abs(leaf.notAfter.timeIntervalSince(lab.good.leaf.notValidAfter)) < 1)
        #expect(lab.events("smtp-quit") == ["quit"], "the prober must say QUIT, once")
    }

    @Test func nameMismatchIsLeftToTheCore() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-clean").probe(host: "mx.elsewhere.test", address: TestLab.address)
        let tls = try #require(session(probe))
        #expect(tls.verdict.trusted)
        #expect(tls.leaf?.dnsNames.contains("mx.elsewhere.test") == false)
    }

    @Test func multiLineGreetingIsKeptWhole() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-multigreet").probe(host: "mx.clean.test", address: TestLab.address)
        #expect(probe.greeting == ["220-mx.clean.test ESMTP", "220-this server is for tests", "220 ready"])
        #expect(probe.ehlo == ["250-mx.clean.test", "250-STARTTLS", "250 8BITMIME"])
        #expect(session(probe)?.verdict.trusted == true)
    }

    @Test func missingStarttlsKeepsTheEHLOLines() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-nostarttls").probe(host: "mx.clean.test", address: TestLab.address)
        #expect(probe.outcome == .starttlsNotOffered)
        #expect(probe.ehlo == ["250-mx.clean.test", "250-PIPELINING", "250 8BITMIME"])
        #expect(probe.greeting == ["220 mx.clean.test ESMTP stswatch-test"])
    }

    @Test(arguments: [
        ("smtp-554", SMTPProbeOutcome.refused(stage: "greeting", reply: "554 5.7.1 no SMTP service here")),
        ("smtp-ehlo550", .refused(stage: "ehlo", reply: "550 5.7.1 go away")),
    ])
    func refusalsAreNotMissingStarttls(listener: String, expected: SMTPProbeOutcome) async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, listener).probe(host: "mx.clean.test", address: TestLab.address)
        #expect(probe.outcome == expected)
    }

    @Test func rejectedStarttlsIsATLSFailure() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-starttls454").probe(host: "mx.clean.test", address: TestLab.address)
        guard case .tlsFailed(let reason) = probe.outcome else {
            Issue.record("expected tlsFailed, got \(probe.outcome)")
            return
        }
        #expect(reason.contains("454 4.7.0"))
        #expect(probe.ehlo == Self.cleanEHLO)
    }

    @Test func neverGreetingServerTimesOutInTheGreeting() async throws {
        let lab = try TestLab.get()
        let started = ContinuousClock.now
        let probe = await prober(lab, "smtp-nevergreet").probe(host: "mx.clean.test", address: TestLab.address)
        #expect(probe.outcome == .timeout(stage: "greeting"))
        #expect(probe.greeting.isEmpty)
        // Hang guard: the 1 s reply bound (or the 5 s total) must have acted.
        // A bound, not a speed: the timeout must end the probe, with room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func silentPeerAfterConnectIsAGreetingTimeoutToo() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "silent").probe(host: "mx.clean.test", address: TestLab.address)
        #expect(probe.outcome == .timeout(stage: "greeting"))
    }

    @Test func garbageAfterStarttlsIsAHandshakeFailure() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-garbage").probe(host: "mx.clean.test", address: TestLab.address)
        guard case .tlsFailed(let reason) = probe.outcome else {
            Issue.record("expected tlsFailed, got \(probe.outcome)")
            return
        }
        #expect(reason.contains("handshake"))
        #expect(reason.contains("mx.clean.test"))
    }

    @Test func selfSignedCertificateGetsOpenSSLVerdict() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-selfsigned").probe(host: "mx.selfsigned.test", address: TestLab.address)
        let tls = try #require(session(probe))
        #expect(tls.verdict.trusted == false)
        #expect(tls.verdict.reason == "self-signed certificate")
        #expect(tls.verdict.code == OpenSSLVerifyCode.selfSignedLeaf)
        #expect(tls.chain.count == 1)
        #expect(tls.leaf?.sha256 == lab.selfSigned.leafDER.sha256Hex)
        #expect(tls.leaf?.subject == tls.leaf?.issuer)
    }

    @Test func systemTrustStoreDoesNotTrustTheTestCA() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-clean", caFile: .some(nil))
            .probe(host: "mx.clean.test", address: TestLab.address)
        let tls = try #require(session(probe))
        #expect(tls.verdict.trusted == false)
        #expect(tls.verdict.code == OpenSSLVerifyCode.selfSignedInChain)
    }

    @Test func unreadableCAFileIsReported() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "smtp-clean", caFile: "/nonexistent/ca.pem")
            .probe(host: "mx.clean.test", address: TestLab.address)
        guard case .tlsFailed(let reason) = probe.outcome else {
            Issue.record("expected tlsFailed, got \(probe.outcome)")
            return
        }
        #expect(reason.contains("trust anchors"))
    }

    @Test func refusedConnection() async throws {
        let lab = try TestLab.get()
        let probe = await prober(lab, "closed").probe(host: "mx.clean.test", address: TestLab.address)
        guard case .connectFailed(let reason) = probe.outcome else {
            Issue.record("expected connectFailed, got \(probe.outcome)")
            return
        }
        #expect(reason.contains("mx.clean.test at \(TestLab.address)"))
    }

    @Test func hundredConcurrentProbesAllSucceed() async throws {
        let lab = try TestLab.get()
        let prober = prober(lab, "smtp-clean")
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    let probe = await prober.probe(host: "mx.clean.test", address: TestLab.address)
                    if case .tls(let session) = probe.outcome { return session.verdict.trusted }
                    return false
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.count == 100)
        #expect(outcomes.allSatisfy { $0 })
    }
}
