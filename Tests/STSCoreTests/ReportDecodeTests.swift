import Foundation
import Testing
@testable import STSCore

/// A report around the given policy entries, so each case states only what it is about.
func reportJSON(policies: [String], header: String? = nil) -> String {
    let head = header ?? """
        "organization-name": "Reporter", "report-id": "r1", "contact-info": "tls@reporter.example",
        "date-range": {"start-datetime": "2024-02-17T00:00:00Z", "end-datetime": "2024-02-17T23:59:59Z"}
        """
    return "{\(head), \"policies\": [\(policies.joined(separator: ","))]}"
}

/// One policy entry; the defaults are a clean RFC 8460 entry with one failure.
func policyJSON(policy: String = #""policy-type": "sts", "policy-string": ["version: STSv1", "mode: enforce", "mx: mx1.example.com", "max_age: 86400"], "policy-domain": "example.com", "mx-host": ["mx1.example.com"]"#,
                summary: String = #""total-successful-session-count": 10, "total-failure-session-count": 2"#,
                details: String? = #"{"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.1", "receiving-mx-hostname": "mx1.example.com", "receiving-ip": "198.51.100.7", "failed-session-count": 2}"#) -> String {
    var text = "{\"policy\": {\(policy)}, \"summary\": {\(summary)}"
    if let details { text += ", \"failure-details\": [\(details)]" }
    return text + "}"
}

func decode(_ text: String, limits: ReportLimits = .default) throws(ReportError) -> ReportDecodeResult {
    try TLSReport.decode(Data(text.utf8), limits: limits)
}

@Suite struct ReportRejectionTests {
    static let deepArray = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)

    @Test(arguments: [
        ("{\"report-id\": \"r\", \"policies\": [", "truncated"),
        ("", "empty"),
        ("report-id: r", "not JSON"),
        ("{\"report-id\" \"r\", \"policies\": []}", "missing colon"),
        ("{\"report-id\": \"\\ud800\", \"policies\": []}", "lone surrogate"),
        ("{\"report-id\": \"r\", \"policies\": []} trailing", "trailing text"),
        ("NaN", "not a JSON value"),
        ("{\"report-id\": 'r', \"policies\": []}", "single quotes"),
    ])
    func notJSON(text: String, why: String) {
        #expect {
            try decode(text)
        } throws: { error in
            guard case ReportError.notJSON = error else { return false }
            return true
        }
    }

    @Test func invalidUTF8IsNotJSON() {
        var bytes = Array(reportJSON(policies: []).utf8)
        bytes.insert(0xFF, at: bytes.firstIndex(of: UInt8(ascii: "R"))!)
        #expect {
            try TLSReport.decode(bytes)
        } throws: { error in
            guard case ReportError.notJSON = error else { return false }
            return true
        }
    }

    @Test(arguments: [
        ("[]", ReportError.notAReport(path: "$", rule: "must be a JSON object, found an array")),
        ("\"report\"", .notAReport(path: "$", rule: "must be a JSON object, found a string")),
        ("{}", .notAReport(path: "policies", rule: "a report must carry a policies array (RFC 8460 §4.4)")),
        ("{\"report-id\": \"r\"}", .notAReport(path: "policies", rule: "a report must carry a policies array (RFC 8460 §4.4)")),
        ("{\"report-id\": \"r\", \"policies\": {}}", .notAReport(path: "policies", rule: "must be an array, found an object")),
        ("{\"report-id\": \"r\", \"policies\": null}", .notAReport(path: "policies", rule: "must be an array, found null")),
        ("{\"policies\": []}", .notAReport(path: "report-id", rule: "neither report-id nor organization-name is given, so the report cannot be identified")),
        ("{\"report-id\": 5, \"organization-name\": null, \"policies\": []}", .notAReport(path: "report-id", rule: "neither report-id nor organization-name is given, so the report cannot be identified")),
    ])
    func notAReport(text: String, expected: ReportError) {
        #expect(throws: expected) { try decode(text) }
    }

    @Test func depthBombIsRejectedBeforeParsing() {
        #expect(throws: ReportError.tooDeep(limit: 64, offset: 64)) { try decode(Self.deepArray) }
    }

    /// Depth counts the report's own object: 64 levels pass, 65 fail.
    @Test(arguments: [(63, true), (64, false)])
    func depthLimitIsExact(extraLevels: Int, accepted: Bool) throws {
        let extra = String(repeating: "[", count: extraLevels) + String(repeating: "]", count: extraLevels)
        let prefix = "{\"report-id\": \"r\", \"policies\": [], \"x-extra\": "
        let text = prefix + extra + "}"
        if accepted {
            _ = try decode(text)
        } else {
            // The 64th bracket of the extra field is the 65th level.
            #expect(throws: ReportError.tooDeep(limit: 64, offset: prefix.utf8.count + 63)) {
                try decode(text)
            }
        }
    }

    @Test func bracketsInsideStringsDoNotCount() throws {
        let brackets = String(repeating: "[{", count: 200) + "\\\"" + String(repeating: "[", count: 100)
        let text = reportJSON(policies: [], header: "\"report-id\": \"\(brackets)\"")
        let decoded = try decode(text)
        #expect(decoded.report.reportID?.hasPrefix("[{[{") == true)
    }

    @Test func sizeLimit() {
        let text = reportJSON(policies: [policyJSON()])
        let size = text.utf8.count
        #expect(throws: ReportError.tooLarge(size: size, limit: size - 1)) {
            try decode(text, limits: ReportLimits(maxBytes: size - 1, maxDepth: 64))
        }
        #expect(throws: Never.self) { try decode(text, limits: ReportLimits(maxBytes: size, maxDepth: 64)) }
    }

    @Test func errorsSayWhatAndWhere() {
        #expect(ReportError.notAReport(path: "policies", rule: "must be an array, found an object").description
            == "not a TLS-RPT report: policies: must be an array, found an object")
        #expect(ReportError.tooLarge(size: 10, limit: 5).description == "report is 10 bytes, over the limit of 5")
        #expect(ReportError.tooDeep(limit: 64, offset: 64).description == "report nests deeper than 64 levels (at byte 64)")
    }
}

