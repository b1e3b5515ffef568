import Foundation
import STSCheck
import STSCore
import Synchronization

/// DNS, HTTPS and SMTP answers from a table, on a manual clock: the checker and the poller
/// without the network, for tests of scheduling, probe sharing, back-off and rate budgets that
/// run in milliseconds and the same way every time (as swift-nio's embedded channel does for
/// pipelines). The lab stays the end-to-end proof; this is for the logic around the probes.
///
/// Every answer can be changed while a test runs, and every SMTP connection is counted by
/// address, as a server would count it.
public final class ScriptedWorld: Sendable {
    public struct Table: Sendable {
        public var txt: [String: DNSOutcome<TXTRecord>] = [:]
        public var mx: [String: DNSOutcome<MXRecord>] = [:]
        public var ipv4: [String: DNSOutcome<String>] = [:]
        public var ipv6: [String: DNSOutcome<String>] = [:]
        /// Policy fetches by domain.
        public var policies: [String: PolicyFetch] = [:]
        /// SMTP outcomes by address; a missing address refuses the connection.
        public var smtp: [String: SMTPProbeOutcome] = [:]
        /// The connect-failure kind to report for an address whose outcome is `connectFailed`.
        public var connectFailures: [String: ConnectFailureKind] = [:]
        /// Seconds (on the manual clock) that a probe of this address takes.
        public var smtpDelay: [String: TimeInterval] = [:]
    }

    public let clock: ManualClock
    private let table: Mutex<Table>
    private let counts = Mutex<[String: Int]>([:])

    public init(clock: ManualClock = ManualClock()) {
        self.clock = clock
        self.table = Mutex(Table())
    }

    /// Changes the answers.
    public func update(_ change: (inout Table) -> Void) {
        table.withLock { change(&$0) }
    }

    /// SMTP connections received per address since the start (what a server's log would say).
    public var connections: [String: Int] { counts.withLock { $0 } }

    public var environment: CheckEnvironment {
        CheckEnvironment(resolver: Resolver(world: self), fetcher: Fetcher(world: self), prober: Prober(world: self), clock: clock)
    }

    /// A domain as a careful postmaster publishes it: MTA-STS in `mode`, TLS-RPT, and MX hosts
    /// (each with its addresses) answering STARTTLS with a trusted certificate for their name.
    public func addDomain(_ domain: String, mode: String = "enforce", mx hosts: [(host: String, addresses: [String])]) {
        let now = clock.now()
        update { t in
            t.txt["_mta-sts.\(domain)"] = .records([TXTRecord("v=STSv1; id=20260101T000000;")])
            t.txt["_smtp._tls.\(domain)"] = .records([TXTRecord("v=TLSRPTv1; rua=mailto:tlsrpt@\(domain)")])
            t.mx[domain] = .records(hosts.enumerated().map { MXRecord(preference: 10 * ($0.offset + 1), exchange: $0.element.host) })
            let patterns = hosts.map { "mx: \($0.host)\r\n" }.joined()
            t.policies[domain] = PolicyFetch(url: "https://mta-sts.\(domain)/.well-known/mta-sts.txt", httpStatus: 200,
                                             contentType: "text/plain",
                                             body: "version: STSv1\r\nmode: \(mode)\r\n\(patterns)max_age: 1209600\r\n",
                                             tls: Self.session(names: ["mta-sts.\(domain)"], now: now))
            t.ipv4["mta-sts.\(domain)"] = .records(["192.0.2.80"])
            t.ipv6["mta-sts.\(domain)"] = .noRecords
            for (host, addresses) in hosts {
                let v4 = addresses.filter { !$0.contains(":") }, v6 = addresses.filter { $0.contains(":") }
                t.ipv4[host] = v4.isEmpty ? .noRecords : .records(v4)
                t.ipv6[host] = v6.isEmpty ? .noRecords : .records(v6)
                for address in addresses where t.smtp[address] == nil {
                    t.smtp[address] = .tls(Self.session(names: [host], now: now))
                }
            }
        }
    }

    /// A TLS 1.3 session with a trusted leaf for `names`, valid for 90 days from `now`.
    public static func session(names: [String], now: Date, trusted: Bool = true) -> TLSSessionInfo {
        let leaf = CertificateInfo(subject: "CN=\(names.first ?? "")", issuer: "CN=Scripted CA", dnsNames: names,
                                   commonName: names.first, notBefore: now.addingTimeInterval(-86_400),
                                   notAfter: now.addingTimeInterval(90 * 86_400),
                                   sha256: String(repeating: "ab", count: 32))
        return TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", chain: [leaf],
                              verdict: ChainVerdict(trusted: trusted, code: trusted ? 0 : 20,
                                                    reason: trusted ? "ok" : "unable to get local issuer certificate"))
    }

    fileprivate func answer<T>(_ path: KeyPath<Table, [String: DNSOutcome<T>]>, _ name: String) -> DNSOutcome<T> {
        table.withLock { $0[keyPath: path][DomainName.canonical(name)] ?? .nameDoesNotExist }
    }

    fileprivate func probe(host: String, address: String) async -> SMTPProbe {
        counts.withLock { $0[address, default: 0] += 1 }
        let (outcome, delay, failure) = table.withLock { t in
            (t.smtp[address] ?? .connectFailed("\(address): Connection refused"), t.smtpDelay[address] ?? 0,
             t.connectFailures[address])
        }
        if delay > 0 { try? await clock.sleep(for: delay) }
        var kind: ConnectFailureKind?
        if case .connectFailed = outcome { kind = failure ?? .refused }
        return SMTPProbe(host: host, address: address, greeting: ["220 \(host) ESMTP"], ehlo: ["250-\(host)", "250 STARTTLS"],
                         outcome: outcome, connectFailure: kind)
    }

    fileprivate func policy(_ domain: String) -> PolicyFetch {
        table.withLock {
            $0.policies[domain] ?? PolicyFetch(url: "https://mta-sts.\(domain)/.well-known/mta-sts.txt", failure: .connect("Connection refused"))
        }
    }
}

private struct Resolver: DNSResolving {
    let world: ScriptedWorld
    func txt(_ name: String) async -> DNSOutcome<TXTRecord> { world.answer(\.txt, name) }
    func mx(_ name: String) async -> DNSOutcome<MXRecord> { world.answer(\.mx, name) }
    func ipv4(_ name: String) async -> DNSOutcome<String> { world.answer(\.ipv4, name) }
    func ipv6(_ name: String) async -> DNSOutcome<String> { world.answer(\.ipv6, name) }
}

private struct Fetcher: PolicyFetching {
    let world: ScriptedWorld
    func fetch(domain: String, addresses: [String]) async -> PolicyFetch { world.policy(domain) }
}

private struct Prober: SMTPProbing {
    let world: ScriptedWorld
    func probe(host: String, address: String) async -> SMTPProbe { await world.probe(host: host, address: address) }
}
