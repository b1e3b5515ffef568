import Foundation
import STSCore
import STSLab
import Testing

/// Findings of the hardening review, checked on the real binary.
@Suite(.timeLimit(.minutes(3)))
struct HardeningCLITests {
    // MARK: durations

    /// The option, then the value (the last two arguments); `--db` is added where the command has it.
    @Test(arguments: [
        ["events", "--since", "9223372036854775807w"],
        ["reports", "--since", "15250284452471w"],
        ["failures", "--since", "99999999999999999999"],
        ["poll", "--once", "--interval", "9223372036854775807w"],
        ["check", "example.com", "--timeout", "9223372036854775807w"],
    ])
    func hugeDurationsOnTheCommandLineAreUsageErrors(args: [String]) throws {
        let dir = try temporaryDirectory()
        let db = args[0] == "check" ? [] : ["--db", dir.appendingPathComponent("c.sqlite").path]
        let r = try CLI.run(args + db, environment: try PollCLITests.isolated(dir))
        #expect(r.status == 64, "\(args): status \(r.status), \(r.stderr)")
        #expect(r.stderr.contains("\(args[args.count - 2]) must be at most 3650d (10 years)"), "\(r.stderr)")
    }

    @Test func aHugeDurationInTheConfigFileNamesFileAndLine() throws {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("huge.conf")
        try "version = 1\n[poll]\ninterval = 9223372036854775807w\n".write(to: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["poll", "--once", "--db", dir.appendingPathComponent("c.sqlite").path],
                            environment: ["STSWATCH_CONFIG": config.path, "XDG_DATA_HOME": dir.path])
        #expect(r.status == 2, "status \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("\(config.path):3"), "\(r.stderr)")
        #expect(r.stderr.contains("interval must be at most 3650d (10 years)"), "\(r.stderr)")
    }

    // MARK: one rule for JSON, sanitised and clipped text

    /// A report whose fields carry C1 controls, bidi overrides, zero-width and tag characters, and one huge field.
    static let hostileOrganization = "Evil\u{9B}31m\u{202E}Corp\u{200B}\u{AD}\u{E0041}\u{7F}"
    static let longReportID = String(repeating: "r", count: 5_000)

    static func hostileReport() throws -> Data {
        let object: [String: Any] = [
            "organization-name": hostileOrganization,
            "report-id": longReportID,
            "date-range": ["start-datetime": "2024-01-01T00:00:00Z", "end-datetime": "2024-01-01T23:59:59Z"],
            "policies": [[
                "policy": ["policy-type": "sts", "policy-domain": "example.org"],
                "summary": ["total-successful-session-count": 1, "total-failure-session-count": 2],
                "failure-details": [["result-type": "certificate-expired", "receiving-mx-hostname": "mx\u{200B}.example.org",
                                     "failed-session-count": 2]],
            ]],
        ]
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test func jsonIsExactAndInertTextIsSanitisedAndClipped() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("c.sqlite").path
        let env = try PollCLITests.isolated(dir)
        let file = dir.appendingPathComponent("hostile.json")
        try Self.hostileReport().write(to: file)
        #expect(try CLI.run(["ingest", file.path, "--db", db], environment: env).status == 0)

        func isInert(_ text: String) -> Bool {
            !text.unicodeScalars.contains { $0.isControlOrInvisible && $0 != "\n" }
        }
        // Every command's JSON: the value exactly as received, nothing a terminal would obey.
        var organizations: [String] = []
        for args in [["reports", "--json", "--db", db], ["failures", "--by", "reporter", "--json", "--db", db],
                     ["lint", "report", file.path, "--json"]] {
            let r = try CLI.run(args, environment: env)
            #expect(isInert(r.stdout), "\(args): \(r.stdout.debugDescription)")
            let line = try #require(try PollCLITests.jsonLines(r.stdout).first, "\(args)")
            let organization = line["organization"] as? String ?? line["reporter"] as? String
                ?? (line["report"] as? [String: Any])?["organization-name"] as? String
            organizations.append(organization ?? "(missing in \(args))")
        }
        #expect(organizations == Array(repeating: Self.hostileOrganization, count: 3), "\(organizations.map(\.debugDescription))")
        let reportsJSON = try #require(try PollCLITests.jsonLines(try CLI.run(["reports", "--json", "--db", db], environment: env).stdout).first)
        #expect(reportsJSON["report_id"] as? String == Self.longReportID, "JSON is never clipped")

        // Text: sanitised, and a 5,000-character field clipped with an ellipsis.
        for args in [["reports", "--db", db], ["failures", "--by", "reporter,mx", "--db", db]] {
            let r = try CLI.run(args, environment: env)
            #expect(r.status == 0 && isInert(r.stdout), "\(args): \(r.stdout.debugDescription)")
            #expect(r.stdout.contains("EvilCorp"), "\(args): \(r.stdout)")
        }
        let text = try CLI.run(["reports", "--db", db], environment: env).stdout
        #expect(text.contains(String(repeating: "r", count: 199) + "…") && !text.contains(String(repeating: "r", count: 200)), "\(text.prefix(400))")
    }

    // MARK: metrics --output

