import Foundation
import Testing
@testable import STSDashboard

@Suite struct ThemeTests {
    static var themesDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("themes").path
    }

    @Test(arguments: [
        ("status-crit = red default bold", Role.statusCrit, Style(.index(1), .default, [.bold])),
        ("selection = 15 238 bold,reverse", .selection, Style(.index(15), .index(238), [.bold, .reverse])),
        ("dim = bright-black default", .dim, Style(.index(8), .default, [])),
        ("header = grey 0 underline", .header, Style(.index(8), .index(0), [.underline])),
        ("title = default default none", .title, Style()),
        ("  key-hint   =   CYAN   Default   BOLD  # trailing comment", .keyHint, Style(.index(6), .default, [.bold])),
        ("live-cause = 255 default dim", .liveCause, Style(.index(255), .default, [.dim])),
    ])
    func roleLines(line: String, role: Role, style: Style) throws {
        let (theme, warnings) = try Theme.parse("version = 1\n\(line)\n", file: "t.theme")
        #expect(warnings.isEmpty)
        #expect(theme.style(role) == style)
        // Roles not named keep the defaults.
        let other = Role.allCases.first { $0 != role }!
        #expect(theme.style(other) == Theme.dark.style(other))
    }

    @Test(arguments: [
        ("stauts-ok = red default", 2, "unknown role \"stauts-ok\""),
        ("status-ok = reddish default", 2, "unknown colour \"reddish\""),
        ("status-ok = 256 default", 2, "unknown colour \"256\""),
        ("status-ok = red default blink", 2, "unknown attribute \"blink\""),
        ("status-ok = red", 2, "expected FOREGROUND BACKGROUND"),
        ("status-ok red default", 2, "expected KEY = VALUE"),
        ("monochrome = maybe", 2, "monochrome must be yes or no"),
    ])
    func badLinesWarnWithFileAndLine(line: String, lineNumber: Int, problem: String) throws {
        let (theme, warnings) = try Theme.parse("version = 1\n\(line)\nstatus-warn = blue default\n", file: "themes/x.theme")
        #expect(warnings.count == 1)
        #expect(warnings.first?.description.hasPrefix("themes/x.theme:\(lineNumber): ") == true)
        #expect(warnings.first?.problem.contains(problem) == true, "\(warnings)")
        // The rest of the file still applies; the bad role keeps its default.
        #expect(theme.style(.statusWarn) == Style(.index(4), .default))
        #expect(theme.style(.statusOK) == Theme.dark.style(.statusOK))
    }

    @Test func versionIsRequiredAndChecked() {
        #expect(throws: ThemeError.missingVersion(file: "a.theme")) { try Theme.parse("status-ok = red default\n", file: "a.theme") }
        #expect(throws: ThemeError.missingVersion(file: "a.theme")) { try Theme.parse("# nothing\n", file: "a.theme") }
        #expect(throws: ThemeError.unsupportedVersion(file: "a.theme", line: 2, version: "2")) {
            try Theme.parse("# future\nversion = 2\n", file: "a.theme")
        }
    }

    @Test(arguments: ["dark", "light", "high-contrast", "monochrome"])
    func shippedThemesLoadCleanlyAndNameEveryRole(name: String) throws {
        let (theme, warnings) = try Theme.load(nameOrPath: name, searchPaths: ["/nonexistent", Self.themesDirectory])
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(theme.name == name)
        let text = try String(contentsOfFile: Self.themesDirectory + "/\(name).theme", encoding: .utf8)
        for role in Role.allCases {
            #expect(text.contains("\n\(role.rawValue) "), "\(name).theme does not set \(role.rawValue)")
        }
        if name == "monochrome" {
            #expect(theme.monochrome)
            #expect(theme.styles.values.allSatisfy { $0.foreground == .default && $0.background == .default })
        }
    }

    @Test func shippedDarkThemeMatchesTheBuiltInDefault() throws {
        let (theme, _) = try Theme.load(nameOrPath: "dark", searchPaths: [Self.themesDirectory])
        #expect(theme.styles == Theme.dark.styles)
    }

    @Test func loadByPathAndNotFound() throws {
        let (theme, _) = try Theme.load(nameOrPath: Self.themesDirectory + "/light.theme", searchPaths: [])
        #expect(theme.name == "light")
        #expect(throws: ThemeError.notFound(name: "neon", searched: ["/a", "/b"])) {
            try Theme.load(nameOrPath: "neon", searchPaths: ["/a", "/b"])
        }
        // The built-in default needs no file.
        #expect(try Theme.load(nameOrPath: "dark", searchPaths: []).theme == Theme.dark)
    }

    @Test func loadAllPutsTheDefaultFirst() {
        let (themes, warnings) = Theme.loadAll(searchPaths: [Self.themesDirectory])
        #expect(warnings.isEmpty)
        #expect(themes.map(\.name) == ["dark", "high-contrast", "light", "monochrome"])
    }

    @Test(arguments: [
        (ThemeColor.index(196), ThemeColor.index(1)), (.index(46), .index(2)), (.index(21), .index(4)),
        (.index(9), .index(1)), (.index(3), .index(3)), (.index(255), .index(7)), (.index(232), .index(0)), (.default, .default),
    ])
    func eightColourMapping(color: ThemeColor, basic: ThemeColor) {
        #expect(color.basic == basic)
    }
}
