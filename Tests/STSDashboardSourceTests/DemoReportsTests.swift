import Foundation
import STSCore
import STSDemo
import Testing

/// The demo's generated reports are reports a real decoder accepts, and say what the scenarios mean.
@Suite struct DemoReportsTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let domains = [
        DemoDomain(domain: "cert-expired.test", expectedCodes: ["certificate-expired"], mxHosts: [(host: "mx1.cert-expired.test", address: "127.77.2.1")]),
        DemoDomain(domain: "downgrade.test", expectedCodes: ["starttls-not-supported", "starttls-downgrade"], mxHosts: [(host: "mx1.downgrade.test", address: nil)]),
        DemoDomain(domain: "policy-404.test", expectedCodes: ["sts-policy-fetch-error"], mxHosts: [(host: "mx1.policy-404.test", address: nil)]),
        DemoDomain(domain: "cert-wrongname.test", expectedCodes: ["certificate-host-mismatch"], mxHosts: [(host: "mx1.cert-wrongname.test", address: nil)]),
        DemoDomain(domain: "tls-garbage.test", expectedCodes: ["tls-handshake-failed"], mxHosts: [(host: "mx1.tls-garbage.test", address: nil)]),
        DemoDomain(domain: "no-tlsrpt.test", expectedCodes: ["tlsrpt-txt-missing"], mxHosts: [(host: "mx1.no-tlsrpt.test", address: nil)]),
        DemoDomain(domain: "good.test", expectedCodes: [], mxHosts: [(host: "mx1.good.test", address: nil)]),
    ]

    static let expected: [(String, String?)] = [
        ("cert-expired.test", "certificate-expired"),
        ("downgrade.test", "starttls-not-supported"),
        ("policy-404.test", "sts-policy-fetch-error"),
        ("cert-wrongname.test", "certificate-host-mismatch"),
        ("tls-garbage.test", "validation-failure"),
    ]

    static func decoded() throws -> [TLSReport] {
        try DemoReports.generate(for: domains, now: now).map { try TLSReport.decode($0).report }
    }

    @Test(arguments: expected)
    func resultTypesMatchTheScenario(domain: String, resultType: String?) throws {
        let reports = try Self.decoded().filter { $0.policies.first?.policy.policyDomain == domain }
        #expect(reports.count == 5 * DemoReports.reporters.count)
        for r in reports {
            let types = Set(r.policies.flatMap { $0.failureDetails ?? [] }.compactMap { $0.resultType?.rawValue })
            #expect(types == Set([resultType].compactMap { $0 }), "\(domain): \(types)")
        }
    }

    @Test func cleanAndSilentDomains() throws {
        let reports = try Self.decoded()
        #expect(!reports.contains { $0.policies.first?.policy.policyDomain == "no-tlsrpt.test" }, "a domain without TLS-RPT gets no reports")
        let good = reports.filter { $0.policies.first?.policy.policyDomain == "good.test" }
        #expect(good.allSatisfy { $0.totalSuccessful > 0 })
    }

    @Test func reportsAreWellFormedAndRepeatable() throws {
        let first = DemoReports.generate(for: Self.domains, now: Self.now)
        #expect(first == DemoReports.generate(for: Self.domains, now: Self.now))
        for raw in first {
            let result = try TLSReport.decode(raw)
            #expect(result.oddities.isEmpty, "\(result.oddities)")
            #expect(Set(DemoReports.reporters.map(\.name)).contains(result.report.organizationName ?? ""))
            #expect(result.report.reportID != nil)
        }
        #expect(Set(first.map { try! TLSReport.decode($0).report.reportID! }).count == first.count, "report ids are unique")
    }
}