    @Test func metricsOutputLeavesOnlyTheTarget() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("c.sqlite").path
        let env = try PollCLITests.isolated(dir)
        #expect(try CLI.run(["add", "example.com", "--db", db], environment: env).status == 0)
        let out = dir.appendingPathComponent("prom")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try CLI.run(["metrics", "--db", db, "--output", out.appendingPathComponent("stswatch.prom").path], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["stswatch.prom"])
        #expect(try String(contentsOf: out.appendingPathComponent("stswatch.prom"), encoding: .utf8).contains("stswatch_"))
    }

    // MARK: the cache's modes

    @Test func theCacheIsPrivate() throws {
        let dir = try temporaryDirectory()
        let data = dir.appendingPathComponent("data")
        let env = ["STSWATCH_CONFIG": try PollCLITests.isolated(dir)["STSWATCH_CONFIG"]!, "XDG_DATA_HOME": data.path]
        #expect(try CLI.run(["add", "example.com"], environment: env).status == 0)
        func mode(_ url: URL) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int ?? -1) & 0o777
        }
        let folder = data.appendingPathComponent("stswatch")
        #expect(try mode(folder) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.contains { $0.hasSuffix(".sqlite") }, "\(files)")
        for name in files { #expect(try mode(folder.appendingPathComponent(name)) == 0o600, "\(name)") }
    }
}

/// The demo runs the lab as root: only the lab installed beside the executable, never one from the
/// working directory or the environment.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DemoLabLocationTests {
    /// A copy of the binary in `ROOT/bin`, a working directory holding `lab/stswatch-lab`, and
    /// `STSWATCH_LAB` naming another script; each script leaves a marker file when run.
    struct Setup {
        let root: URL
        let binary: URL
        let cwd: URL
        let environment: [String: String]
        func marker(_ name: String) -> URL { root.appendingPathComponent("ran-\(name)") }
        func ran(_ name: String) -> Bool { FileManager.default.fileExists(atPath: marker(name).path) }

        func script(at url: URL, marker name: String, mode: Int = 0o755) throws {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try "#!/bin/sh\ntouch '\(marker(name).path)'\nexit 3\n".write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        }

        init() throws {
            root = try temporaryDirectory()
            // temporaryDirectory() makes 0755 folders owned by us: trusted ancestors, as an install would have.
            let bin = root.appendingPathComponent("bin")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            binary = bin.appendingPathComponent("stswatch")
            try FileManager.default.copyItem(at: CLI.binary, to: binary)
            cwd = root.appendingPathComponent("work")
            let home = root.appendingPathComponent("home")
            var env = ["HOME": home.path, "XDG_DATA_HOME": home.appendingPathComponent("data").path,
                       "XDG_STATE_HOME": home.appendingPathComponent("state").path,
                       "XDG_CONFIG_HOME": home.appendingPathComponent("config").path]
            env["STSWATCH_LAB"] = root.appendingPathComponent("env-lab").path
            environment = env
            try script(at: cwd.appendingPathComponent("lab/stswatch-lab"), marker: "cwd")
            try script(at: root.appendingPathComponent("env-lab"), marker: "env")
        }

        func run(_ args: [String]) throws -> CLI.Result {
            try CLI.run(args, environment: environment, timeout: 60, executable: binary, directory: cwd)
        }
    }

    @Test func neverTheWorkingDirectoryOrTheEnvironment() throws {
        let s = try Setup()
        guard geteuid() == 0 else { return }  // Without root the demo stops before looking for a lab.
        let r = try s.run(["--demo"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(!s.ran("cwd") && !s.ran("env"), "ran a lab from the working directory or STSWATCH_LAB: \(r.stderr)")
        #expect(r.stderr.contains("no lab installed beside \(s.binary.path)"), "\(r.stderr)")
        #expect(r.stderr.contains(s.root.appendingPathComponent("share/stswatch/lab/stswatch-lab").path), "\(r.stderr)")
        // Without --demo and with no domains, no demo either: the dashboard opens (and, with no terminal, says so).
        let plain = try s.run([])
        #expect(!s.ran("cwd") && !s.ran("env"))
        #expect(!plain.stderr.contains("demo"), "\(plain.stderr)")
    }

    /// The README's promise: the binary a SwiftPM build made finds the lab of its own source tree.
    @Test func theBuiltBinaryFindsItsSourceTree() throws {
        let built = CLI.binary.resolvingSymlinksInPath().path
        let found = try Lab.installedScript(executable: built).get()
        let sourceTree = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        #expect(found == sourceTree.appendingPathComponent("lab/stswatch-lab").path)
    }

    @Test func theLabInstalledBesideTheBinaryRunsWhenTrusted() throws {
        let s = try Setup()
        guard geteuid() == 0 else { return }
        let installed = s.root.appendingPathComponent("share/stswatch/lab/stswatch-lab")
        // Writable by others: refused, and said why.
        try s.script(at: installed, marker: "installed", mode: 0o777)
        let refused = try s.run(["--demo"])
        #expect(refused.status == 2 && !s.ran("installed"), "\(refused.stderr)")
        #expect(refused.stderr.contains("writable by group or others"), "\(refused.stderr)")
        // Owned and writable only by the binary's owner: found and run (it exits at once, so the demo stops).
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: installed.path)
        let r = try s.run(["--demo"])
        #expect(s.ran("installed"), "\(r.stderr)")
        #expect(r.status == 2 && r.stderr.contains("cannot start the demo lab"), "\(r.stderr)")
        #expect(!s.ran("cwd") && !s.ran("env"))
    }
}
