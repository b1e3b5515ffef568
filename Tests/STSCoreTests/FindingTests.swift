import Testing
@testable import STSCore

@Suite struct FindingTests {
    @Test(arguments: [
        ([Severity](), DomainStatus.ok),
        ([.info], .ok),
        ([.info, .warn], .warn),
        ([.warn, .crit, .info], .crit),
    ])
    func statusIsTheWorstSeverity(severities: [Severity], expected: DomainStatus) {
        let findings = severities.map { Finding(code: .dnsError, severity: $0, subject: "example.com", message: "m") }
        #expect(findings.status == expected)
    }

    @Test func critRanksWorstThenUnknown() {
        #expect([DomainStatus.ok, .crit, .unknown, .warn].max() == .crit)
        #expect([DomainStatus.ok, .unknown, .warn].max() == .unknown)
        #expect(DomainStatus.allCases.map(\.exitCode) == [0, 1, 2, 3])
    }
}
