import Testing
@testable import STSCore

@Suite struct ConfigFileTests {
    @Test func readsSectionsAndKeys() throws {
        let text = """
            # stswatch
            version = 1
            [check]
            resolver = 127.0.0.1:5353
            concurrency = 32
            timeout = "45s"
            [reports]
            maildir = /var/mail/a
            maildir = /var/mail/b
            """
        let config = try ConfigFile.parse(text, file: "stswatch.conf")
        #expect(config.value("check", "resolver")?.value == "127.0.0.1:5353")
        #expect(try config.integer("check", "concurrency", file: "f", in: 1...1000) == 32)
        #expect(try config.duration("check", "timeout", file: "f") == .seconds(45))
        #expect(config.values("reports", "maildir").map(\.value) == ["/var/mail/a", "/var/mail/b"])
        #expect(config.warnings.isEmpty)
    }

    @Test func unknownKeysWarnWithFileAndLine() throws {
        let config = try ConfigFile.parse("version = 1\n[check]\nresolvr = 1.2.3.4\n[colours]\nx = 1\n", file: "/etc/stswatch.conf")
        #expect(config.warnings == [
            "/etc/stswatch.conf:3: unknown key \"resolvr\" in [check] is ignored",
            "/etc/stswatch.conf:4: unknown section [colours] is ignored",
        ])
        #expect(config.value("check", "resolvr") == nil)
    }

    @Test func missingVersionWarns() throws {
        let config = try ConfigFile.parse("[check]\nconcurrency = 4\n", file: "c")
        #expect(config.warnings.count == 1)
    }

    @Test(arguments: [
        ("version = 2\n", 1, "newer"),
        ("version = x\n", 1, "number"),
        ("version = 1\n[check\n", 2, "closing"),
        ("version = 1\njust words\n", 2, "key = value"),
    ])
    func errorsNameTheLine(text: String, line: Int, fragment: String) {
        do {
            _ = try ConfigFile.parse(text, file: "c")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains(fragment))
        }
    }

    @Test func badValuesNameTheLine() throws {
        let config = try ConfigFile.parse("version = 1\n[check]\nconcurrency = lots\n", file: "c")
        #expect(throws: ConfigFile.ParseError(file: "c", line: 3, message: "concurrency must be a whole number from 1 to 10, not \"lots\"")) {
            try config.integer("check", "concurrency", file: "c", in: 1...10)
        }
    }

    @Test(arguments: [("30", 30), ("30s", 30), ("15m", 900), ("2h", 7200), ("7d", 604_800), ("1w", 604_800), ("15M", 900)])
    func durations(text: String, seconds: Int) {
        #expect(DurationText.parse(text) == .seconds(seconds))
    }

    @Test(arguments: ["", "m", "-5m", "5x", "1.5h"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    /// Huge durations are a clear error, never an arithmetic trap.
    @Test(arguments: ["9223372036854775807w", "99999999999999999999", "15250284452471w", "3651d", "315360001", "99999999999999d"])
    func hugeDurations(text: String) {
        #expect(throws: DurationText.Problem.tooLong(text)) { try DurationText.parseChecked(text) }
        #expect(DurationText.parse(text) == nil)
    }

    @Test func longestDuration() throws {
        #expect(try DurationText.parseChecked("3650d") == .seconds(315_360_000))
        #expect(try DurationText.parseChecked("521w") == .seconds(315_100_800))
    }

    @Test func hugeDurationInAFileNamesTheLine() throws {
        let config = try ConfigFile.parse("version = 1\n[poll]\ninterval = 9223372036854775807w\n", file: "c")
        #expect(throws: ConfigFile.ParseError(file: "c", line: 3, message: "interval must be at most 3650d (10 years), not \"9223372036854775807w\"")) {
            try config.duration("poll", "interval", file: "c")
        }
    }

    @Test(arguments: [(5, "5s"), (75, "1m 15s"), (3_600, "1h"), (3_700, "1h 1m"), (90_000, "1d 1h"), (700, "11m")])
    func formatting(seconds: Int, text: String) {
        #expect(DurationText.format(seconds: seconds) == text)
    }
}
