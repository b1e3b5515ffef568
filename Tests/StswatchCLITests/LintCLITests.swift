import Foundation
import STSTestSupport
import Testing

/// `stswatch lint` end to end: the real binary, real files, the real corpus.
@Suite struct LintCLITests {
    static let goodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"

    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func validPolicyFromAFile() throws {
        let file = try temporaryFile("mta-sts.txt", Data(Self.goodPolicy.utf8))
        let r = try CLI.run(["lint", "policy", file.path, "--mx", "mail.example.com", "--mx", "MX7.example.net."])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("valid MTA-STS policy"))
        #expect(r.stdout.contains("covered  mx7.example.net by *.example.net"))
    }

    @Test func uncoveredMXFailsWithStatusOne() throws {
        let file = try temporaryFile("mta-sts.txt", Data(Self.goodPolicy.utf8))
        let r = try CLI.run(["lint", "policy", file.path, "--mx", "a.b.example.net", "--json"])
        #expect(r.status == 1)
        let object = try json(r.stdout)
        #expect(object["valid"] as? Bool == false)
        let coverage = try #require(object["mx_coverage"] as? [[String: Any]])
        #expect(coverage.first?["covered"] as? Bool == false)
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.contains { $0["code"] as? String == "sts-mx-not-covered" && $0["severity"] as? String == "crit" })
    }

    @Test func policyFromStandardInputAsJSON() throws {
        let r = try CLI.run(["lint", "policy", "-", "--json"], stdin: Data("version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 86400".utf8))
        #expect(r.status == 0)
        let policy = try #require(try json(r.stdout)["policy"] as? [String: Any])
        #expect(policy["mode"] as? String == "testing")
        #expect(policy["max_age"] as? Int == 86400)
        #expect(policy["mx"] as? [String] == ["mx.example.org"])
    }

    @Test func invalidPolicyNamesTheLine() throws {
        let file = try temporaryFile("bad.txt", Data("version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 31557601\n".utf8))
        let r = try CLI.run(["lint", "policy", file.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("policy line 4: max_age 31557601 exceeds 31557600"))
    }

    @Test func missingFileIsAnIOError() throws {
        let r = try CLI.run(["lint", "policy", "/nonexistent/mta-sts.txt"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/mta-sts.txt: no such file"))
    }

    @Test func usageErrorIsAboveTwo() throws {
        let r = try CLI.run(["lint", "policy"])
        #expect(r.status >= 2)
    }

    @Test(arguments: [
        (["v=STSv1; id=20240101T000000", "v=spf1 -all"], Int32(0), "valid"),
        (["v=STSv1; id=1", "v=STSv1; id=2"], 1, "multiple"),
        (["v=STSv1; id=not_valid"], 1, "invalid"),
        (["v=spf1 -all"], 1, "absent"),
    ])
    func stsRecords(records: [String], status: Int32, verdict: String) throws {
        let r = try CLI.run(["lint", "sts-txt", "--json"] + records)
        #expect(r.status == status)
        #expect(try json(r.stdout)["verdict"] as? String == verdict)
    }

    @Test(arguments: [
        (["v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example.com/v1"], Int32(0), "valid"),
        (["v=TLSRPTv1; rua=ftp://example.com"], 1, "invalid"),
        (["v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"], 1, "multiple"),
    ])
    func tlsrptRecords(records: [String], status: Int32, verdict: String) throws {
        let r = try CLI.run(["lint", "tlsrpt-txt", "--json"] + records)
        #expect(r.status == status)
        let object = try json(r.stdout)
        #expect(object["verdict"] as? String == verdict)
        if verdict == "valid" {
            let record = try #require(object["record"] as? [String: Any])
            #expect(record["rua"] as? [String] == ["mailto:tlsrpt@example.com", "https://r.example.com/v1"])
        }
    }

    /// Every real report in the corpus lints, and its totals match a count made without our decoder.
    @Test(arguments: Corpus.files("reports"))
    func corpusReport(file: URL) throws {
        let r = try CLI.run(["lint", "report", file.path, "--json"])
        #expect(r.status == 0, "\(file.lastPathComponent): \(r.stdout) \(r.stderr)")
        let object = try json(r.stdout)
        let report = try #require(object["report"] as? [String: Any])
        let original = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        #expect(report["report-id"] as? String == original["report-id"] as? String)
        func totals(_ policies: [[String: Any]], _ key: String) -> Int {
            policies.reduce(0) { sum, p in
                let summary = p["summary"] as? [String: Any]
                return sum + ((summary?[key] as? Int) ?? Int(summary?[key] as? String ?? "") ?? 0)
            }
        }
        let originalPolicies = original["policies"] as? [[String: Any]] ?? []
        let printedPolicies = report["policies"] as? [[String: Any]] ?? []
        #expect(totals(printedPolicies, "total-successful-session-count") == totals(originalPolicies, "total-successful-session-count"))
        #expect(totals(printedPolicies, "total-failure-session-count") == totals(originalPolicies, "total-failure-session-count"))
    }

    @Test func gzipReportIsDetectedByContent() throws {
        let source = try #require(Corpus.files("reports").first { $0.lastPathComponent == "mta-sts-exporter-google.json" })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let gz = dir.appendingPathComponent("report-without-extension")
        try gzipped(Data(contentsOf: source)).write(to: gz)
        let r = try CLI.run(["lint", "report", gz.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("from Google Inc."))
        #expect(r.stdout.contains("53 successful, 0 failed"))
    }

    @Test(arguments: [
        ("not json at all", "not-json"),
        ("{\"organization-name\": \"x\"}", "no-policies"),
        ("{\"policies\": [", "truncated"),
    ])
    func malformedReportsAreRejected(content: String, name: String) throws {
        let file = try temporaryFile(name, Data(content.utf8))
        let r = try CLI.run(["lint", "report", file.path, "--json"])
        #expect(r.status == 1)
        let object = try json(r.stdout)
        #expect(object["valid"] as? Bool == false)
        #expect((object["error"] as? String)?.contains(file.lastPathComponent) == true)
    }

    @Test func hostileReportTextIsSanitised() throws {
        let hostile = #"{"organization-name":"Evil\u001b[2J\u001b]0;pwned\u0007Corp","report-id":"x\u202eid","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},"policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com"},"summary":{"total-successful-session-count":1,"total-failure-session-count":2},"failure-details":[{"result-type":"certificate-expired\u001b[31m","failed-session-count":2}]}]}"#
        let file = try temporaryFile("hostile.json", Data(hostile.utf8))
        let r = try CLI.run(["lint", "report", file.path])
        #expect(r.status == 0)
        #expect(!r.stdout.contains("\u{1B}"))
        #expect(!r.stdout.contains("\u{07}"))
        #expect(!r.stdout.contains("\u{202E}"))
        #expect(r.stdout.contains("Evil"))
    }
}

/// Help and shell completion are part of the interface.
@Suite struct HelpCLITests {
    /// Every subcommand the top-level help lists, and their own subcommands, found by reading the help itself.
    static func commandPaths() throws -> [[String]] {
        func subcommands(_ path: [String]) throws -> [String] {
            let text = try CLI.run(path + ["--help"]).stdout
            guard let section = text.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { return [] }
            return section.split(separator: "\n").compactMap { line in
                // Names start at two spaces of indent; wrapped help text is indented further.
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                return line.split(separator: " ").first.map { String($0).replacingOccurrences(of: "(default)", with: "") }
            }
        }
        var paths: [[String]] = [[]]
        for name in try subcommands([]) {
            paths.append([name])
            for inner in try subcommands([name]) { paths.append([name, inner]) }
        }
        return paths
    }

    @Test func everyCommandHasCompleteHelp() throws {
        let paths = try Self.commandPaths()
        #expect(paths.count > 10, "\(paths)")
        for path in paths {
            let r = try CLI.run(path + ["--help"])
            #expect(r.status == 0, "\(path)")
            #expect(r.stdout.contains("USAGE:"), "\(path)")
            #expect(r.stdout.contains("OVERVIEW:"), "\(path) has no abstract")
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) throws {
        let r = try CLI.run(["--generate-completion-script", shell])
        #expect(r.status == 0)
        for name in ["lint", "tlsrpt-txt", "check", "status"] {
            #expect(r.stdout.contains(name), "\(shell) completion lacks \(name)")
        }
    }
}
