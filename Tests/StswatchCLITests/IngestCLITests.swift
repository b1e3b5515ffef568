import Foundation
import STSLab
import STSStore
import STSTestSupport
import Testing

/// `ingest`, `reports` and `failures` as the real binary, on real SQLite files, with figures
/// computed here independently of the code under test (JSONSerialization, Python's e-mail parser).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct IngestCLITests {
    /// One report as the test reads it: its identity, totals and failure details.
    typealias Detail = (domain: String?, resultType: String?, mx: String?, ip: String?, reporter: String, sessions: Int)

    struct Expected {
        var key: String
        var organization: String
        var domains: [String]
        var successful: Int
        var failed: Int
        /// (domain, result type, MX, sending IP, reporter, sessions) per failure-details entry.
        var failures: [Detail]
    }

    static func expected(_ object: Any, source: String) throws -> Expected {
        let root = try #require(object as? [String: Any], "\(source): not a JSON object")
        let policies = root["policies"] as? [[String: Any]] ?? []
        func int(_ value: Any?) -> Int { max(0, (value as? NSNumber)?.intValue ?? 0) }
        let organization = root["organization-name"] as? String ?? ""
        var failures: [(String?, String?, String?, String?, String, Int)] = []
        var domains: [String] = []
        for policy in policies {
            let domain = ((policy["policy"] as? [String: Any])?["policy-domain"] as? String)?.lowercased()
            if let domain { domains.append(domain) }
            for detail in policy["failure-details"] as? [[String: Any]] ?? [] {
                failures.append((domain, detail["result-type"] as? String, (detail["receiving-mx-hostname"] as? String)?.lowercased(),
                                 detail["sending-mta-ip"] as? String, organization, int(detail["failed-session-count"])))
            }
        }
        let summaries = policies.map { $0["summary"] as? [String: Any] ?? [:] }
        // A report without a report-id is told apart by where it came from, as the store tells it apart by its bytes.
        let key = (root["report-id"] as? String).map { "\(organization)\u{0}\($0)" } ?? "source\u{0}\(source)"
        return Expected(key: key, organization: organization, domains: domains,
                        successful: summaries.reduce(0) { $0 + int($1["total-successful-session-count"]) },
                        failed: summaries.reduce(0) { $0 + int($1["total-failure-session-count"]) },
                        failures: failures)
    }

    /// The reports inside e-mails, extracted by Python's standard e-mail parser (not by GMime, which the code under test uses).
    static func reportsInMail(_ paths: [String]) throws -> [(path: String, report: Any)] {
        let script = """
        import email, gzip, json, sys
        from email import policy
        out = []
        for path in sys.argv[1:]:
            with open(path, 'rb') as f:
                message = email.message_from_binary_file(f, policy=policy.compat32)
            for part in message.walk():
                if part.is_multipart():
                    continue
                data = part.get_payload(decode=True) or b''
                if data[:2] == b'\\x1f\\x8b':
                    data = gzip.decompress(data)
                try:
                    report = json.loads(data)
                except Exception:
                    continue
                if isinstance(report, dict) and 'policies' in report:
                    out.append([path, report])
        print(json.dumps(out))
        """
        let data = try runCommand(["/usr/bin/python3", "-c", script] + paths, timeout: 60)
        let pairs = try #require(try JSONSerialization.jsonObject(with: data) as? [[Any]])
        return pairs.map { ($0[0] as? String ?? "", $0[1]) }
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try PollCLITests.jsonLines(text)
    }

    /// The store's key of a `reports --json` row, as ``expected(_:source:)`` makes it.
    static func key(_ row: [String: Any]) -> String {
        if let id = row["report_id"] as? String { return "\(row["organization"] as? String ?? "")\u{0}\(id)" }
        return "source\u{0}\(row["source"] as? String ?? "")"
    }

    func environment(_ dir: URL) throws -> [String: String] { try PollCLITests.isolated(dir) }

    @Test func everyCorpusReportAndMailIngestsAndTheFiguresAgree() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let env = try environment(dir)
        func run(_ args: [String]) async throws -> CLI.Result {
            try await offPool { try CLI.run(args + ["--db", db], environment: env, timeout: 120) }
        }
        let reportFiles = Corpus.files("reports").map(\.path), mailFiles = Corpus.files("eml").map(\.path)
        #expect(reportFiles.count >= 10 && mailFiles.count >= 4, "corpus at \(Corpus.root.path)")

        // Expectations, report by report; several files may carry one report.
        var all: [Expected] = []
        for path in reportFiles {
            all.append(try Self.expected(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))), source: path))
        }
        let inMail = try Self.reportsInMail(mailFiles)
        #expect(Set(inMail.map(\.path)) == Set(mailFiles), "every corpus e-mail carries a report")
        for (path, report) in inMail { all.append(try Self.expected(report, source: path)) }
        var distinct: [String: Expected] = [:]
        for e in all {
            if let earlier = distinct[e.key] {
                #expect(earlier.successful == e.successful && earlier.failed == e.failed, "one report, two sets of totals: \(e.key)")
            } else {
                distinct[e.key] = e
            }
        }

        let first = try await run(["ingest"] + reportFiles + mailFiles)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "read \(reportFiles.count + mailFiles.count), new \(distinct.count), duplicate \(all.count - distinct.count), rejected 0\n")
        #expect(first.stderr.isEmpty, "\(first.stderr)")

        let rows = try Self.jsonLines(try await run(["reports", "--json"]).stdout)
        #expect(rows.count == distinct.count)
        for row in rows {
            let key = Self.key(row)
            guard let e = distinct[key] else { Issue.record("unexpected report \(key)"); continue }
            #expect(row["successful"] as? Int == e.successful && row["failed"] as? Int == e.failed, "\(key)")
            #expect(Set(row["policy_domains"] as? [String] ?? []) == Set(e.domains), "\(key)")
            #expect((row["source"] as? String).map { reportFiles.contains($0) || mailFiles.contains($0) } == true)
        }
        #expect(Set(rows.map(Self.key)) == Set(distinct.keys))

        // Failed sessions, summed four ways, each equal to the failure details' total and per field.
        let details = distinct.values.flatMap(\.failures)
        let total = details.reduce(0) { $0 + $1.sessions }
        #expect(total > 0, "the corpus has failure details; the sums below would prove nothing")
        let fields: [(String, String, (Detail) -> String?)] = [
            ("result-type", "result_type", { $0.resultType }), ("mx", "mx", { $0.mx }),
            ("sending-ip", "sending_ip", { $0.ip }), ("reporter", "reporter", { $0.reporter.isEmpty ? nil : $0.reporter }),
        ]
        for (option, column, field) in fields {
            let groups = try Self.jsonLines(try await run(["failures", "--by", option, "--json"]).stdout)
            #expect(groups.reduce(0) { $0 + ($1["sessions"] as? Int ?? 0) } == total, "--by \(option)")
            var expectedBy: [String: Int] = [:], actualBy: [String: Int] = [:]
            for d in details { expectedBy["\(d.domain ?? "-")|\(field(d) ?? "-")", default: 0] += d.sessions }
            for g in groups { actualBy["\(g["domain"] as? String ?? "-")|\(g[column] as? String ?? "-")", default: 0] += g["sessions"] as? Int ?? 0 }
            #expect(actualBy.filter { $0.value > 0 } == expectedBy.filter { $0.value > 0 }, "--by \(option)")
        }
        let text = try await run(["failures"])
        #expect(text.status == 0 && text.stdout.contains("certificate-expired"), "\(text.stdout)")

        // Metrics: failed sessions per domain and result type, as summed here.
        var byDomainType: [String: Int] = [:]
        for d in details where d.domain != nil { byDomainType["\(d.domain!)|\(d.resultType ?? "")", default: 0] += d.sessions }
        let metrics = Set(try await run(["metrics"]).stdout.split(separator: "\n").map(String.init))
        for (key, sessions) in byDomainType {
            let parts = key.split(separator: "|", omittingEmptySubsequences: false)
            #expect(metrics.contains("stswatch_tlsrpt_failed_sessions{domain=\"\(parts[0])\",result_type=\"\(parts[1])\"} \(sessions)"), "\(key)")
        }

        // Twice: everything is a duplicate, and that is not an error.
        let again = try await run(["ingest", "--json"] + reportFiles + mailFiles)
        #expect(again.status == 0, "\(again.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(summary["new"] as? Int == 0 && summary["duplicate"] as? Int == all.count && summary["rejected"] as? Int == 0)
        #expect(summary["stopped_early"] is NSNull)
        #expect(try Self.jsonLines(try await run(["reports", "--json"]).stdout).count == distinct.count)

        // A path that does not exist is a usage error, and nothing is read.
        let missing = try await run(["ingest", reportFiles[0], dir.appendingPathComponent("nowhere").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nowhere: no such file or folder"))
    }

    /// A report JSON with one policy and the given failure details, its period starting `daysAgo` days back.
    static func report(organization: String, id: String, domain: String, successful: Int, daysAgo: Int = 1,
                       failures: [(type: String, mx: String, ip: String, count: Int)] = []) -> Data {
        let start = Date().addingTimeInterval(-Double(daysAgo) * 86_400)
        let iso = { (d: Date) in d.formatted(.iso8601) }
        let details = failures.map {
            #"{"result-type":"\#($0.type)","sending-mta-ip":"\#($0.ip)","receiving-mx-hostname":"\#($0.mx)","failed-session-count":\#($0.count)}"#
        }
        let failed = failures.reduce(0) { $0 + $1.count }
        return Data(#"""
        {"organization-name":"\#(organization)","date-range":{"start-datetime":"\#(iso(start))","end-datetime":"\#(iso(start.addingTimeInterval(86_399)))"},
         "contact-info":"tlsrpt@reporter.example","report-id":"\#(id)",
         "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: *.\#(domain)","max_age: 86400"],"policy-domain":"\#(domain)"},
                      "summary":{"total-successful-session-count":\#(successful),"total-failure-session-count":\#(failed)},
                      "failure-details":[\#(details.joined(separator: ","))]}]}
        """#.utf8)
    }

    static func mail(messageID: String, contentType: String, body: String) -> Data {
        Data([
            "From: noreply-tls@reporter.example", "To: tlsrpt@example.org", "Subject: Report Domain: example.org",
            "Date: Mon, 01 Jan 2024 12:00:00 +0000", "Message-ID: <\(messageID)>", "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=tlsrpt; boundary=\"sep\"", "", "--sep",
            "Content-Type: text/plain", "", "An aggregate TLS report.", "--sep",
            "Content-Type: \(contentType)", "Content-Disposition: attachment; filename=\"report.json.gz\"",
            "Content-Transfer-Encoding: base64", "", body, "--sep--", "",
        ].joined(separator: "\r\n").utf8)
    }

    @Test func hostileInputsAreNamedAndTheirGoodNeighboursStored() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let env = try environment(dir)
        func run(_ args: [String]) async throws -> CLI.Result {
            try await offPool { try CLI.run(args + ["--db", db], environment: env, timeout: 120) }
        }
        func write(_ name: String, _ data: Data) throws { try data.write(to: inbox.appendingPathComponent(name)) }

        let good = (1...3).map { Self.report(organization: "Good \($0)", id: "good-\($0)", domain: "example.org", successful: 10 * $0) }
        try write("good-1.json", good[0])
        try write("good-2.json.gz", try gzipped(good[1]))
        try write("good-3.eml", Self.mail(messageID: "good-3@reporter.example", contentType: "application/tlsrpt+gzip",
                                          body: try gzipped(good[2]).base64EncodedString(options: .lineLength76Characters)))
        let gz = try gzipped(Self.report(organization: "Cut", id: "cut-1", domain: "example.org", successful: 5))
        try write("truncated.json.gz", gz.prefix(gz.count / 2))
        try write("bomb.json.gz", try gzipped(Data(repeating: 0x20, count: 40 << 20)))
        try write("broken-base64.eml", Self.mail(messageID: "broken@reporter.example", contentType: "application/tlsrpt+gzip",
                                                 body: "H4sI%%%% this is !!! not base64 @@@@\r\n====****"))
        try write("not-json.json", Data("this is not JSON, only words {".utf8))
        // Valid JSON whose strings carry terminal escapes (CSI clear screen, OSC title, BEL).
        let escape = #"Evil\u001b[2J\u001b]0;owned\u0007Corp"#
        try write("escape.json", Self.report(organization: escape, id: #"esc\u001b[31m-1"#, domain: "example.org", successful: 1,
                                             failures: [(type: "certificate-expired", mx: #"mx\u001b[1m.example.org"#, ip: "192.0.2.1", count: 2)]))

        let result = try await run(["ingest", inbox.path])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        for name in ["truncated.json.gz", "bomb.json.gz", "broken-base64.eml", "not-json.json"] {
            #expect(result.stderr.contains(inbox.appendingPathComponent(name).path), "\(name) not named: \(result.stderr)")
        }
        for name in ["good-1.json", "good-2.json.gz", "good-3.eml", "escape.json"] {
            #expect(!result.stderr.contains(name), "\(name) was rejected: \(result.stderr)")
        }
        #expect(result.stdout == "read 8, new 4, duplicate 0, rejected 4\n")
        #expect(!result.stderr.contains("\u{1B}") && !result.stdout.contains("\u{1B}"))

        let rows = try Self.jsonLines(try await run(["reports", "--json"]).stdout)
        let organizations = Set(rows.compactMap { $0["organization"] as? String })
        #expect(organizations.isSuperset(of: ["Good 1", "Good 2", "Good 3"]), "\(organizations)")
        #expect(rows.count == 4)
        #expect(rows.map { $0["successful"] as? Int ?? -1 }.sorted() == [1, 10, 20, 30])
        for args in [["reports"], ["failures"], ["failures", "--by", "mx,reporter"], ["reports", "--json"]] {
            let out = try await run(args)
            #expect(out.status == 0)
            #expect(!out.stdout.contains("\u{1B}") && !out.stdout.contains("\u{7}"), "\(args): \(out.stdout.debugDescription)")
        }
        #expect(try await run(["reports"]).stdout.contains("Corp"))
        #expect(try await run(["failures", "--by", "reporter"]).stdout.contains("Corp"))
    }

    @Test func aReportedFailureMeetsItsLiveCause() async throws {
        let lab = try await sharedLab()
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let env = try environment(dir)
        func run(_ args: [String]) async throws -> CLI.Result {
            try await offPool { try CLI.run(args + ["--db", db], environment: env, timeout: 120) }
        }
        #expect(try await run(["add", "cert-expired.test", "good.test"]).status == 0)
        let poll = try await run(["poll", "--once"] + PollCLITests.probe(lab))
        #expect(poll.status == 0, "\(poll.stderr)")
        let mx = "mx1.cert-expired.test"
        let status = try await run(["status", "--json", "cert-expired.test"])
        #expect(status.stdout.contains("certificate-expired") && status.stdout.contains(mx), "\(status.stdout)")

        let file = dir.appendingPathComponent("from-a-sender.json")
        try Self.report(organization: "Sender Inc.", id: "live-1", domain: "cert-expired.test", successful: 40, failures: [
            (type: "certificate-expired", mx: mx, ip: "192.0.2.10", count: 7),
            (type: "starttls-not-supported", mx: mx, ip: "192.0.2.11", count: 3),
        ]).write(to: file)
        try Self.report(organization: "Sender Inc.", id: "live-2", domain: "good.test", successful: 5,
                        failures: [(type: "certificate-expired", mx: "mx1.good.test", ip: "192.0.2.12", count: 1)])
            .write(to: dir.appendingPathComponent("good.json"))
        let ingest = try await run(["ingest", file.path, dir.appendingPathComponent("good.json").path])
        #expect(ingest.status == 0, "\(ingest.stderr)")

        let groups = try Self.jsonLines(try await run(["failures", "--json", "--since", "7d"]).stdout)
        let expired = try #require(groups.first { $0["domain"] as? String == "cert-expired.test" && $0["result_type"] as? String == "certificate-expired" })
        let cause = try #require(expired["live_cause"] as? String, "no live cause: \(groups)")
        #expect(cause.contains("certificate-expired") && cause.contains(mx), "\(cause)")
        #expect(expired["sessions"] as? Int == 7 && expired["mx"] as? String == mx)
        // The same MX offers STARTTLS today, and good.test's certificate is fine: no cause for those.
        let starttls = try #require(groups.first { $0["result_type"] as? String == "starttls-not-supported" })
        #expect(starttls["live_cause"] is NSNull)
        let fine = try #require(groups.first { $0["domain"] as? String == "good.test" })
        #expect(fine["live_cause"] is NSNull)

        let text = try await run(["failures", "--domain", "cert-expired.test"])
        let lines = text.stdout.split(separator: "\n").map(String.init)
        let index = try #require(lines.firstIndex { $0.contains("certificate-expired") && $0.contains("7 failed sessions") }, "\(text.stdout)")
        #expect(lines.indices.contains(index + 1) && lines[index + 1].contains("live cause:") && lines[index + 1].contains("certificate-expired"))

        // The dashboard's 7-day figures come from the store's daily totals.
        let store = try Store(path: db, mode: .readOnly)
        let week = try store.dailyTotals(domain: "cert-expired.test", since: Date().addingTimeInterval(-7 * 86_400))
        #expect(week.reduce(0) { $0 + $1.successful } == 40 && week.reduce(0) { $0 + $1.failed } == 10)
    }

    @Test func imapThroughTheCommandReadsOnlyNewMail() async throws {
        let server = try await offPool { try Dovecot() }
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        var env = try environment(dir)
        let mails = Corpus.files("eml")
        for url in mails.prefix(2) { try server.deliver(try Data(contentsOf: url), name: url.lastPathComponent) }
        let url = "imaps://\(server.user)@\(server.address):\(server.port)/INBOX"
        func run(_ args: [String], _ env: [String: String]) async throws -> CLI.Result {
            try await offPool { try CLI.run(args + ["--db", db, "--ca-file", server.caFile], environment: env, timeout: 120) }
        }

        // No password anywhere: a usage error naming where it was looked for.
        let none = try await run(["ingest", "--imap", url], env)
        #expect(none.status == 2 && none.stderr.contains("STSWATCH_IMAP_PASSWORD"), "\(none.stderr)")

        env["STSWATCH_IMAP_PASSWORD"] = server.password
        let first = try await run(["ingest", "--imap", url], env)
        #expect(first.status == 0, "\(first.stderr)\n\(server.log)")
        #expect(first.stdout == "read 2, new 2, duplicate 0, rejected 0\n", "\(first.stdout)")
        let withPassword = env
        let rows = try Self.jsonLines(try await offPool { try CLI.run(["reports", "--json", "--db", db], environment: withPassword) }.stdout)
        #expect(rows.count == 2 && rows.allSatisfy { ($0["source"] as? String)?.hasPrefix("imaps://\(server.user)@") == true }, "\(rows)")

        let second = try await run(["ingest", "--imap", url], env)
        #expect(second.status == 0 && second.stdout == "read 0, new 0, duplicate 0, rejected 0\n", "\(second.stdout)\(second.stderr)")

        // A new message, the password from a file this time.
        try server.deliver(try Data(contentsOf: mails[2]), name: mails[2].lastPathComponent)
        let passwordFile = dir.appendingPathComponent("imap-password")
        try (server.password + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile.path, 0o600)
        var noEnv = env
        noEnv.removeValue(forKey: "STSWATCH_IMAP_PASSWORD")
        let third = try await run(["ingest", "--imap", url, "--password-file", passwordFile.path], noEnv)
        #expect(third.status == 0 && third.stdout.hasPrefix("read 1, "), "\(third.stdout)\(third.stderr)")

        // A wrong password: exit 2, and the password is never echoed.
        var wrong = env
        wrong["OTHER_PASSWORD"] = "not-the-password-\(UUID().uuidString)"
        let refused = try await run(["ingest", "--imap", url, "--password-env", "OTHER_PASSWORD"], wrong)
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(!refused.stderr.contains(wrong["OTHER_PASSWORD"]!) && !refused.stdout.contains(wrong["OTHER_PASSWORD"]!))
        // Nothing was marked seen by any of this.
        #expect(try server.flagLetters().allSatisfy { !$0.contains("S") })
    }

    @Test func pollOnceReadsTheConfiguredMaildirAndSurvivesAMissingSource() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let maildir = dir.appendingPathComponent("Maildir")
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let mails = Corpus.files("eml")
        for (index, url) in mails.enumerated() {
            try Data(contentsOf: url).write(to: maildir.appendingPathComponent("new/1700000000.\(index).test"))
        }
        try Data("not a mail at all".utf8).write(to: maildir.appendingPathComponent("cur/1700000001.junk.test:2,S"))
        let missing = dir.appendingPathComponent("not-there").path
        let config = dir.appendingPathComponent("stswatch.conf")
        try "version = 1\n[reports]\nmaildir = \(maildir.path)\npath = \(missing)\ninterval = 1h\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let env = ["STSWATCH_CONFIG": config.path, "XDG_DATA_HOME": dir.appendingPathComponent("data").path]
        let before = try String(contentsOf: maildir.appendingPathComponent("cur/1700000001.junk.test:2,S"), encoding: .utf8)
        func poll() async throws -> CLI.Result {
            try await offPool { try CLI.run(["poll", "--once", "--db", db, "--resolver", "127.0.0.1:9"], environment: env, timeout: 120) }
        }
        let reportsInMail = try Self.reportsInMail(mails.map(\.path))
        let distinct = Set(try reportsInMail.map { try Self.expected($0.report, source: $0.path).key }).count

        let first = try await poll()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("reports \(maildir.path): read \(mails.count + 1), new \(distinct), duplicate \(mails.count - distinct), rejected 1"),
                "\(first.stderr)")
        #expect(first.stderr.contains("ERROR") && first.stderr.contains("\(missing): no such file or folder") && first.stderr.contains("retrying"))
        #expect(first.stderr.contains("report rejected: \(maildir.path)/cur/1700000001.junk.test:2,S"), "\(first.stderr)")
        let rows = try Self.jsonLines(try await offPool { try CLI.run(["reports", "--json", "--db", db], environment: env) }.stdout)
        #expect(rows.count == distinct)

        let second = try await poll()
        #expect(second.status == 0)
        #expect(second.stderr.contains("reports \(maildir.path): read \(mails.count + 1), new 0, duplicate \(mails.count), rejected 1"), "\(second.stderr)")
        // The Maildir is only read: every file is where it was, unchanged.
        #expect(try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent("new").path).count == mails.count)
        #expect(try String(contentsOf: maildir.appendingPathComponent("cur/1700000001.junk.test:2,S"), encoding: .utf8) == before)

        // A password in an imap URL is refused, naming the file and line, before anything runs.
        try "version = 1\n[reports]\nimap = imaps://u:hunter2@mail.example/INBOX\n".write(to: config, atomically: true, encoding: .utf8)
        let refused = try await poll()
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("\(config.path):3:") && refused.stderr.contains("password does not belong in the URL"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("hunter2"))
    }
}
