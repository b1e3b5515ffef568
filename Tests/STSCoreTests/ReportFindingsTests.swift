import Foundation
import Testing
@testable import STSCore

@Suite struct ReportFindingsTests {
    static let googleHeader = #""organization-name": "Google Inc.", "report-id": "2024-02-17T00:00:00Z_example.com", "contact-info": "smtp-tls-reporting@google.com", "date-range": {"start-datetime": "2024-02-17T00:00:00Z", "end-datetime": "2024-02-17T23:59:59Z"}"#

    @Test func summarisesFailuresByResultType() throws {
        let details = """
            {"result-type": "certificate-expired", "receiving-mx-hostname": "mx1.example.com", "failed-session-count": 5},
            {"result-type": "starttls-not-supported", "receiving-ip": "198.51.100.9", "failed-session-count": 1},
            {"result-type": "certificate-expired", "receiving-mx-hostname": "mx1.example.com", "failed-session-count": 7}
            """
        let decoded = try decode(reportJSON(policies: [policyJSON(
            summary: #""total-successful-session-count": 100, "total-failure-session-count": 13"#, details: details)],
            header: Self.googleHeader))
        #expect(decoded.findings() == [
            Finding(code: .reportFailures, severity: .crit, subject: "example.com",
                    message: "Google Inc. saw 12 failed sessions (certificate-expired) to mx1.example.com on 2024-02-17; the MTA-STS policy is enforced, so that mail was held back"),
            Finding(code: .reportFailures, severity: .crit, subject: "example.com",
                    message: "Google Inc. saw 1 failed session (starttls-not-supported) to 198.51.100.9 on 2024-02-17; the MTA-STS policy is enforced, so that mail was held back"),
        ])
    }

