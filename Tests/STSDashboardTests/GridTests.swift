import Foundation
import Testing
@testable import STSDashboard

/// The diff renderer's input: which cells changed between two grids.
@Suite struct GridDiffTests {
    func sample() -> Grid {
        var g = Grid(width: 30, height: 4)
        g.put("hello world", x: 0, y: 0)
        g.put("日本語", x: 2, y: 1, role: .header)
        g.put("status", x: 0, y: 3, role: .statusCrit)
        return g
    }

    @Test func equalGridsGiveNoChanges() {
        #expect(Grid.changes(from: sample(), to: sample()).isEmpty)
        #expect(Grid.changes(from: Grid(width: 0, height: 0), to: Grid(width: 0, height: 0)).isEmpty)
    }

    @Test func oneCellChangedGivesExactlyThatCell() {
        var next = sample()
        next.put("W", x: 6, y: 0)
        #expect(Grid.changes(from: sample(), to: next) == [CellChange(point: Point(x: 6, y: 0), cell: Cell("W"))])
    }

    @Test func aRoleChangeIsAChange() {
        var next = sample()
        next.paint(Rect(x: 0, y: 3, width: 2, height: 1), role: .selection)
        let changes = Grid.changes(from: sample(), to: next)
        #expect(changes.map(\.point) == [Point(x: 0, y: 3), Point(x: 1, y: 3)])
        #expect(changes.allSatisfy { $0.cell.role == .selection })
    }

    @Test func changesAreTheSymmetricDifferenceInScreenOrder() {
        var a = sample(), b = sample()
        a.put("xyz", x: 20, y: 2)
        b.put("xqz", x: 20, y: 2)
        b.put("!", x: 29, y: 3)
        let changes = Grid.changes(from: a, to: b)
        #expect(changes.map(\.point) == [Point(x: 21, y: 2), Point(x: 29, y: 3)])
        #expect(changes.map(\.point) == changes.map(\.point).sorted())
        // Applying the changes to the old grid gives the new one.
        var applied = a
        for c in changes { applied[c.point.x, c.point.y] = c.cell }
        #expect(applied == b)
    }

    @Test func wideCharacterChangesCarryTheirLeftHalf() {
        var next = sample()
        next.paint(Rect(x: 3, y: 1, width: 1, height: 1), role: .selection)  // only the right half of 日
        let changes = Grid.changes(from: sample(), to: next)
        #expect(changes.map(\.point) == [Point(x: 2, y: 1), Point(x: 3, y: 1)])
        #expect(changes.first?.cell.text == "日")
    }

    @Test func noPreviousOrANewSizeRepaintsEverything() {
        #expect(Grid.changes(from: nil, to: sample()).count == 120)
        #expect(Grid.changes(from: Grid(width: 29, height: 4), to: sample()).count == 120)
    }

    @Test func anIdleDashboardChangesNothingButTheClock() {
        let state = Fixtures.state()
        let a = DashboardView.render(state, glyphs: .unicode)
        #expect(Grid.changes(from: a, to: DashboardView.render(state, glyphs: .unicode)).isEmpty)
        var later = state
        _ = Dashboard.reduce(&later, .tick(Fixtures.now.addingTimeInterval(60)))
        let changes = Grid.changes(from: a, to: DashboardView.render(later, glyphs: .unicode))
        #expect(!changes.isEmpty)
        // Only the clock (row 0), the CHECKED column of the domain rows, and "last/next" in the status line.
        let checkedColumn = (80 - 7)..<80
        for c in changes {
            let ok = c.point.y == 0 || c.point.y == 23 || ((2...7).contains(c.point.y) && checkedColumn.contains(c.point.x))
            #expect(ok, "unexpected change at \(c.point)")
        }
    }
}

@Suite struct BindingTests {
    @Test(arguments: Pane.allCases)
    func noKeyIsBoundTwiceInAPane(pane: Pane) {
        for table in [KeyBindings.global, KeyBindings.table(for: pane)] {
            let keys = table.flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "\(pane): \(keys)")
        }
    }

    @Test func everyActionIsReachable() {
        let bound = Set((KeyBindings.global + Pane.allCases.flatMap { KeyBindings.table(for: $0) }).map(\.action))
        #expect(bound == Set(Action.allCases))
    }

    @Test(arguments: Pane.allCases)
    func helpOverlayListsEveryBindingOfThePane(pane: Pane) {
        var state = Fixtures.state(width: 120, height: 40)
        state.pane = pane
        state.mode = .help
        let text = DashboardView.render(state, glyphs: .unicode).text
        for b in KeyBindings.table(for: pane) + KeyBindings.global {
            #expect(text.contains(b.help), "help for \(pane) lacks \"\(b.help)\"")
        }
    }

    @Test func footerShowsTheHintBindings() {
        let state = Fixtures.state(width: 200, height: 40)
        let footer = DashboardView.render(state, glyphs: .unicode).text.split(separator: "\n")[38]
        let hints = (KeyBindings.domains + KeyBindings.global).compactMap { b in b.hint.map { (b.keys[0].description, $0) } }
        #expect(hints.count >= 8)
        for (key, hint) in hints { #expect(footer.contains("\(key) \(hint)  ")) }
    }

    @Test func markdownTableHasARowPerBinding() {
        let md = KeyBindings.markdown()
        let rows = md.split(separator: "\n").dropFirst(2)
        #expect(rows.count == KeyBindings.global.count + Pane.allCases.reduce(0) { $0 + KeyBindings.table(for: $1).count })
        #expect(md.contains("| Domains | `/` | filter domains by text |"))
        #expect(md.contains("| all | `q` | quit |"))
    }

    /// docs/DASHBOARD.md and README.md carry the generated table; re-recording snapshots rewrites them.
    @Test(arguments: ["docs/DASHBOARD.md", "README.md"])
    func docsKeyTableIsCurrent(file: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- keys:begin"))
        let begin = try #require(text.range(of: "-->\n", range: marker.lowerBound..<text.endIndex))
        let end = try #require(text.range(of: "<!-- keys:end -->"))
        let table = KeyBindings.markdown()
        if ProcessInfo.processInfo.environment["STSWATCH_RECORD_SNAPSHOTS"] == "1" {
            try (String(text[..<begin.upperBound]) + table + String(text[end.lowerBound...])).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(text[begin.upperBound..<end.lowerBound]) == table)
    }
}
