import Foundation
import STSCore
@testable import STSPoller
import STSStore
import STSStoreFixtures
import Testing

/// The exposition text from a real store: fixture checks and a TLS-RPT report with hostile strings.
struct MetricsExpositionTests {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    /// One sample line: name, optional labels with escaped values, a number.
    static var sampleLine: Regex<AnyRegexOutput> { try! Regex(#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?|NaN|[+-]Inf)$"#) }
    static var commentLine: Regex<AnyRegexOutput> { try! Regex(#"^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (gauge|counter|untyped))$"#) }

    func populatedStore(_ folder: TempFolder) throws -> Store {
        let store = try Store(path: folder.databasePath)
        try store.addDomains(["example.com", "expiring.example", "never.example"], now: t0)
        for f in [ObservationFixture(domain: "example.com", observedAt: t0),
                  { var f = ObservationFixture(domain: "expiring.example", observedAt: t0); f.certDays["mx1.expiring.example"] = 3; return f }()] {
            let (observation, assessment) = f.assess()
            try store.record(observation: observation, assessment: assessment, nextDue: t0.addingTimeInterval(900), failed: false)
        }
        let report = """
            {"organization-name":"Hostile \\"Org\\"","date-range":{"start-datetime":"2026-09-01T00:00:00Z","end-datetime":"2026-09-01T23:59:59Z"},
             "contact-info":"x","report-id":"r1","policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com"},
             "summary":{"total-successful-session-count":5,"total-failure-session-count":3},
             "failure-details":[{"result-type":"certificate-expired","failed-session-count":2},
                                {"result-type":"we\\\\ird \\"type\\"\\nline","failed-session-count":1}]}]}
            """
        let decoded = try TLSReport.decode(Array(report.utf8))
        _ = try store.insertReport(decoded, raw: Data(report.utf8), source: "test", message: nil, receivedAt: t0)
        return store
    }

    @Test func everyLineIsValidExpositionFormat() throws {
        let folder = try TempFolder()
        let text = MetricsExposition.render(try populatedStore(folder).metricsSnapshot(now: t0.addingTimeInterval(60)))
        #expect(text.hasSuffix("\n"))
        var families: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("#") {
                #expect(line.wholeMatch(of: Self.commentLine) != nil, "bad comment line: \(line)")
                let parts = line.split(separator: " ")
                if parts[1] == "TYPE" { families[String(parts[2])] = String(parts[3]) }
            } else {
                #expect(line.wholeMatch(of: Self.sampleLine) != nil, "bad sample line: \(line)")
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(families[name] != nil, "\(name) sampled before its TYPE line")
            }
        }
        #expect(families.count == 10)
    }

    @Test func seriesCarryTheStoredFigures() throws {
        let folder = try TempFolder()
        let text = MetricsExposition.render(try populatedStore(folder).metricsSnapshot(now: t0.addingTimeInterval(60)))
        let lines = Set(text.split(separator: "\n").map(String.init))
        // A minute after the checks: 90 days less 60 seconds, to a thousandth of a day.
        #expect(lines.contains("stswatch_domains 3"))
        #expect(lines.contains(#"stswatch_domain_status{domain="example.com",status="ok"} 1"#))
        #expect(lines.contains(#"stswatch_domain_status{domain="example.com",status="crit"} 0"#))
        #expect(lines.contains(#"stswatch_domain_status{domain="never.example",status="unknown"} 1"#))
        #expect(lines.contains(#"stswatch_domain_checked{domain="never.example"} 0"#))
        #expect(lines.contains(#"stswatch_domain_status_code{domain="expiring.example"} 2"#))
        #expect(lines.contains(#"stswatch_mx_certificate_expiry_days{domain="expiring.example",mx="mx1.expiring.example"} 2.999"#))
        #expect(lines.contains(#"stswatch_mx_certificate_expiry_days{domain="example.com",mx="mx1.example.com"} 89.999"#))
        #expect(lines.contains(#"stswatch_policy_certificate_expiry_days{domain="example.com",host="mta-sts.example.com"} 59.999"#))
        #expect(lines.contains(#"stswatch_last_success_age_seconds{domain="example.com"} 60"#))
        #expect(!text.contains(#"stswatch_last_success_age_seconds{domain="never.example"}"#))
        #expect(lines.contains(#"stswatch_tlsrpt_failed_sessions{domain="example.com",result_type="certificate-expired"} 2"#))
        #expect(lines.contains(#"stswatch_tlsrpt_failed_sessions{domain="example.com",result_type="we\\ird \"type\"\nline"} 1"#))
    }

    @Test(arguments: [
        ("plain", "plain"), (#"a"b"#, #"a\"b"#), (#"a\b"#, #"a\\b"#), ("a\nb", #"a\nb"#), ("é ✓", "é ✓"), ("", ""),
    ])
    func labelValuesAreEscaped(raw: String, escaped: String) {
        #expect(MetricsExposition.escapeLabel(raw) == escaped)
    }

    @Test(arguments: [(1.0, "1"), (-2.0, "-2"), (0.5, "0.5"), (Double.nan, "NaN"), (Double.infinity, "+Inf"), (-1.25, "-1.25")])
    func numbers(value: Double, text: String) {
        #expect(MetricsExposition.number(value) == text)
    }
}