    /// What a failed session cost decides the severity.
    @Test(arguments: [
        (#""policy-type": "sts", "policy-string": ["version: STSv1", "mode: enforce"], "policy-domain": "example.com""#, Severity.crit),
        (#""policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing"], "policy-domain": "example.com""#, .warn),
        (#""policy-type": "sts", "policy-domain": "example.com""#, .warn),
        (#""policy-type": "tlsa", "policy-string": ["3 1 1 AB"], "policy-domain": "example.com""#, .crit),
        (#""policy-type": "no-policy-found", "policy-domain": "example.com""#, .warn),
        (#""policy-type": "experimental", "policy-domain": "example.com""#, .warn),
    ])
    func severityFollowsThePolicy(policy: String, expected: Severity) throws {
        let findings = try decode(reportJSON(policies: [policyJSON(policy: policy)])).report.findings()
        #expect(findings.map(\.severity) == [expected])
        #expect(findings.map(\.code) == [.reportFailures])
    }

    @Test func noFailuresNoFindings() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(
            summary: #""total-successful-session-count": 100, "total-failure-session-count": 0"#, details: nil)]))
        #expect(decoded.findings() == [])
    }

    @Test func oneOddityFindingPerOddity() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(
            policy: #""policy-type": "sts", "policy-string": ["mode: enforce"], "mx-host": "mx1.example.com""#)],
            header: Self.googleHeader))
        let oddityFindings = decoded.findings().filter { $0.code == .reportOddity }
        #expect(oddityFindings.map(\.message) == decoded.oddities)
        #expect(decoded.oddities.count == 2)
        #expect(oddityFindings.allSatisfy { $0.severity == .info && $0.subject == "Google Inc. report 2024-02-17T00:00:00Z_example.com" })
        // Without a policy domain, the failures are filed under the report.
        #expect(decoded.findings().last?.subject == "Google Inc. report 2024-02-17T00:00:00Z_example.com")
    }

    @Test func failuresTheDetailsDoNotExplain() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(
            summary: #""total-successful-session-count": 0, "total-failure-session-count": 5"#,
            details: #"{"result-type": "validation-failure", "receiving-mx-hostname": "mx1.example.com", "failed-session-count": 2}"#)]))
        let messages = decoded.report.findings().map(\.message)
        #expect(messages.count == 2)
        #expect(messages[0].hasPrefix("Reporter saw 2 failed sessions (validation-failure) to mx1.example.com on 2024-02-17"))
        #expect(messages[1].hasPrefix("Reporter saw 3 failed sessions (result type not given) on 2024-02-17"))
    }

    @Test func manyReceiversAreShortened() throws {
        let details = (1...5).map { #"{"result-type": "certificate-expired", "receiving-mx-hostname": "mx\#($0).example.com", "failed-session-count": 1}"# }
        let decoded = try decode(reportJSON(policies: [policyJSON(
            summary: #""total-successful-session-count": 0, "total-failure-session-count": 5"#, details: details.joined(separator: ","))]))
        #expect(decoded.report.findings().first?.message.contains("to mx1.example.com, mx2.example.com, mx3.example.com and 2 more on") == true)
    }

    @Test(arguments: [
        ("2024-02-17T00:00:00Z", "2024-02-17T23:59:59Z", "on 2024-02-17" as String?),
        ("2024-02-22T00:00:00Z", "2024-02-23T00:00:00Z", "on 2024-02-22"),
        ("2024-02-17T00:00:00Z", "2024-02-19T23:59:59Z", "from 2024-02-17 to 2024-02-19"),
        ("2024-02-17T00:00:00Z", "garbage", "from 2024-02-17"),
        ("garbage", "2024-02-17T00:00:00Z", nil),
        ("2024-02-17T22:00:00-05:00", "2024-02-18T21:59:59-05:00", "from 2024-02-18 to 2024-02-19"),
    ])
    func periods(start: String, end: String, expected: String?) {
        let report = TLSReport(organizationName: "O", dateRange: .init(start: .init(start), end: .init(end)),
                               contactInfo: nil, reportID: "r", policies: [])
        #expect(report.periodText == expected)
    }

    @Test func encodesUnderRFCFieldNames() throws {
        let detail = TLSReport.FailureDetail(resultType: .daneRequired, sendingMTAIP: "192.0.2.1", receivingMXHostname: "mx.example.com",
                                             receivingMXHelo: "mx.example.com", receivingIP: "198.51.100.1", failedSessionCount: 4,
                                             additionalInformation: "https://r.example/1", failureReasonCode: "X")
        let report = TLSReport(
            organizationName: "O", dateRange: .init(start: .init("2024-02-17T00:00:00Z"), end: .init("2024-02-17T23:59:59Z")),
            contactInfo: "c@example.com", reportID: "r",
            policies: [.init(policy: .init(policyType: .noPolicyFound, policyString: ["x"], policyDomain: "example.com",
                                           mxHost: ["mx.example.com"], mxHostPattern: ["*.example.com"]),
                             summary: .init(totalSuccessfulSessionCount: 1, totalFailureSessionCount: 4),
                             failureDetails: [detail])])
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(Set(json.keys) == ["organization-name", "date-range", "contact-info", "report-id", "policies"])
        #expect(Set((json["date-range"] as? [String: Any])?.keys ?? [:].keys) == ["start-datetime", "end-datetime"])
        let entry = try #require((json["policies"] as? [[String: Any]])?.first)
        #expect(Set(entry.keys) == ["policy", "summary", "failure-details"])
        #expect(Set((entry["policy"] as? [String: Any])?.keys ?? [:].keys)
            == ["policy-type", "policy-string", "policy-domain", "mx-host", "mx-host-pattern"])
        #expect(Set((entry["summary"] as? [String: Any])?.keys ?? [:].keys)
            == ["total-successful-session-count", "total-failure-session-count"])
        let failure = try #require((entry["failure-details"] as? [[String: Any]])?.first)
        #expect(Set(failure.keys) == ["result-type", "sending-mta-ip", "receiving-mx-hostname", "receiving-mx-helo",
                                      "receiving-ip", "failed-session-count", "additional-information", "failure-reason-code"])
        #expect(failure["result-type"] as? String == "dane-required")
        #expect((entry["policy"] as? [String: Any])?["policy-type"] as? String == "no-policy-found")
        #expect(try JSONDecoder().decode(TLSReport.self, from: JSONEncoder().encode(report)) == report)
    }

    @Test func decodableRejectsNonReports() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TLSReport.self, from: Data("{\"report-id\": \"r\"}".utf8)) }
    }
}