@Suite struct ReportLeniencyTests {
    @Test func cleanReportHasNoOddities() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON()]))
        #expect(decoded.oddities == [])
        #expect(decoded.report.totalSuccessful == 10)
        #expect(decoded.report.totalFailed == 2)
    }

    /// Session counts: what is read, and the oddity noted.
    @Test(arguments: [
        ("7", 7 as Int?, nil as String?),
        // 0 and 1 must not be mistaken for booleans (Foundation boxes both as NSNumber).
        ("0", 0, nil),
        ("1", 1, nil),
        ("false", nil, "policy 1: summary: total-successful-session-count: expected a number, found a boolean; ignored"),
        ("\"7\"", 7, "policy 1: summary: total-successful-session-count given as a string"),
        ("7.0", 7, "policy 1: summary: total-successful-session-count given as 7.0, not an integer"),
        ("7.5e1", 75, "policy 1: summary: total-successful-session-count given as 75.0, not an integer"),
        ("18446744073709551615", nil, "policy 1: summary: total-successful-session-count 1.8446744073709552e+19 is not a whole number in range; ignored"),
        ("2.5", nil, "policy 1: summary: total-successful-session-count 2.5 is not a whole number in range; ignored"),
        ("1e30", nil, "policy 1: summary: total-successful-session-count 1e+30 is not a whole number in range; ignored"),
        ("-3", -3, "policy 1: summary: total-successful-session-count is negative (-3)"),
        ("\"12abc\"", nil, "policy 1: summary: total-successful-session-count \"12abc\" is not a number; ignored"),
        ("\"\"", nil, "policy 1: summary: total-successful-session-count \"\" is not a number; ignored"),
        ("\"-1\"", nil, "policy 1: summary: total-successful-session-count \"-1\" is not a number; ignored"),
        ("true", nil, "policy 1: summary: total-successful-session-count: expected a number, found a boolean; ignored"),
        ("null", nil, "policy 1: summary: total-successful-session-count: expected a number, found null; ignored"),
        ("[1]", nil, "policy 1: summary: total-successful-session-count: expected a number, found an array; ignored"),
    ])
    func counts(json: String, expected: Int?, oddity: String?) throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(
            summary: "\"total-successful-session-count\": \(json), \"total-failure-session-count\": 2")]))
        #expect(decoded.report.policies[0].summary.totalSuccessfulSessionCount == expected)
        #expect(decoded.oddities == (oddity.map { [$0] } ?? []))
    }

    @Test func countsAsStringsInFailureDetails() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(
            summary: #""total-successful-session-count": "10", "total-failure-session-count": "2""#,
            details: #"{"result-type": "starttls-not-supported", "sending-mta-ip": "192.0.2.1", "failed-session-count": "2"}"#)]))
        #expect(decoded.report.totalFailed == 2)
        #expect(decoded.report.policies[0].failureDetailsSum == 2)
        #expect(decoded.oddities.count == 3)
    }

    @Test func hugeCountsSaturateInsteadOfTrapping() throws {
        let huge = #""total-successful-session-count": 9223372036854775807, "total-failure-session-count": 9223372036854775807"#
        let detail = #"{"result-type": "validation-failure", "failed-session-count": 9223372036854775807}"#
        let decoded = try decode(reportJSON(policies: [policyJSON(summary: huge, details: detail + "," + detail),
                                                       policyJSON(summary: huge, details: nil)]))
        #expect(decoded.report.totalSuccessful == Int.max)
        #expect(decoded.report.totalFailed == Int.max)
        #expect(decoded.report.policies[0].failureDetailsSum == Int.max)
        #expect(!decoded.findings().isEmpty)
    }

    @Test func mismatchedTotalsAreNotedPerPolicy() throws {
        let seven = #"{"result-type": "certificate-expired", "failed-session-count": 3}, {"result-type": "certificate-expired", "failed-session-count": 4}"#
        let decoded = try decode(reportJSON(policies: [
            policyJSON(),
            policyJSON(summary: #""total-successful-session-count": 1, "total-failure-session-count": 5"#, details: seven),
        ]))
        #expect(decoded.oddities == ["policy 2: failure-details sum 7 != total-failure-session-count 5"])
        #expect(decoded.report.totalFailed == 7)
        #expect(decoded.report.policies[1].failuresByResultType.map(\.sessions) == [7])
    }

    @Test func sendingMTAIPAbsentOrEmpty() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(details: """
            {"result-type": "certificate-expired", "failed-session-count": 1},
            {"result-type": "certificate-expired", "sending-mta-ip": "", "failed-session-count": 1}
            """)]))
        let details = try #require(decoded.report.policies[0].failureDetails)
        #expect(details[0].sendingMTAIP == nil)
        #expect(details[1].sendingMTAIP == "")
        #expect(decoded.oddities == ["policy 1 failure 2: empty sending-mta-ip"])
    }

    @Test func contactInfoNullAndPolicyDomainMissing() throws {
        let header = #""organization-name": "Org", "report-id": "r", "contact-info": null, "date-range": {"start-datetime": "2024-02-17T00:00:00Z", "end-datetime": "2024-02-17T23:59:59Z"}"#
        let decoded = try decode(reportJSON(policies: [policyJSON(policy: #""policy-type": "no-policy-found""#, details: nil)
            .replacingOccurrences(of: "\"total-failure-session-count\": 2", with: "\"total-failure-session-count\": 0")],
            header: header))
        #expect(decoded.report.contactInfo == nil)
        #expect(decoded.report.policies[0].policy.policyDomain == nil)
        #expect(decoded.oddities == ["report: contact-info is null", "policy 1: policy-domain missing"])
    }

    @Test func missingHeaderFieldsAreNotedNotFatal() throws {
        let decoded = try decode(#"{"report-id": "only-id", "policies": []}"#)
        #expect(decoded.report.organizationName == nil)
        #expect(decoded.oddities == ["report: organization-name, date-range, contact-info missing", "report: policies is empty"])
        let named = try decode(#"{"organization-name": "Only Org", "policies": []}"#)
        #expect(named.report.reportID == nil)
    }

    @Test func unknownTypesAreKeptAsSent() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(
            policy: #""policy-type": "sts-v2", "policy-domain": "example.com""#,
            details: #"{"result-type": "quantum-decoherence", "failed-session-count": 2}"#)]))
        let entry = decoded.report.policies[0]
        #expect(entry.policy.policyType == .other("sts-v2"))
        #expect(entry.failureDetails?.first?.resultType == .other("quantum-decoherence"))
        #expect(decoded.oddities == [
            "policy 1: unknown policy-type \"sts-v2\"; kept as sent",
            "policy 1 failure 1: unknown result-type \"quantum-decoherence\"; kept as sent",
        ])
        let reencoded = String(decoding: try JSONEncoder().encode(decoded.report), as: UTF8.self)
        #expect(reencoded.contains("\"sts-v2\""))
        #expect(reencoded.contains("\"quantum-decoherence\""))
    }

    @Test func resultTypesOfRFC8460() {
        #expect(TLSReport.ResultType.allCases.map(\.rawValue) == [
            "starttls-not-supported", "certificate-host-mismatch", "certificate-expired", "certificate-not-trusted",
            "validation-failure", "tlsa-invalid", "dnssec-invalid", "dane-required", "sts-policy-fetch-error",
            "sts-policy-invalid", "sts-webpki-invalid",
        ])
        for type in TLSReport.ResultType.allCases { #expect(TLSReport.ResultType(rawValue: type.rawValue) == type) }
        #expect(TLSReport.ResultType(rawValue: "Certificate-Expired") == .other("Certificate-Expired"))
    }

    @Test func policyStringAbsent() throws {
        let decoded = try decode(reportJSON(policies: [policyJSON(policy: #""policy-type": "sts", "policy-domain": "example.com""#)]))
        #expect(decoded.report.policies[0].policy.policyString == nil)
        #expect(decoded.report.policies[0].policy.policyLines == [])
        #expect(decoded.oddities == ["policy 1: sts policy without policy-string"])
    }

    @Test func tlsaPolicyStringAsOneJSONEncodedArray() throws {
        let policy = #""policy-type": "tlsa", "policy-string": ["[\"3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6\",\"2 1 1 8D02536C887482BC34FF54E41D2BA659BF85B341A0A20AFADB5813DCFBCF286D\"]"], "policy-domain": "mx.example.com""#
        let decoded = try decode(reportJSON(policies: [policyJSON(policy: policy)]))
        let parsed = decoded.report.policies[0].policy
        #expect(parsed.policyType == .tlsa)
        #expect(parsed.policyString?.count == 1)
        #expect(parsed.policyLines == [
            "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
            "2 1 1 8D02536C887482BC34FF54E41D2BA659BF85B341A0A20AFADB5813DCFBCF286D",
        ])
        #expect(decoded.oddities == ["policy 1: policy-string is one JSON-encoded array of 2 string(s); unpacked for reading"])
        // Kept as sent when encoded again.
        let reencoded = try JSONDecoder().decode(TLSReport.self, from: JSONEncoder().encode(decoded.report))
        #expect(reencoded.policies[0].policy.policyString == parsed.policyString)
    }

    @Test func tlsaPolicyStringInRFCForm() throws {
        let policy = #""policy-type": "tlsa", "policy-string": ["3 0 1 1F850A337E6DB9C609C522D136A475638CC43E1ED424F8EEC8513D747D1D085D"], "policy-domain": "mx.example.com""#
        let decoded = try decode(reportJSON(policies: [policyJSON(policy: policy)]))
        #expect(decoded.report.policies[0].policy.policyLines == decoded.report.policies[0].policy.policyString)
        #expect(decoded.oddities == [])
    }

    @Test func mxHostForms() throws {
        let forms: [(String, [String]?, [String]?, [String])] = [
            (#""mx-host": "mx1.example.com""#, ["mx1.example.com"], nil,
             ["policy 1: mx-host given as a string (RFC example form, erratum 6241)"]),
            (#""mx-host": ["mx1.example.com", "*.example.net"]"#, ["mx1.example.com", "*.example.net"], nil, []),
            (#""mx-host-pattern": ["*.example.com"]"#, nil, ["*.example.com"],
             ["policy 1: mx-host-pattern used (a pre-RFC draft name for mx-host)"]),
            (#""mx-host": ["mx1.example.com", 7]"#, ["mx1.example.com"], nil,
             ["policy 1: mx-host[1]: expected a string, found a number; dropped"]),
            (#""mx-host": {"a": 1}"#, nil, nil,
             ["policy 1: mx-host: expected an array of strings, found an object; ignored"]),
        ]
        for (field, mxHost, pattern, oddities) in forms {
            let policy = #""policy-type": "sts", "policy-string": ["mode: enforce"], "policy-domain": "example.com", "# + field
            let decoded = try decode(reportJSON(policies: [policyJSON(policy: policy)]))
            #expect(decoded.report.policies[0].policy.mxHost == mxHost, "\(field)")
            #expect(decoded.report.policies[0].policy.mxHostPattern == pattern, "\(field)")
            #expect(decoded.oddities == oddities, "\(field)")
        }
    }

    @Test func failureDetailsAbsentNullOrOdd() throws {
        let clean = #""total-successful-session-count": 3, "total-failure-session-count": 0"#
        #expect(try decode(reportJSON(policies: [policyJSON(summary: clean, details: nil)])).oddities == [])
        let null = reportJSON(policies: [#"{"policy": {"policy-type": "no-policy-found", "policy-domain": "a.example"}, "summary": {\#(clean)}, "failure-details": null}"#])
        #expect(try decode(null).report.policies[0].failureDetails == nil)
        let mixed = try decode(reportJSON(policies: [policyJSON(details: #"{"result-type": "certificate-expired", "failed-session-count": 2}, "junk", 3"#)]))
        #expect(mixed.report.policies[0].failureDetails?.count == 1)
        #expect(mixed.oddities == [
            "policy 1 failure 2: expected an object, found a string; skipped",
            "policy 1 failure 3: expected an object, found a number; skipped",
        ])
    }

    @Test func oddPolicyEntriesAreSkippedAndOthersKept() throws {
        let decoded = try decode(reportJSON(policies: ["42", policyJSON(), #"{"summary": {}}"#]))
        #expect(decoded.report.policies.count == 2)
        #expect(decoded.report.totalFailed == 2)
        #expect(decoded.oddities == [
            "policy 1: expected an object, found a number; skipped",
            "policy 3: policy missing",
            "policy 3: summary: total-successful-session-count, total-failure-session-count missing",
        ])
    }

    @Test func wrongTypesAreNotedAndIgnored() throws {
        let header = #""organization-name": 7, "report-id": "r", "contact-info": ["a"], "date-range": "yesterday""#
        let decoded = try decode(reportJSON(policies: [policyJSON(
            details: #"{"result-type": 3, "receiving-ip": 198, "failed-session-count": 2}"#)], header: header))
        #expect(decoded.report.organizationName == nil)
        #expect(decoded.report.dateRange == nil)
        #expect(decoded.oddities == [
            "report: organization-name: expected a string, found a number; ignored",
            "report: contact-info: expected a string, found an array; ignored",
            "report: date-range: expected an object, found a string; ignored",
            "policy 1 failure 1: result-type: expected a string, found a number; ignored",
            "policy 1 failure 1: receiving-ip: expected a string, found a number; ignored",
        ])
    }

    @Test func unknownFieldsAreIgnored() throws {
        let policy = policyJSON().replacingOccurrences(of: "\"summary\":", with: "\"x-vendor\": {\"deep\": [1, {\"a\": null}]}, \"summary\":")
        let decoded = try decode(reportJSON(policies: [policy], header: #""organization-name": "O", "report-id": "r", "contact-info": "c", "date-range": {"start-datetime": "2024-02-17T00:00:00Z", "end-datetime": "2024-02-17T23:59:59Z", "tz": "UTC"}, "x-extra": true"#))
        #expect(decoded.oddities == [])
        let reencoded = String(decoding: try JSONEncoder().encode(decoded.report), as: UTF8.self)
        #expect(!reencoded.contains("x-vendor"))
    }

    @Test func hostileTextIsKeptButQuotedSafely() throws {
        let evil = #"evil\u001b]0;pwned\u0007\u202Emoc.elpmaxe"#
        let decoded = try decode(reportJSON(policies: [policyJSON(
            policy: #""policy-type": "\#(evil)", "policy-domain": "example.com""#,
            details: #"{"result-type": "certificate-expired", "receiving-mx-hostname": "\#(evil)", "failed-session-count": 2}"#)],
            header: #""organization-name": "\#(evil)", "report-id": "r""#))
        #expect(decoded.report.organizationName == "evil\u{1B}]0;pwned\u{7}\u{202E}moc.elpmaxe")
        let texts = decoded.oddities + decoded.findings().flatMap { [$0.subject, $0.message] }
        for text in texts {
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E }, "\(text)")
        }
        #expect(decoded.oddities.contains("policy 1: unknown policy-type \"evilmoc.elpmaxe\"; kept as sent"))
    }

    @Test func longQuotedValuesAreShortened() throws {
        let long = String(repeating: "x", count: 500)
        let decoded = try decode(reportJSON(policies: [policyJSON(policy: #""policy-type": "\#(long)", "policy-domain": "example.com""#)]))
        let note = try #require(decoded.oddities.first)
        #expect(note == "policy 1: unknown policy-type \"\(String(repeating: "x", count: 77))...\"; kept as sent")
    }

    @Test func decodeAcceptsByteCollections() throws {
        let text = reportJSON(policies: [policyJSON()])
        let fromArray = try TLSReport.decode(Array(text.utf8))
        let fromSlice = try TLSReport.decode(Array(("  " + text).utf8).dropFirst(2))
        #expect(fromArray == fromSlice)
    }
}

@Suite struct ReportDateTimeTests {
    @Test(arguments: [
        ("2024-02-17T00:00:00Z", 1_708_128_000.0 as Double?, false),
        ("2024-02-17t00:00:00z", 1_708_128_000.0, false),
        ("2024-02-17 00:00:00Z", 1_708_128_000.0, false),
        ("2024-02-17T00:00:00.250Z", 1_708_128_000.25, false),
        ("2024-02-17T00:00:00.123456789Z", 1_708_128_000.123456789, false),
        ("2024-02-17T01:00:00+01:00", 1_708_128_000.0, false),
        ("2024-02-16T19:00:00-0500", 1_708_128_000.0, false),
        ("2024-02-17T00:00:00", 1_708_128_000.0, true),
        ("2024-02-17T00:00:00.5", 1_708_128_000.5, true),
        ("2024-02-29T12:30:15Z", 1_709_209_815.0, false),
        ("1999-12-31T23:00:00Z", 946_681_200.0, false),
        ("2023-02-29T00:00:00Z", nil, false),
        ("2024-13-01T00:00:00Z", nil, false),
        ("2024-02-17T24:00:00Z", nil, false),
        ("2024-02-17", nil, false),
        ("2024-02-17T00:00:00.Z", nil, false),
        ("2024-02-17T00:00:00Zjunk", nil, false),
        ("2024-02-17T00:00:00+25:00", nil, false),
        ("17/02/2024", nil, false),
        ("", nil, false),
    ])
    func parses(text: String, seconds: Double?, zoneAssumed: Bool) {
        let value = TLSReport.DateTime(text)
        #expect(value.text == text)
        if let seconds {
            let date = value.date?.timeIntervalSince1970 ?? .nan
            #expect(abs(date - seconds) < 1e-6, "\(text) gave \(date)")
        } else {
            #expect(value.date == nil)
        }
        #expect(value.zoneAssumedUTC == zoneAssumed)
    }

    @Test(arguments: [-719_468, -1, 0, 59, 60, 11_016, 19_770, 2_932_896])
    func civilDaysRoundTrip(days: Int) {
        let (year, month, day) = civilDate(daysSince1970: days)
        #expect(daysSince1970(year: year, month: month, day: day) == days)
    }

    @Test func badDatesAreNotedAndKept() throws {
        let header = #""organization-name": "O", "report-id": "r", "contact-info": "c", "date-range": {"start-datetime": "2024-02-18T00:00:00Z", "end-datetime": "yesterday"}"#
        let decoded = try decode(reportJSON(policies: [policyJSON()], header: header))
        #expect(decoded.report.dateRange?.end?.text == "yesterday")
        #expect(decoded.oddities == ["report: date-range end-datetime \"yesterday\" is not an RFC 3339 date-time"])
        let backwards = #""organization-name": "O", "report-id": "r", "contact-info": "c", "date-range": {"start-datetime": "2024-02-18T00:00:00Z", "end-datetime": "2024-02-17T00:00:00Z"}"#
        #expect(try decode(reportJSON(policies: [policyJSON()], header: backwards)).oddities
            == ["report: date-range ends (\"2024-02-17T00:00:00Z\") before it starts (\"2024-02-18T00:00:00Z\")"])
    }
}
