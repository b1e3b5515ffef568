import Foundation
import Testing
@testable import STSCore
@testable import STSDashboard

/// Tiny terminals and hostile text: the screen never crashes and never carries control characters.
@Suite struct RobustnessTests {
    static let tinySizes = [(0, 0), (1, 1), (20, 5), (80, 1), (1, 80), (79, 23), (80, 24)]

    /// Every pane and mode, reached by keys, at a size.
    static func everyScreen(width: Int, height: Int) throws -> [DashboardState] {
        let reports = try Fixtures.reports()
        let source = MemorySource(reports: reports, groups: Fixtures.groups(from: reports))
        let scripts: [[Key]] = [[], [.enter], ["G"], [.tab, .tab], [.tab, .tab, .enter], [.tab, .tab, .enter, .enter],
                                [.tab, .tab, .enter, .enter, "G"], ["?"], ["a", "x"], ["d"], ["/", "q"]]
        return scripts.map { keys in
            var s = Fixtures.state(width: width, height: height)
            if keys.first == .tab { s.selectedDomain = nil }
            for k in keys { Dashboard.handle(.key(k), state: &s, source: source) }
            return s
        }
    }

    @Test(arguments: tinySizes)
    func tinyTerminalsNeverCrash(width: Int, height: Int) throws {
        for state in try Self.everyScreen(width: width, height: height) {
            let grid = DashboardView.render(state, glyphs: .unicode)
            #expect(grid.width == width && grid.height == height)
            #expect(grid.cells.count == width * height)
        }
    }

    @Test func resizingDownAndUpThroughTinySizes() throws {
        var state = Fixtures.state()
        for (w, h) in [(0, 0), (1, 1), (20, 5), (80, 24), (0, 0), (120, 40)] {
            _ = Dashboard.reduce(&state, .resize(width: w, height: h))
            _ = Dashboard.reduce(&state, .key("j"))
            _ = DashboardView.render(state, glyphs: .unicode)
        }
        #expect(state.width == 120)
    }

    static let hostile = [
        "\u{1B}]0;pwned\u{07}Evil Corp",
        "\u{1B}[2J\u{1B}[31mred\u{1B}[0m",
        "abc\u{202E}moc.elpmaxe\u{202C}",
        "tab\there\r\nnew\u{0}null\u{7F}del\u{9B}31mcsi",
        "\u{2066}isolate\u{2069}\u{200F}rlm",
        "\u{1B}P1;2qsixel\u{1B}\\after",
    ]

    @Test func hostileReportFieldsNeverReachTheGrid() throws {
        let text = Self.hostile.joined(separator: " ")
        let detail = TLSReport.FailureDetail(resultType: .other(Self.hostile[1]), sendingMTAIP: Self.hostile[0],
                                             receivingMXHostname: Self.hostile[2], receivingMXHelo: Self.hostile[3],
                                             receivingIP: Self.hostile[4], failedSessionCount: 3,
                                             additionalInformation: text, failureReasonCode: Self.hostile[5])
        let report = TLSReport(organizationName: Self.hostile[0], dateRange: nil, contactInfo: Self.hostile[2],
                               reportID: Self.hostile[3],
                               policies: [.init(policy: .init(policyType: .other(Self.hostile[1]), policyString: Self.hostile,
                                                              policyDomain: Self.hostile[2], mxHost: Self.hostile),
                                                summary: .init(totalSuccessfulSessionCount: 1, totalFailureSessionCount: 3),
                                                failureDetails: [detail])])
        let full = FullReport(id: "evil", report: report, rawJSON: text, source: Self.hostile[4], mailSubject: Self.hostile[5])
        let group = FailureGroup(id: "g", domain: Self.hostile[2], reporter: Self.hostile[0], resultType: Self.hostile[1],
                                 receivingMX: Self.hostile[3], sendingIP: Self.hostile[4], sessions: 3, reportIDs: ["evil"],
                                 liveCause: text)
        var rows = Fixtures.rows()
        rows[0].domain = Self.hostile[2]
        rows[1].events.append(DomainEvent(domain: "x", at: Fixtures.now, kind: .statusChanged, subject: Self.hostile[0], message: text, severity: .crit))
        rows[1].assessment?.findings.append(Finding(code: .reportOddity, severity: .warn, subject: Self.hostile[3], message: text))
        let source = MemorySource(rows: rows, reports: [full], groups: [group])
        var state = DashboardState(snapshot: Fixtures.snapshot(rows), width: 120, height: 40, now: Fixtures.now)
        state.selectedDomain = nil
        var grids: [Grid] = [DashboardView.render(state, glyphs: .unicode)]
        for k: Key in [.tab, .tab, .enter, .enter] {
            Dashboard.handle(.key(k), state: &state, source: source)
            grids.append(DashboardView.render(state, glyphs: .unicode))
        }
        #expect(state.failures.report?.id == "evil")
        state = DashboardState(snapshot: Fixtures.snapshot(rows), width: 120, height: 40, now: Fixtures.now)
        state.selectedDomain = "broken.example.net"
        Dashboard.handle(.key(.enter), state: &state, source: source)
        Dashboard.handle(.key("G"), state: &state, source: source)
        grids.append(DashboardView.render(state, glyphs: .unicode))
        _ = Dashboard.reduce(&state, .error(text))
        grids.append(DashboardView.render(state, glyphs: .unicode))
        for grid in grids {
            for cell in grid.cells {
                #expect(!cell.text.unicodeScalars.contains(where: isUnsafe), "unsafe cell \(cell.text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
            #expect(!grid.text.contains("pwned"))  // an OSC title payload is dropped, not shown
            #expect(!grid.text.contains("[31m"))
        }
        #expect(grids.contains { $0.text.contains("Evil Corp") })  // the readable part is kept
    }

    @Test func gridPutSanitizesEvenWithoutTheViews() {
        var grid = Grid(width: 40, height: 1)
        grid.put("a\u{1B}[31mb\u{202E}c\u{7}d", x: 0, y: 0)
        #expect(grid.text.hasPrefix("abcd "))
    }

    @Test(arguments: [
        ("日本語テキスト", 7, "日本語 "),     // a wide character cut in half becomes a space
        ("日本語テキスト", 8, "日本語テ"),
        ("abc", 2, "ab"),
        ("e\u{301}te\u{301}", 3, "e\u{301}te\u{301}"),  // combining accents take no column
        ("🇫🇷x", 3, "🇫🇷x"),
    ])
    func putClipsByDisplayWidth(text: String, limit: Int, expected: String) {
        var grid = Grid(width: 10, height: 1)
        let used = grid.put(text, x: 0, y: 0, limit: limit)
        #expect(used <= limit)
        #expect(grid.text.hasPrefix(expected))
    }

    @Test(arguments: [
        ("abc", 3), ("日本", 4), ("é", 1), ("e\u{301}", 1), ("😀", 2), ("❤️", 2), ("", 0), ("a\u{200B}b", 2),
    ])
    func displayWidth(text: String, width: Int) {
        #expect(TextWidth.of(text) == width)
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var grid = Grid(width: 6, height: 1)
        grid.put("日本語", x: 0, y: 0)
        grid.put("x", x: 1, y: 0)  // the right half of 日
        #expect(grid.text == " x本語")
        grid.put("y", x: 2, y: 0)  // the left half of 本
        #expect(grid.text == " xy 語")
    }
}
