import Foundation
import STSTestSupport
import Testing
@testable import STSCore
@testable import STSDashboard

/// Test data made by the real core: assessments from `Judge.assess`, reports from the corpus.
enum Fixtures {
    /// The fixed clock of every test.
    static let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21 14:13:20 UTC

    static func cert(_ names: [String], days: Double, trusted: Bool = true) -> (CertificateInfo, ChainVerdict) {
        (CertificateInfo(subject: "CN=\(names.first ?? "")", issuer: "CN=Lab Issuing CA 1", dnsNames: names,
                         notBefore: now.addingTimeInterval(-86_400 * 30), notAfter: now.addingTimeInterval(86_400 * days),
                         sha256: names.joined() + "\(days)"),
         ChainVerdict(trusted: trusted, code: trusted ? 0 : 20, reason: trusted ? "ok" : "unable to get local issuer certificate"))
    }

    /// An MX host that answers with STARTTLS and a certificate, or with the given outcome.
    static func mx(_ host: String, _ preference: Int, address: String, days: Double = 90,
                   outcome: SMTPProbeOutcome? = nil, ehlo: [String] = ["250-mx", "250 STARTTLS"]) -> MXObservation {
        let (c, v) = cert([host], days: days)
        let o = outcome ?? .tls(TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", chain: [c], verdict: v))
        return MXObservation(record: MXRecord(preference: preference, exchange: host), ipv4: .records([address]), ipv6: .noRecords,
                             probes: [SMTPProbe(host: host, address: address, ehlo: ehlo, outcome: o)])
    }

    static func observation(_ domain: String, mode: String = "enforce", tlsrpt: Bool = true, sts: DNSOutcome<TXTRecord>? = nil,
                            hosts: [MXObservation], at: Date = now) -> DomainObservation {
        let (pc, pv) = cert(["mta-sts.\(domain)"], days: 60)
        let body = "version: STSv1\nmode: \(mode)\n" + hosts.map { "mx: \($0.record.exchange)\n" }.joined() + "max_age: 604800\n"
        return DomainObservation(
            domain: domain, observedAt: at,
            stsTXT: sts ?? .records([TXTRecord("v=STSv1; id=20260901T000000")]),
            tlsrptTXT: tlsrpt ? .records([TXTRecord("v=TLSRPTv1; rua=mailto:tlsrpt@\(domain)")]) : .noRecords,
            mx: .records(hosts.map(\.record)),
            policyFetch: PolicyFetch(url: "https://mta-sts.\(domain)/.well-known/mta-sts.txt", httpStatus: 200,
                                     contentType: "text/plain", body: body,
                                     tls: TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", chain: [pc], verdict: pv)),
            mxHosts: hosts)
    }

    static func healthy(_ domain: String, at: Date = now) -> Assessment {
        Judge.assess(observation(domain, hosts: [mx("mx1.\(domain)", 10, address: "192.0.2.10"),
                                                 mx("mx2.\(domain)", 20, address: "192.0.2.20", days: 45)], at: at))
    }

    /// broken.example.net: healthy an hour ago, now mx2 stopped offering STARTTLS and mx1's certificate is nearly out.
    static func brokenPair() -> (old: Assessment, new: Assessment) {
        let old = healthy("broken.example.net", at: now.addingTimeInterval(-3600))
        let obs = observation("broken.example.net", hosts: [
            mx("mx1.broken.example.net", 10, address: "198.51.100.7", days: 5),
            mx("mx2.broken.example.net", 20, address: "198.51.100.8", outcome: .starttlsNotOffered, ehlo: ["250-mx2", "250 XXXXXXXA"]),
        ])
        return (old, Judge.assess(obs, previous: PreviousState(old)))
    }

    static func rows() -> [DomainRow] {
        let (old, broken) = brokenPair()
        let testing = Judge.assess(observation("testing.example.org", mode: "testing",
                                               hosts: [mx("mail.testing.example.org", 10, address: "203.0.113.5", days: 15)]))
        let norpt = Judge.assess(observation("norpt.example", tlsrpt: false, hosts: [mx("mx.norpt.example", 5, address: "203.0.113.9")]))
        var dnsFail = observation("dnsfail.example", hosts: [mx("mx.dnsfail.example", 10, address: "203.0.113.77")])
        dnsFail.stsTXT = .failed(reason: "SERVFAIL")
        return [
            DomainRow(domain: "example.com", assessment: healthy("example.com", at: now.addingTimeInterval(-300)),
                      reportFailures7d: 0, reportSessions7d: 18_000),
            DomainRow(domain: "broken.example.net", assessment: broken, events: DomainEvent.between(old, broken).reversed(),
                      reportFailures7d: 1234, reportSessions7d: 9_000),
            DomainRow(domain: "testing.example.org", assessment: testing, reportFailures7d: 12, reportSessions7d: 4000),
            DomainRow(domain: "norpt.example", assessment: norpt),
            DomainRow(domain: "dnsfail.example", assessment: Judge.assess(dnsFail)),
            DomainRow(domain: "pending.example", assessment: nil),
        ]
    }

    static func snapshot(_ rows: [DomainRow] = rows()) -> DashboardSnapshot {
        DashboardSnapshot(domains: rows, poller: PollerState(mode: .embedded, lastRound: now.addingTimeInterval(-300),
                                                             nextDue: now.addingTimeInterval(600)))
    }

    static func state(width: Int = 80, height: Int = 24, rows: [DomainRow] = rows()) -> DashboardState {
        DashboardState(snapshot: snapshot(rows), width: width, height: height, now: now, themeCount: 4)
    }

    // MARK: Reports

    /// The corpus's reports folder, from the shared test support.
    static func corpusDirectory() throws -> URL {
        try STSTestSupport.corpusDirectory().appendingPathComponent("reports")
    }

    struct FixtureError: Error, CustomStringConvertible { var description: String }

    /// Corpus reports, decoded by the core, as the store would hand them over.
    static func reports() throws -> [FullReport] {
        let dir = try corpusDirectory()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.enumerated().map { n, name in
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            let decoded = try TLSReport.decode(data)
            return FullReport(id: "r\(n + 1)", report: decoded.report, rawJSON: String(decoding: data, as: UTF8.self),
                              source: "corpus/reports/\(name)", mailSubject: "Report Domain: \(decoded.report.policyDomains.first ?? "?")",
                              receivedAt: now.addingTimeInterval(-Double(n + 1) * 3600))
        }
    }

    /// Failure groups made from reports the way a store would: by domain, reporter, result type, MX and sending IP.
    static func groups(from reports: [FullReport]) -> [FailureGroup] {
        var groups: [String: FailureGroup] = [:]
        var order: [String] = []
        for full in reports {
            let r = full.report
            for p in r.policies {
                for d in p.failureDetails ?? [] {
                    let domain = p.policy.policyDomain ?? "?"
                    let key = [domain, r.organizationName ?? "?", d.resultType?.rawValue ?? "?", d.receivingMXHostname ?? "", d.sendingMTAIP ?? ""].joined(separator: "|")
                    if groups[key] == nil {
                        order.append(key)
                        groups[key] = FailureGroup(id: key, domain: domain, periodStart: r.dateRange?.start?.date, periodEnd: r.dateRange?.end?.date,
                                                   reporter: r.organizationName ?? "?", resultType: d.resultType?.rawValue ?? "(none)",
                                                   receivingMX: d.receivingMXHostname, sendingIP: d.sendingMTAIP, sessions: 0,
                                                   firstSeen: full.receivedAt, lastSeen: full.receivedAt, reportIDs: [])
                    }
                    groups[key]!.sessions += d.failedSessionCount ?? 0
                    if !groups[key]!.reportIDs.contains(full.id) { groups[key]!.reportIDs.append(full.id) }
                }
            }
        }
        var list = order.map { groups[$0]! }
        list.sort { ($0.sessions, $1.id) > ($1.sessions, $0.id) }
        if !list.isEmpty { list[0].liveCause = "mx2.broken.example.net does not offer STARTTLS (latest check)" }
        return list
    }
}

/// A data source over arrays: the dashboard's contract exercised without the SQLite store.
final class MemorySource: DashboardDataSource {
    var rows: [DomainRow]
    var reports: [FullReport]
    var groups: [FailureGroup]
    var changed = false
    var rechecks: [String?] = []
    var failNext: String?

    init(rows: [DomainRow] = Fixtures.rows(), reports: [FullReport], groups: [FailureGroup]) {
        self.rows = rows
        self.reports = reports
        self.groups = groups
    }

    struct SourceError: Error, CustomStringConvertible { var description: String }

    func check() throws {
        if let f = failNext { failNext = nil; throw SourceError(description: f) }
    }

    func snapshot() throws -> DashboardSnapshot { try check(); return Fixtures.snapshot(rows) }
    func failureGroups(domain: String?) throws -> [FailureGroup] {
        try check()
        return groups.filter { domain == nil || $0.domain == domain }
    }
    func reports(for group: FailureGroup) throws -> [ReportSummary] {
        try check()
        return reports.filter { group.reportIDs.contains($0.id) }.map { ReportSummary(id: $0.id, report: $0.report, receivedAt: $0.receivedAt) }
    }
    func report(id: String) throws -> FullReport? { try check(); return reports.first { $0.id == id } }
    func hasChanged() throws -> Bool { defer { changed = false }; return changed }
    func recheck(domain: String?) throws { try check(); rechecks.append(domain) }
    func add(domain: String) throws {
        try check()
        guard !domain.contains(" "), domain.contains(".") else { throw SourceError(description: "\"\(domain)\" is not a domain name") }
        rows.append(DomainRow(domain: domain, assessment: nil))
    }
    func remove(domain: String) throws {
        try check()
        rows.removeAll { $0.domain == domain }
    }
}
