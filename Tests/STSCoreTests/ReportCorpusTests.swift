import Foundation
import Testing
@testable import STSCore

/// Every real report in the shared corpus, checked against the JSON by routes that do not use our decoder.
@Suite struct ReportCorpusTests {
    @Test func corpusIsThere() {
        #expect(corpusReportNames().count >= 14)
    }

    /// Totals and shapes agree with what JSONSerialization reads from the same bytes.
    @Test(arguments: corpusReportNames())
    func decodesWithTotalsFromAnIndependentRoute(name: String) throws {
        let data = try corpusReport(name)
        let decoded = try TLSReport.decode(data)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let policies = try #require(root["policies"] as? [[String: Any]])

        func count(_ object: [String: Any]?, _ key: String) -> Int { (object?[key] as? NSNumber)?.intValue ?? 0 }
        let successful = policies.reduce(0) { $0 + count($1["summary"] as? [String: Any], "total-successful-session-count") }
        let failed = policies.reduce(0) { $0 + count($1["summary"] as? [String: Any], "total-failure-session-count") }
        #expect(decoded.report.totalSuccessful == successful)
        #expect(decoded.report.totalFailed == failed)
        #expect(decoded.report.policies.count == policies.count)
        for (entry, raw) in zip(decoded.report.policies, policies) {
            let details = raw["failure-details"] as? [[String: Any]]
            #expect(entry.failureDetails?.count == details?.count)
            #expect(entry.failureDetailsSum == (details ?? []).reduce(0) { $0 + count($1, "failed-session-count") })
            #expect(entry.policy.policyType?.rawValue == (raw["policy"] as? [String: Any])?["policy-type"] as? String)
        }
        #expect(decoded.report.organizationName == root["organization-name"] as? String)
        #expect(decoded.report.reportID == root["report-id"] as? String)
    }

    /// Encoding gives back the sender's document under the RFC's field names; the one
    /// deliberate change is a lone `mx-host` string, which becomes a list (erratum 6241).
    @Test(arguments: corpusReportNames())
    func reencodesToTheSameDocument(name: String) throws {
        let data = try corpusReport(name)
        let decoded = try TLSReport.decode(data)
        let encoded = try JSONEncoder().encode(decoded.report)

        var original = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var policies = try #require(original["policies"] as? [[String: Any]])
        for index in policies.indices {
            if var policy = policies[index]["policy"] as? [String: Any], let host = policy["mx-host"] as? String {
                policy["mx-host"] = [host]
                policies[index]["policy"] = policy
            }
        }
        original["policies"] = policies
        let reread = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(NSDictionary(dictionary: reread).isEqual(to: original))
        // The comparison is deep: one count changed inside a policy makes the documents differ.
        var changed = policies
        var summary = try #require(changed[0]["summary"] as? [String: Any])
        summary["total-successful-session-count"] = 1 + ((summary["total-successful-session-count"] as? Int) ?? 0)
        changed[0]["summary"] = summary
        var altered = original
        altered["policies"] = changed
        #expect(!NSDictionary(dictionary: reread).isEqual(to: altered))

        // And reading our own output gives the same model back.
        #expect(try JSONDecoder().decode(TLSReport.self, from: encoded) == decoded.report)
    }

    struct Expectation: Sendable, CustomStringConvertible {
        var file: String
        var organization: String
        var reportID: String
        var policyTypes: [TLSReport.PolicyType]
        var oddities: [String]
        var description: String { file }
    }

    static let expectations: [Expectation] = [
        Expectation(file: "mail-auth-rpt01.json", organization: "Company-X", reportID: "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
                    policyTypes: [.sts], oddities: []),
        Expectation(file: "mail-auth-rpt02.json", organization: "Google Inc.", reportID: "2020-01-01T00:00:00Z_example.com",
                    policyTypes: [.sts], oddities: []),
        Expectation(file: "mail-auth-rpt03.json", organization: "Google Inc.", reportID: "2019-04-14T00:00:00Z_example.org",
                    policyTypes: [.noPolicyFound, .other("invalid-policy-type")], oddities: [
                        "policy 1: policy-domain missing",
                        "policy 1: summary: total-failure-session-count missing",
                        "policy 2: unknown policy-type \"invalid-policy-type\"; kept as sent",
                        "policy 2: policy-domain missing",
                        "policy 2: summary: total-failure-session-count missing",
                    ]),
        Expectation(file: "mta-sts-exporter-google.json", organization: "Google Inc.", reportID: "2024-02-17T00:00:00Z_example.com",
                    policyTypes: [.sts], oddities: []),
        Expectation(file: "mta-sts-exporter-microsoft.json", organization: "Microsoft Corporation",
                    reportID: "133526718584528772+example.com", policyTypes: [.sts], oddities: []),
        Expectation(file: "mta-sts-exporter-microsoft-2.json", organization: "Microsoft Corporation",
                    reportID: "133561180919336230+example.com", policyTypes: [.sts], oddities: [
                        "report: date-range start-datetime \"2024-03-26T00:00:00\" has no time zone; read as UTC",
                        "report: date-range end-datetime \"2024-03-26T23:59:59\" has no time zone; read as UTC",
                    ]),
        Expectation(file: "mta-sts-exporter-rfc.json", organization: "Company-X", reportID: "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
                    policyTypes: [.sts], oddities: ["policy 1: mx-host given as a string (RFC example form, erratum 6241)"]),
        Expectation(file: "mta-sts-exporter-rfc-errata-6241.json", organization: "Company-X",
                    reportID: "5065427c-23d3-47ca-b6e0-946ea0e8c4be", policyTypes: [.sts], oddities: []),
        Expectation(file: "parsedmarc-empty_failure_detail_fields.json", organization: "Reporter Example",
                    reportID: "2024-06-01T00:00:00Z_example.com", policyTypes: [.sts], oddities: [
                        "policy 1 failure 1: empty sending-mta-ip, receiving-mx-hostname, receiving-ip, additional-information",
                    ]),
        Expectation(file: "parsedmarc-mail.ru.json", organization: "Mail.ru", reportID: "b28254de-7b2e-be36-bb5c-4c3b92da8b25@mail.ru",
                    policyTypes: [.sts], oddities: [
                        "policy 1: sts policy without policy-string",
                        "policy 1: failure-details sum 2 != total-failure-session-count 1",
                    ]),
        Expectation(file: "parsedmarc-rfc8460.json", organization: "Company-X", reportID: "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
                    policyTypes: [.sts], oddities: ["policy 1: mx-host given as a string (RFC example form, erratum 6241)"]),
        Expectation(file: "parsedmarc-smtp_tls.json", organization: "Example Inc.", reportID: "2024-01-09T00:00:00Z_example.com",
                    policyTypes: [.sts], oddities: []),
        Expectation(file: "tlsrpt-be-report.json", organization: "Example Inc.", reportID: "report-id-from-report.json",
                    policyTypes: [.noPolicyFound], oddities: ["policy 1: total-failure-session-count 102 but no failure-details"]),
        Expectation(file: "tlsrpt-be-report-2.json", organization: "Example LLC.", reportID: "2025-08-04T00:00:00Z_example.org",
                    policyTypes: [.noPolicyFound], oddities: []),
    ]

