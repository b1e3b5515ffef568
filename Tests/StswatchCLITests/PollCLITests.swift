import Foundation
import STSLab
import STSStore
import Testing

/// The cache commands and `poll` as the real binary, against the real lab and real SQLite files.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PollCLITests {
    static let domains = ["good.test", "no-sts.test", "policy-404.test", "no-starttls.test", "dns-error.test", "mode-testing.test"]

    /// Probe options aimed at the lab, with short timeouts.
    static func probe(_ lab: Lab, trustLab: Bool = true) -> [String] {
        ["--resolver", lab.manifest.resolver, "--allow-addresses", lab.manifest.allowAddresses.joined(separator: ","), "--timeout", "4s", "--connect-timeout", "3s", "--deadline", "30s"]
            + (trustLab ? ["--ca-file", lab.manifest.caFile] : [])
    }

    /// A configuration file that sets nothing, so the machine's own file never leaks into a test.
    static func isolated(_ dir: URL) throws -> [String: String] {
        let config = dir.appendingPathComponent("stswatch.conf")
        try "version = 1\n".write(to: config, atomically: true, encoding: .utf8)
        return ["STSWATCH_CONFIG": config.path, "XDG_DATA_HOME": dir.appendingPathComponent("data").path]
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    @Test func pollOnceThenStatusEventsAndMetrics() async throws {
        let lab = try await sharedLab()
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let env = try Self.isolated(dir)
        func run(_ args: [String], timeout: TimeInterval = 120) async throws -> CLI.Result {
            try await offPool { try CLI.run(args + ["--db", db], environment: env, timeout: timeout) }
        }

        // Nothing yet: status says unknown (3) and names the missing database.
        let empty = try await run(["status"])
        #expect(empty.status == 3)
        #expect(empty.stderr.contains(db))

        let added = try await run(["add"] + Self.domains + ["bücher.test"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("xn--bcher-kva.test: added"))
        let bad = try await run(["add", "ok.test", "not a domain"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("not a domain"))
        #expect(try await run(["remove", "xn--bcher-kva.test"]).status == 0)
        let domains = try Self.jsonLines(try await run(["domains", "--json"]).stdout)
        #expect(domains.compactMap { $0["domain"] as? String } == Self.domains.sorted())

        // Before any check: every domain unknown.
        let before = try await run(["status", "--json"])
        #expect(before.status == 3)
        #expect(try Self.jsonLines(before.stdout).allSatisfy { $0["status"] as? String == "unknown" && $0["checked_at"] is NSNull })

        let poll = try await run(["poll", "--once"] + Self.probe(lab))
        #expect(poll.status == 0, "\(poll.stderr)")
        #expect(poll.stderr.contains("round: \(Self.domains.count) domains"), "\(poll.stderr)")

        let status = try await run(["status", "--json"])
        let states = try Self.jsonLines(status.stdout)
        #expect(states.count == Self.domains.count)
        for state in states {
            let domain = try #require(state["domain"] as? String)
            let expected = try #require(lab.scenario(domain))
            #expect(state["status"] as? String == expected.expectStatus, "\(domain)")
            let checkedAt = try #require(state["checked_at"] as? String)
            #expect(checkedAt.hasSuffix("Z") && checkedAt.contains("T"), "checked_at \(checkedAt) is not ISO-8601")
        }
        // status --json prints the stored JSON rewritten, not re-encoded: byte for byte what encoding
        // each stored assessment as `check --json` does (sorted keys, ISO 8601 dates) gives.
        let cache = try Store(path: db, mode: .readOnly)
        let stored = try cache.currentAssessments()
        #expect(stored.count == Self.domains.count)
        let contract = JSONEncoder()
        contract.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        contract.dateEncodingStrategy = .iso8601
        let expectedLines = try stored.map { String(decoding: try contract.encode($0.assessment), as: UTF8.self) }
        #expect(status.stdout == expectedLines.joined(separator: "\n") + "\n")
        // Named domains come in the order given, the same bytes.
        let named = try await run(["status", "--json", "no-sts.test", "good.test"])
        #expect(named.stdout.split(separator: "\n").map(String.init)
                == ["no-sts.test", "good.test"].map { name in expectedLines[stored.firstIndex { $0.assessment.domain == name }!] })
        // The rewriting knows every date key of an assessment: these lab checks carry all of them.
        let marker = JSONEncoder()
        marker.dateEncodingStrategy = .custom { _, encoder in
            var c = encoder.singleValueContainer()
            try c.encode("date-marker")
        }
        var dateKeys = Set<String>()
        func collect(_ value: Any, key: String?) {
            if let dict = value as? [String: Any] { dict.forEach { collect($0.value, key: $0.key) } }
            if let array = value as? [Any] { array.forEach { collect($0, key: key) } }
            if let text = value as? String, text == "date-marker", let key { dateKeys.insert(key) }
        }
        for state in stored { collect(try JSONSerialization.jsonObject(with: try marker.encode(state.assessment)), key: nil) }
        // `stale_since` appears only while an MX rate-limits us; the others in every lab check.
        #expect(dateKeys.isSuperset(of: ["checked_at", "not_before", "not_after", "probed_at"]))
        #expect(dateKeys.isSubset(of: ["checked_at", "not_before", "not_after", "probed_at", "stale_since"]),
                "AssessmentJSON.dateKeys must list every date key")

        // policy-404.test is crit, which outranks dns-error.test's unknown: exit 2. One domain alone exits with its own status.
        #expect(status.status == 2)
        #expect(try await run(["status", "dns-error.test", "mode-testing.test"]).status == 3)
        #expect(try await run(["status", "good.test"]).status == 0)
        #expect(try await run(["status", "mode-testing.test"]).status == 1)
        let crit = try await run(["status", "good.test", "policy-404.test"])
        #expect(crit.status == 2)
        #expect(crit.stdout.contains("good.test  OK"))
        #expect(crit.stdout.contains("Checked   "))
        let unknownName = try await run(["status", "nowhere.test"])
        #expect(unknownName.status == 3)
        #expect(unknownName.stderr.contains("nowhere.test"))

        // Metrics: valid exposition text with the expected series.
        let metrics = try await run(["metrics"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        let sample = try Regex(#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? -?[0-9.e+-]+$"#)
        for line in metrics.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.wholeMatch(of: sample) != nil, "not exposition format: \(line)")
        }
        let metricLines = Set(metrics.stdout.split(separator: "\n").map(String.init))
        #expect(metricLines.contains(#"stswatch_domain_status{domain="good.test",status="ok"} 1"#))
        #expect(metricLines.contains(#"stswatch_domain_status{domain="policy-404.test",status="crit"} 1"#))
        #expect(metricLines.contains(#"stswatch_consecutive_failures{domain="dns-error.test"} 1"#))
        #expect(metricLines.contains { $0.hasPrefix(#"stswatch_mx_certificate_expiry_days{domain="good.test",mx="mx1.good.test"} "#) })
        #expect(metricLines.contains { $0.hasPrefix(#"stswatch_last_success_age_seconds{domain="good.test"} "#) })
        let file = dir.appendingPathComponent("stswatch.prom").path
        #expect(try await run(["metrics", "--output", file]).status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("# TYPE stswatch_domain_status gauge"))

        // A real change: the same servers seen with the system trust store, where the lab CA is unknown.
        #expect(try await run(["events"]).stdout.isEmpty)
        #expect(try await run(["recheck", "--all"]).status == 0)
        let second = try await run(["poll", "--once"] + Self.probe(lab, trustLab: false))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try await run(["status", "good.test"]).status == 2)
        let events = try Self.jsonLines(try await run(["events", "--json", "--domain", "good.test", "--since", "1h"]).stdout)
        #expect(events.contains { $0["kind"] as? String == "status-changed" && $0["message"] as? String == "status ok → crit" })
        let text = try await run(["events"])
        #expect(text.stdout.contains("good.test  status-changed [good.test] status ok → crit"), "\(text.stdout)")
    }

    @Test func theConfigFileSetsTheScheduleAndTheDatabase() async throws {
        let lab = try await sharedLab()
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("from-config.sqlite").path
        let config = dir.appendingPathComponent("stswatch.conf")
        try "version = 1\n[poll]\ninterval = 2h\njitter = 0%\n[store]\ndb = \(db)\n".write(to: config, atomically: true, encoding: .utf8)
        let env = ["STSWATCH_CONFIG": config.path, "XDG_DATA_HOME": dir.appendingPathComponent("data").path]
        func run(_ args: [String]) async throws -> CLI.Result {
            try await offPool { try CLI.run(args, environment: env, timeout: 60) }
        }
        #expect(try await run(["add", "good.test"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: db), "[store] db was not used")
        let started = Date()
        #expect(try await run(["poll", "--once"] + Self.probe(lab)).status == 0)
        let line = try #require(try Self.jsonLines(try await run(["domains", "--json"]).stdout).first)
        let next = try #require((line["next_due_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
        // Two hours, no jitter (whole seconds in the JSON).
        #expect(abs(next.timeIntervalSince(started) - 7_200) < 60, "next due \(next), started \(started)")

        try "version = 1\n[poll]\njitter = 90%\n".write(to: config, atomically: true, encoding: .utf8)
        let bad = try await run(["poll", "--once", "--db", db] + Self.probe(lab))
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(config.path):3: jitter must be"), "\(bad.stderr)")
    }

    @Test func aSecondPollerRefusesNamingTheFirstAndRecheckIsPickedUp() async throws {
        let lab = try await sharedLab()
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let env = try Self.isolated(dir)
        func run(_ args: [String]) async throws -> CLI.Result {
            try await offPool { try CLI.run(args + ["--db", db], environment: env, timeout: 60) }
        }
        #expect(try await run(["add", "good.test", "no-sts.test"]).status == 0)
        let log = dir.appendingPathComponent("poll.log").path
        let poller = try Background(["poll", "--db", db, "--log-file", log] + Self.probe(lab), environment: env)
        defer { poller.kill() }

        func checkedAt(_ domain: String) async throws -> String? {
            let lines = try Self.jsonLines(try await run(["status", "--json", domain]).stdout)
            return lines.first?["checked_at"] as? String
        }
        let firstRound = try await eventually(within: 60) {
            let good = try await checkedAt("good.test"), noSTS = try await checkedAt("no-sts.test")
            return good != nil && noSTS != nil
        }
        #expect(firstRound, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

        let second = try await run(["poll", "--once"] + Self.probe(lab))
        #expect(second.status == 2)
        #expect(second.stderr.contains("pid \(poller.pid)"), "\(second.stderr)")

        let before = try #require(try await checkedAt("good.test"))
        let noStsBefore = try await checkedAt("no-sts.test")
        // checked_at has one-second resolution: make sure a new check is a new second.
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await run(["recheck", "good.test"]).status == 0)
        let picked = try await eventually(within: 30) { try await checkedAt("good.test").map { $0 > before } ?? false }
        #expect(picked, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(try await checkedAt("no-sts.test") == noStsBefore)

        // SIGTERM: the poller finishes, releases the lock and exits 0.
        let status = try await offPool { try poller.terminate(timeout: 30) }
        #expect(status == 0)
        let logText = try String(contentsOfFile: log, encoding: .utf8)
        #expect(logText.contains("re-check requested: good.test"))
        #expect(logText.contains("poller stopped"))
        #expect(try await run(["poll", "--once"] + Self.probe(lab)).status == 0)
    }

    @Test func sigkillMidRoundLeavesASoundFileAndTheNextPollerFinishes() async throws {
        let lab = try await sharedLab()
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let env = try Self.isolated(dir)
        let all = lab.manifest.scenarios.map(\.domain)
        #expect(all.count >= 30)
        let added = try await offPool { try CLI.run(["add"] + all + ["--db", db], environment: env) }
        #expect(added.status == 0)

        // Two at a time, with slow scenarios (never-greets, policy-timeout) in the list: the round takes a while.
        let poller = try Background(["poll", "--db", db, "--concurrency", "2"] + Self.probe(lab), environment: env)
        let store = try Store(path: db, mode: .readOnly)
        let midRound = try await eventually(within: 90) { try store.currentAssessments().count >= 4 }
        #expect(midRound)
        poller.kill()
        let recorded = try store.currentAssessments().count
        #expect(recorded < all.count, "the round finished before the kill; the test proves nothing")
        #expect(try store.integrityProblems().isEmpty)

        // The kernel dropped the lock with the process: a new poller takes it and checks what is left.
        let next = try await offPool {
            try CLI.run(["poll", "--once", "--db", db, "--concurrency", "16"] + Self.probe(lab), environment: env, timeout: 180)
        }
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try store.currentAssessments().count == all.count)
        #expect(try store.integrityProblems().isEmpty)
    }
}

/// The process's shared lab, started off the cooperative pool.
func sharedLab() async throws -> Lab {
    try await offPool { try Lab.shared.get() }
}

/// Runs blocking work on a thread of its own, so the cooperative pool is never held up.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Polls `condition` every 200 ms until it holds or `seconds` pass.
func eventually(within seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return try await condition()
}

func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// The binary running in the background (the foreground poller), output to /dev/null.
///
/// A `ChildProcess`: a poller lives for a whole test, so it must not inherit a pipe another test
/// is reading to its end, and must start with SIGTERM unblocked.
final class Background: Sendable {
    private let process: ChildProcess
    var pid: Int32 { process.pid }

    init(_ arguments: [String], environment: [String: String]) throws {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process = try ChildProcess([CLI.binary.path] + arguments, environment: env)
    }

    /// SIGTERM, then waits (bounded) and returns the exit status.
    func terminate(timeout: TimeInterval) throws -> Int32 {
        process.signal(SIGTERM)
        guard let status = process.wait(timeout: timeout) else {
            kill()
            throw BackgroundError.didNotExit(pid)
        }
        return status.code
    }

    /// SIGKILL, and reap.
    func kill() { process.kill() }

    enum BackgroundError: Error { case didNotExit(Int32) }
}
