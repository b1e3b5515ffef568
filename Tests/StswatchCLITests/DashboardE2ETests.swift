import Foundation
import STSCore
import STSDemo
import STSLab
import STSStore
import Testing

/// The real binary's dashboard in a real terminal (tmux), over a database the real poller
/// filled from the lab, as a user sees it: rows with statuses, a crit domain's detail, its
/// reported failures down to one report, the help, and `q` giving the terminal back.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DashboardE2ETests {
    static let domains = ["good.test", "cert-expired.test", "no-starttls.test", "mode-testing.test", "policy-404.test"]

    /// A tmux server of its own (`-L`), killed in `deinit`-like `close()`; every wait is bounded.
    final class Tmux: Sendable {
        let socket = "stswatch-test-\(getpid())-\(UInt32.random(in: 0..<1_000_000))"

        /// Runs one tmux command, bounded to 10 s, and returns what it printed.
        ///
        /// Through `ChildProcess.run`: `new-session` forks the server, which must not inherit another
        /// test's pipe, must start with no signal blocked (else it never exits), and keeps the
        /// client's output open, so the client's exit, not end of file, ends the wait.
        @discardableResult
        func run(_ arguments: [String]) throws -> String {
            try ChildProcess.run(["/usr/bin/tmux", "-L", socket, "-f", "/dev/null"] + arguments, timeout: 10).text
        }

        func screen() throws -> String { try run(["capture-pane", "-p", "-t", "main"]) }

        func keys(_ keys: String...) throws { try run(["send-keys", "-t", "main"] + keys) }

        /// Waits until the screen contains every text and none of `without`, or `seconds` pass;
        /// returns the last screen.
        func waitFor(_ texts: [String], without: [String] = [], seconds: Double = 30) async throws -> String {
            let end = Date().addingTimeInterval(seconds)
            var last = ""
            while Date() < end {
                last = try screen()
                if texts.allSatisfy(last.contains) && !without.contains(where: last.contains) { return last }
                try await Task.sleep(for: .milliseconds(150))
            }
            return last
        }

        func close() { _ = try? run(["kill-server"]) }

        /// Opens the session `main`: a shell of the given size whose environment is `env` overlaid by `terminal`.
        func startShell(env: [String: String], terminal: [String: String], width: Int, height: Int) throws {
            let shellEnv = env.merging(terminal) { _, new in new }.map { "\($0.key)='\($0.value)'" }.sorted().joined(separator: " ")
            try run(["new-session", "-d", "-s", "main", "-x", String(width), "-y", String(height), "env \(shellEnv) sh"])
        }
    }

    @Test func browseALabDatabaseAndQuit() async throws {
        let lab = try await sharedLab()
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("cache.sqlite").path
        let env = try PollCLITests.isolated(dir).merging(["XDG_STATE_HOME": dir.appendingPathComponent("state").path]) { _, new in new }
        func cli(_ args: [String]) async throws -> CLI.Result {
            try await offPool { try CLI.run(args + ["--db", db], environment: env, timeout: 120) }
        }
        #expect(try await cli(["add"] + Self.domains).status == 0)
        let poll = try await cli(["poll", "--once"] + PollCLITests.probe(lab))
        #expect(poll.status != 2, "\(poll.stderr)")
        // Reports as senders would send them about these scenarios.
        let store = try Store(path: db)
        let demo = Self.domains.compactMap { lab.scenario($0) }.map { s in
            DemoDomain(domain: s.domain, expectedCodes: s.expectCodes, mxHosts: s.mxHosts.map { (host: $0.host, address: $0.address) })
        }
        for raw in DemoReports.generate(for: demo, now: Date()) {
            _ = try store.insertReport(TLSReport.decode(raw), raw: raw, source: "e2e", message: nil)
        }

        let tmux = Tmux()
        defer { tmux.close() }
        try tmux.startShell(env: env, terminal: ["TERM": "xterm-256color", "TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"], width: 120, height: 40)
        let probe = PollCLITests.probe(lab).map { "'\($0)'" }.joined(separator: " ")
        try tmux.keys("exec 2>'\(dir.path)/stderr'; '\(CLI.binary.path)' --db '\(db)' \(probe); echo exited-$?", "Enter")

        // The list: every domain with its verdict, the embedded poller, the counts.
        var screen = try await tmux.waitFor(["cert-expired.test", "good.test", "poller: running"])
        #expect(screen.contains("Domains 1/5"), "\(screen)")
        // Rows, not the tab line (which names the selected domain).
        let rows = screen.split(separator: "\n").filter { !$0.contains("Domains") }
        #expect(rows.filter { $0.contains("cert-expired.test") || $0.contains("no-starttls.test") }.count == 2, "\(screen)")
        for line in rows where line.contains("cert-expired.test") || line.contains("no-starttls.test") {
            #expect(line.contains("CRIT"), "\(line)")
        }
        #expect(screen.split(separator: "\n").contains { $0.contains("good.test") && $0.contains("OK") }, "\(screen)")
        #expect(screen.split(separator: "\n").contains { $0.contains("mode-testing.test") && $0.contains("WARN") && $0.contains("testing") })

        // Filter to the crit domain, open its detail.
        try tmux.keys("/")
        try tmux.keys("-l", "cert-exp")
        try tmux.keys("Enter")
        screen = try await tmux.waitFor(["1/1 of 5"])
        #expect(screen.contains("1/1 of 5"), "\(screen)")
        try tmux.keys("Enter")
        screen = try await tmux.waitFor(["MTA-STS", "MX hosts", "certificate-expired"])
        #expect(screen.contains("Detail: cert-expired.test"), "\(screen)")
        #expect(screen.contains("certificate-expired") && screen.contains("CRIT"), "\(screen)")

        // Its reported failures: the group with the live cause, its reports, one report's raw JSON.
        try tmux.keys("Enter")
        screen = try await tmux.waitFor(["certificate-expired", "live cause"])
        #expect(screen.contains("live cause"), "\(screen)")
        #expect(screen.contains("Google Inc.") || screen.contains("Microsoft Corporation") || screen.contains("Yahoo Inc."), "\(screen)")
        try tmux.keys("Enter")
        screen = try await tmux.waitFor(["cert-expired.test", "-cert-expired.test"])
        #expect(screen.contains("-cert-expired.test"), "report ids listed: \(screen)")
        try tmux.keys("Enter")
        try tmux.keys("G")
        screen = try await tmux.waitFor(["\"report-id\" : \""])
        #expect(screen.contains("\"report-id\" : \""), "raw JSON at the end of the report: \(screen)")

        // Help, and any key closes it.
        try tmux.keys("?")
        screen = try await tmux.waitFor(["any key closes this help", "quit"])
        #expect(screen.contains("any key closes this help"), "\(screen)")
        try tmux.keys("x")
        // The report shows behind the help too: wait for the help to go, not only for the report.
        screen = try await tmux.waitFor(["\"report-id\" : \""], without: ["any key closes this help"])
        #expect(!screen.contains("any key closes this help"))

        // q quits: the shell is back, the alternate screen is off, the exit status 0.
        try tmux.keys("q")
        screen = try await tmux.waitFor(["exited-0"])
        #expect(screen.contains("exited-0"), "\(screen)\nstderr: \((try? String(contentsOfFile: dir.path + "/stderr", encoding: .utf8)) ?? "")")
        #expect(try tmux.run(["display-message", "-p", "-t", "main", "#{alternate_on}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(!screen.contains("poller: running"))
        // The embedded poller logged to the file, never the terminal.
        let log = try String(contentsOfFile: dir.appendingPathComponent("state/stswatch/dashboard.log").path, encoding: .utf8)
        #expect(log.contains("poller started"))
    }

    @Test func emptyDatabaseSaysHowToAddAndAddWorks() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("empty.sqlite").path
        let env = try PollCLITests.isolated(dir).merging(["XDG_STATE_HOME": dir.appendingPathComponent("state").path]) { _, new in new }
        let tmux = Tmux()
        defer { tmux.close() }
        try tmux.startShell(env: env, terminal: ["TERM": "xterm-256color", "TZ": "UTC", "LANG": "C.UTF-8"], width: 100, height: 30)
        try tmux.keys("'\(CLI.binary.path)' dashboard --no-poll --db '\(db)'; echo exited-$?", "Enter")
        var screen = try await tmux.waitFor(["Press a to add one", "poller: STOPPED"])
        #expect(screen.contains("No domains watched yet. Press a to add one."), "\(screen)")
        try tmux.keys("a")
        try tmux.keys("-l", "example.org")
        try tmux.keys("Enter")
        screen = try await tmux.waitFor(["added example.org", "example.org"])
        #expect(screen.contains("added example.org"), "\(screen)")
        try tmux.keys("q")
        screen = try await tmux.waitFor(["exited-0"])
        #expect(screen.contains("exited-0"), "\(screen)")
        let store = try Store(path: db, mode: .readOnly)
        #expect(try store.domains().map(\.name) == ["example.org"])
    }

    /// NO_COLOR on a vt100 with the C locale: readable without colour or UTF-8, a too-small terminal
    /// gets a message instead of garbage, and a resize back brings the rows again.
    @Test func monochromeASCIITooSmallAndResize() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("mono.sqlite").path
        let env = try PollCLITests.isolated(dir).merging(["XDG_STATE_HOME": dir.appendingPathComponent("state").path]) { _, new in new }
        let added = try await offPool { try CLI.run(["add", "example.org", "example.net", "--db", db], environment: env) }
        #expect(added.status == 0, "\(added.stderr)")
        let tmux = Tmux()
        defer { tmux.close() }
        try tmux.startShell(env: env, terminal: ["TERM": "vt100", "TZ": "UTC", "LANG": "C", "LC_ALL": "C", "NO_COLOR": "1"], width: 100, height: 30)
        try tmux.keys("'\(CLI.binary.path)' dashboard --no-poll --db '\(db)'; echo exited-$?", "Enter")
        var screen = try await tmux.waitFor(["example.org", "example.net", "poller: STOPPED"])
        #expect(screen.contains("example.net"), "\(screen)")
        // ASCII only: line drawing and badges fall back when the locale is not UTF-8.
        let nonASCII = screen.unicodeScalars.filter { !$0.isASCII }
        #expect(nonASCII.isEmpty, "non-ASCII on a C-locale screen: \(screen)")
        // No colour at all under NO_COLOR: capture with attributes and look for colour SGR codes.
        let styled = try tmux.run(["capture-pane", "-p", "-e", "-t", "main"])
        #expect(!styled.contains("38;5;") && !styled.contains("48;5;"), "256-colour codes under NO_COLOR")
        for code in 31...37 {
            #expect(!styled.contains("\u{1B}[\(code)m") && !styled.contains(";\(code)m"), "colour \(code) under NO_COLOR")
        }

        // Shrink below 80x24: a clear message, not a broken layout.
        try tmux.run(["resize-window", "-t", "main", "-x", "60", "-y", "15"])
        screen = try await tmux.waitFor(["needs a terminal of at least"])
        #expect(screen.contains("needs a terminal of at least 80x24"), "\(screen)")
        // And back: the list returns.
        try tmux.run(["resize-window", "-t", "main", "-x", "100", "-y", "30"])
        screen = try await tmux.waitFor(["example.org", "example.net"])
        #expect(!screen.contains("needs a terminal"), "\(screen)")
        #expect(screen.contains("example.org"), "\(screen)")
        try tmux.keys("q")
        screen = try await tmux.waitFor(["exited-0"])
        #expect(screen.contains("exited-0"), "\(screen)")
    }

    /// The README's main command without arguments on a machine with no domains: the offline demo
    /// (lab on 127.77, every scenario, generated reports) polled live by the embedded poller.
    @Test func demoStartsWithEveryScenario() async throws {
        let dir = try temporaryDirectory()
        let env = try PollCLITests.isolated(dir).merging(["XDG_STATE_HOME": dir.appendingPathComponent("state").path]) { _, new in new }
        let tmux = Tmux()
        defer { tmux.close() }
        try tmux.startShell(env: env, terminal: ["TERM": "xterm-256color", "TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"], width: 120, height: 40)
        try tmux.keys("exec 2>'\(dir.path)/stderr'; '\(CLI.binary.path)'; echo exited-$?", "Enter")
        // Every scenario of the demo's lab (the same world as the test lab), checked by the
        // embedded poller: crit rows appear at the top.
        let count = try await offPool { try Lab.shared.get() }.manifest.scenarios.count
        var screen = try await tmux.waitFor(["Domains 1/\(count)", "CRIT", "poller: running"], seconds: 90)
        #expect(screen.contains("Domains 1/\(count)"), "\(screen)\nstderr: \((try? String(contentsOfFile: dir.path + "/stderr", encoding: .utf8)) ?? "")")
        screen = try await tmux.waitFor(["crit", "ok"], seconds: 60)
        #expect(screen.split(separator: "\n").contains { $0.contains("CRIT") && $0.contains(".test") }, "\(screen)")
        try tmux.keys("q")
        screen = try await tmux.waitFor(["exited-0"], seconds: 30)
        #expect(screen.contains("exited-0"), "\(screen)")
    }

    /// Ctrl-C gives the terminal back as it was: normal screen, echo and canonical input restored.
    @Test func controlCRestoresTheTerminal() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("ctrlc.sqlite").path
        let env = try PollCLITests.isolated(dir).merging(["XDG_STATE_HOME": dir.appendingPathComponent("state").path]) { _, new in new }
        let tmux = Tmux()
        defer { tmux.close() }
        try tmux.startShell(env: env, terminal: ["TERM": "xterm-256color", "TZ": "UTC", "LANG": "C.UTF-8"], width: 100, height: 30)
        try tmux.keys("'\(CLI.binary.path)' dashboard --no-poll --db '\(db)'; echo exited-$?; stty -a | tr ' ' '\\n' | grep -x -e echo -e icanon | tr '\\n' ' '; echo tty-checked-$((40+2))", "Enter")
        var screen = try await tmux.waitFor(["Press a to add one"])
        #expect(try tmux.run(["display-message", "-p", "-t", "main", "#{alternate_on}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        try tmux.keys("C-c")
        screen = try await tmux.waitFor(["tty-checked-42"])
        #expect(screen.range(of: "exited-[0-9]", options: .regularExpression) != nil, "\(screen)")
        let modes = screen.split(separator: "\n").first { $0.hasSuffix("tty-checked-42") }.map { $0.split(separator: " ").map(String.init) } ?? []
        #expect(modes.contains("echo") && modes.contains("icanon"), "echo and canonical mode restored: \(screen)")
        #expect(try tmux.run(["display-message", "-p", "-t", "main", "#{alternate_on}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