    @Test func everyCorpusFileHasExpectations() {
        #expect(Set(Self.expectations.map(\.file)) == Set(corpusReportNames()))
    }

    @Test(arguments: expectations)
    func matchesWhatWeKnowOfEachFile(expected: Expectation) throws {
        let decoded = try TLSReport.decode(corpusReport(expected.file))
        #expect(decoded.report.organizationName == expected.organization)
        #expect(decoded.report.reportID == expected.reportID)
        #expect(decoded.report.policies.map(\.policy.policyType) == expected.policyTypes)
        #expect(decoded.oddities == expected.oddities)
    }

    @Test func microsoftZonelessDatesAreReadAsUTC() throws {
        let range = try #require(try TLSReport.decode(corpusReport("mta-sts-exporter-microsoft-2.json")).report.dateRange)
        #expect(range.start?.date == Date(timeIntervalSince1970: 1_711_411_200))
        #expect(range.end?.date == Date(timeIntervalSince1970: 1_711_411_200 + 86_399))
        #expect(range.start?.zoneAssumedUTC == true)
        #expect(range.start?.text == "2024-03-26T00:00:00")
        let zoned = try #require(try TLSReport.decode(corpusReport("mta-sts-exporter-microsoft.json")).report.dateRange)
        #expect(zoned.start?.zoneAssumedUTC == false)
    }

    @Test(arguments: ["mta-sts-exporter-rfc.json", "mta-sts-exporter-rfc-errata-6241.json", "parsedmarc-rfc8460.json"])
    func bothMxHostFormsReadTheSame(name: String) throws {
        let policy = try TLSReport.decode(corpusReport(name)).report.policies[0].policy
        #expect(policy.mxHost == ["*.mail.company-y.example"])
        #expect(policy.mxHostPattern == nil)
        #expect(policy.stsMode == "testing")
    }

    @Test func mailRuFreeTextReasonsAreKept() throws {
        let entry = try TLSReport.decode(corpusReport("parsedmarc-mail.ru.json")).report.policies[0]
        #expect(entry.failureDetails?.map(\.failureReasonCode) == ["bad https response code: 404", "bad https response code: 500"])
        #expect(entry.failureDetails?.allSatisfy { $0.sendingMTAIP == nil && $0.resultType == .stsPolicyFetchError } == true)
        #expect(entry.failedSessions == 1)
        #expect(entry.failureDetailsSum == 2)
    }

    @Test func emptyStringsAreKeptNotDropped() throws {
        let detail = try #require(try TLSReport.decode(corpusReport("parsedmarc-empty_failure_detail_fields.json"))
            .report.policies[0].failureDetails?.first)
        #expect(detail.sendingMTAIP == "")
        #expect(detail.receivingIP == "")
        #expect(detail.failureReasonCode == "no-policy-served")
    }

    @Test func corpusFindings() throws {
        let google = try TLSReport.decode(corpusReport("mail-auth-rpt02.json")).findings()
        #expect(google == [Finding(
            code: .reportFailures, severity: .crit, subject: "example.com",
            message: "Google Inc. saw 1 failed session (certificate-host-mismatch) to demo.example.com from 2020-01-01 to 2020-01-07; the MTA-STS policy is enforced, so that mail was held back")])

        let mailRu = try TLSReport.decode(corpusReport("parsedmarc-mail.ru.json")).findings()
        #expect(mailRu.map(\.code) == [.reportOddity, .reportOddity, .reportFailures])
        // The range ends at midnight: it covers one day.
        #expect(mailRu.last?.message.hasPrefix("Mail.ru saw 2 failed sessions (sts-policy-fetch-error) on 2024-02-22;") == true)
        #expect(mailRu.last?.severity == .warn)

        let noPolicy = try TLSReport.decode(corpusReport("tlsrpt-be-report.json")).findings()
        #expect(noPolicy.last?.subject == "xn--gpher-jua.test")
        #expect(noPolicy.last?.message.hasPrefix("Example Inc. saw 102 failed sessions (no details given) on 2025-08-04;") == true)

        let clean = try TLSReport.decode(corpusReport("mta-sts-exporter-google.json")).findings()
        #expect(clean.isEmpty)
    }
}
